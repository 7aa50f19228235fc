"""Benchmark: xAPI landing with full validation vs the bare engine copying the same files.

    python bench/landing.py [--lake /tmp/bench_lake] [--days 30] [--memory-limit 3GB]

Needs a lake whose inbox holds a district month of xAPI (``eduhouse simulate --scale
district --days 30 --lake /tmp/bench_lake``; generated here when the inbox is empty).
Each phase runs in its own subprocess so its peak RSS is its own:

- ``copy``: ``COPY (SELECT * FROM read_json(file)) TO ... (FORMAT parquet)`` per file,
  what the engine does with no validation at all (malformed lines skipped);
- ``landing``: ``land_xapi`` (roster reference check, every xAPI rule, quarantine,
  ledger, per-date files), on a clean ledger.

Both use DuckDB ``threads=2`` and the same ``memory_limit``. Results go to
``bench/results/landing.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "landing.md"


def _cpu() -> float:
    """CPU seconds (user + system) used by this process so far: steadier than wall time on
    a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _files(lake: Path) -> list[Path]:
    return sorted(p for p in (lake / "inbox" / "xapi").iterdir() if p.is_file() and not p.name.startswith("."))


def phase_copy(lake: Path, memory_limit: str) -> dict:
    import duckdb

    out = lake / "bench_copy"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute(f"SET memory_limit='{memory_limit}'")
    rows, skipped = 0, []
    # The same bytes delivered twice are one delivery: copy each content once, as landing
    # lands it once (hashing is not timed here; landing's time includes its hashing).
    from orchestration.landing.deliveries import discover

    seen: set[str] = set()
    files = []
    for d in discover(lake, "xapi"):
        sha, _ = d.content_sha256()
        if sha not in seen:
            seen.add(sha)
            files.append(d.path)
    t0, c0 = time.perf_counter(), _cpu()
    for f in files:
        target = out / (f.name.split(".")[0] + ".parquet")
        try:
            con.execute(f"COPY (SELECT * FROM read_json('{f}', format='newline_delimited', "
                        f"ignore_errors=true)) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        except duckdb.Error as exc:  # the truncated delivery: the bare copy cannot read it either
            skipped.append(f"{f.name}: {str(exc).splitlines()[0]}")
            continue
        rows += con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchall()[0][0]
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": rows, "seconds": seconds, "cpu_seconds": cpu, "skipped": skipped, "output_bytes": size}


def phase_landing(lake: Path, memory_limit: str) -> dict:
    from orchestration.landing.core import EngineOptions
    from orchestration.landing.oneroster import land_roster
    from orchestration.landing.xapi import land_xapi

    if not (lake / "ledger" / "roster").is_dir():
        land_roster(lake)
    for part in ("ledger", "bronze", "quarantine"):
        shutil.rmtree(lake / part / "xapi", ignore_errors=True)
    t0, c0 = time.perf_counter(), _cpu()
    summary = land_xapi(lake, "Asia/Shanghai", options=EngineOptions(threads=2, memory_limit=memory_limit))
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    size = sum(p.stat().st_size for p in (lake / "bronze" / "xapi").rglob("*.parquet"))
    return {"rows": summary.records_in, "landed": summary.landed, "quarantined": summary.quarantined,
            "seconds": seconds, "cpu_seconds": cpu, "deliveries": summary.by_status(), "reasons": summary.reasons,
            "output_bytes": size}


def _run_phase(name: str, lake: Path, memory_limit: str) -> dict:
    """Run one phase in a fresh interpreter; it reports its result and its own peak RSS."""
    code = (f"import json, resource, sys; sys.path.insert(0, {str(REPO)!r}); "
            f"from bench.landing import phase_{name}; from pathlib import Path; "
            f"r = phase_{name}(Path({str(lake)!r}), {memory_limit!r}); "
            "r['peak_rss_bytes'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024; "
            "print('RESULT ' + json.dumps(r))")
    load0 = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"phase {name} failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["load"] = (load0, os.getloadavg()[0])  # 1-minute load average before / after
    return result


def _warm(lake: Path) -> int:
    total = 0
    for f in _files(lake):
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 24):
                total += len(chunk)
    return total


def _report(lake: Path, days: int, memory_limit: str, copy: dict, land: dict, input_bytes: int,
            note: str) -> str:
    gib = 1024 ** 3
    c_tp = copy["rows"] / copy["seconds"]
    l_tp = land["rows"] / land["seconds"]
    ratio = l_tp / c_tp
    cpu_ratio = (land["rows"] / land["cpu_seconds"]) / (copy["rows"] / copy["cpu_seconds"])
    ok_ratio = "yes" if ratio >= 0.7 else "NO"
    ok_mem = "yes" if land["peak_rss_bytes"] < 4 * gib else "NO"
    return f"""# Landing benchmark (xAPI)

Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.machine()}, {os.cpu_count()} CPUs
(shared), Python {platform.python_version()}, DuckDB `threads=2`, `memory_limit={memory_limit}`.
Input: `{lake}/inbox/xapi`, {len(_files(lake))} deliveries, {days} simulated district days,
{input_bytes / 1e6:,.0f} MB gzip-compressed JSONL. {note}

| | statements | wall s | statements/s | CPU s | peak RSS | Parquet out |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| bare copy (`read_json` → Parquet) | {copy['rows']:,} | {copy['seconds']:.1f} | {c_tp:,.0f} | {copy['cpu_seconds']:.1f} | {copy['peak_rss_bytes'] / gib:.2f} GiB | {copy['output_bytes'] / 1e6:,.0f} MB |
| landing, full validation | {land['rows']:,} | {land['seconds']:.1f} | {l_tp:,.0f} | {land['cpu_seconds']:.1f} | {land['peak_rss_bytes'] / gib:.2f} GiB | {land['output_bytes'] / 1e6:,.0f} MB |

- Landing / bare copy throughput (wall): **{ratio:.2f}×** (goal ≥ 0.7×: {ok_ratio}); per CPU
  second: {cpu_ratio:.2f}×.
- Landing peak memory: **{land['peak_rss_bytes'] / gib:.2f} GiB** (goal < 4 GiB: {ok_mem}).
- Landing outcome: {land['landed']:,} landed, {land['quarantined']:,} quarantined, deliveries
  {json.dumps(land['deliveries'])}; reasons {json.dumps(land['reasons'])}.
- The bare copy skipped: {'; '.join(copy['skipped']) or 'nothing'} (landing quarantines it whole),
  and copies a re-sent duplicate file once, as landing does (`read_json` with
  `ignore_errors` emits an all-NULL row per malformed line, so both count every line).

What landing does beyond the copy: reads each line as text with its line number, parses it
once (`json_valid` guard + one `json_transform` into a typed struct of the ~30 properties
bronze and the rules need), judges it on the struct (UUID/IRI/timestamp regexes, score
ranges, JSON types where xAPI needs them, roster reference via a hash join); the few lines
the struct cannot pass (~0.2 %: rejects and odd shapes) are re-judged by the detailed
rules (`json_extract` of 32 paths) for their reason and detail. Then a window for
in-delivery duplicate ids, a local-date split into per-date files, the whole original
line kept as `statement_json` (~2.5× the copy's Parquet bytes), quarantine and ledger
files. The copy keeps only the auto-detected JSON structure.

Where landing's CPU goes (one 344k-statement day, min of 3, CPU s; the bare copy of the
same file: 2.3): read + gunzip lines into a table 0.85; parse + judge + bronze columns +
materialize 2.45 (of which `json_valid` ~0.2, `json_transform` ~0.8, rules ~0.5, line
and column materialization ~0.6, knowledge-point / context ids ~0.3); detailed rules on
the rejects 0.13; duplicate ids 0.07; Parquet write 1.4 (statement_json alone ~0.5).
Before this change the same day took 7.7 CPU s (json_valid, then `json_extract` of 32
paths re-serializing every value, rules on the text, a regex for knowledge points).
Reading + parsing + writing the original text alone (~3.3 CPU s) is already above 0.7×
the bare copy (2.3 / 0.7 = 3.3): the statement_json column the contract requires, and
keeping line numbers, make 0.7× out of reach on CPU time with this engine; on wall time
the parse/judge step and the write run on both threads when the machine has them free.
"""


def _sub_lake(lake: Path, days: int) -> Path:
    """``<lake>-<days>d``: the roster and the first ``days`` dates of xAPI, as symlinks."""
    sub = lake.with_name(f"{lake.name}-{days}d")
    shutil.rmtree(sub, ignore_errors=True)
    (sub / "inbox" / "xapi").mkdir(parents=True)
    (sub / "inbox" / "roster").symlink_to(lake / "inbox" / "roster")
    dates = sorted({f.name[:10] for f in _files(lake)})[:days]
    for f in _files(lake):
        if f.name[:10] in dates:
            (sub / "inbox" / "xapi" / f.name).symlink_to(f)
    return sub


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, default=Path("/tmp/bench_lake"))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--max-days", type=int, default=None,
                        help="bench only the first N days' deliveries (a symlinked sub-lake)")
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs; the best of each counts")
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    lake = args.lake.resolve()
    if args.max_days:
        lake = _sub_lake(lake, args.max_days)
        args.days = args.max_days
    if not (lake / "inbox" / "xapi").is_dir() or not _files(lake):
        from orchestration.simulate.run import simulate

        simulate(lake, scale="district", days=args.days, governance=False)
    input_bytes = _warm(lake)
    copies, lands = [], []
    for i in range(args.repeat):  # alternate, so both see the same machine conditions
        copies.append(_run_phase("copy", lake, args.memory_limit))
        print(f"copy #{i + 1}: {copies[-1]['rows']:,} rows in {copies[-1]['seconds']:.1f}s "
              f"({copies[-1]['cpu_seconds']:.1f} CPU s, load {copies[-1]['load']})", flush=True)
        lands.append(_run_phase("landing", lake, args.memory_limit))
        print(f"landing #{i + 1}: {lands[-1]['rows']:,} rows in {lands[-1]['seconds']:.1f}s "
              f"({lands[-1]['cpu_seconds']:.1f} CPU s, load {lands[-1]['load']})", flush=True)
    copy = min(copies, key=lambda r: r["seconds"])
    land = min(lands, key=lambda r: r["seconds"])
    copy["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in copies)
    land["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in lands)
    runs = "; ".join(f"copy {c['seconds']:.1f}s / {c['cpu_seconds']:.1f} CPU s, landing {x['seconds']:.1f}s / "
                     f"{x['cpu_seconds']:.1f} CPU s" for c, x in zip(copies, lands, strict=True))
    loads = [v for r in copies + lands for v in r["load"]]
    runs += f". 1-minute load average during the runs {min(loads):.1f}–{max(loads):.1f} on the 2 shared cores"
    text = _report(lake, args.days, args.memory_limit, copy, land, input_bytes,
                   f"{args.note} Best of {args.repeat} alternating runs ({runs}).")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
