"""Benchmark: xAPI landing with full validation vs the bare engine copying the same files.

    python bench/landing.py [--lake /tmp/bench_lake] [--days 30] [--memory-limit 3GB]

Needs a lake whose inbox holds a district month of xAPI (``eduhouse simulate --scale
district --days 30 --lake /tmp/bench_lake``; generated here when the inbox is empty).
Each phase runs in its own subprocess so its peak RSS is its own:

- ``copy``: ``COPY (SELECT * FROM read_json(file)) TO ... (FORMAT parquet)`` per file,
  what the engine does with no validation at all (malformed lines skipped), one file
  after the other;
- ``copy2``: the same copy in two streams (two connections of one thread, the files
  split between them), so that, like landing, it may use both cores: issue 17's
  like-with-like comparison (landing ≥ 0.8× of it);
- ``landing``: ``land_xapi`` (roster reference check, every xAPI rule, quarantine,
  ledger, per-date files), on a clean ledger;
- ``breakdown``: where landing's CPU goes, step by step, on the largest single-day file
  landed alone on one thread (min of 3), next to the bare copy of that file.

Both use ``threads=2`` and the same ``memory_limit`` (for landing, two deliveries side by
side, each on one DuckDB thread). Results go to ``bench/results/landing.md``.
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


def _copy_files(con, files: list[Path], out: Path) -> tuple[int, list[str]]:
    rows, skipped = 0, []
    for f in files:
        target = out / (f.name.split(".")[0] + ".parquet")
        try:
            con.execute(f"COPY (SELECT * FROM read_json('{f}', format='newline_delimited', "
                        f"ignore_errors=true)) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        except Exception as exc:  # noqa: BLE001 - the truncated delivery: the bare copy cannot read it either
            skipped.append(f"{f.name}: {str(exc).splitlines()[0]}")
            continue
        rows += con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchall()[0][0]
    return rows, skipped


def _copy(lake: Path, memory_limit: str, streams: int) -> dict:
    """The bare copy, file by file: one stream (one DuckDB connection, threads=2: a gzip
    JSON read is one pipeline, so it keeps one core busy), or two streams (two
    connections of one thread each, the files split between them by size), which is what
    the engine does with no validation when it may use both cores, as landing does."""
    from concurrent.futures import ThreadPoolExecutor

    import duckdb

    out = lake / f"bench_copy{streams}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
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
    shares: list[list[Path]] = [[] for _ in range(streams)]
    for f in sorted(files, key=lambda p: p.stat().st_size, reverse=True):  # largest first, to the lightest share
        min(shares, key=lambda share: sum(x.stat().st_size for x in share)).append(f)
    cons = []
    for _ in range(streams):
        con = duckdb.connect()
        con.execute(f"SET threads={2 if streams == 1 else 1}")
        con.execute(f"SET memory_limit='{memory_limit}'")
        cons.append(con)
    t0, c0 = time.perf_counter(), _cpu()
    with ThreadPoolExecutor(streams) as pool:
        done = list(pool.map(lambda i: _copy_files(cons[i], shares[i], out), range(streams)))
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": sum(r for r, _ in done), "seconds": seconds, "cpu_seconds": cpu,
            "skipped": [x for _, sk in done for x in sk], "output_bytes": size, "streams": streams}


def phase_copy(lake: Path, memory_limit: str) -> dict:
    return _copy(lake, memory_limit, streams=1)


def phase_copy2(lake: Path, memory_limit: str) -> dict:
    return _copy(lake, memory_limit, streams=2)


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


# Landing's SQL statements by step, for ``phase_breakdown``: (text that identifies the
# statement, step); the first match wins, the table lists them in pipeline order.
_STEPS = (
    ("COPY (SELECT * FROM (SELECT statement_id", "write bronze Parquet per local date (lists built here)"),
    ("strftime(local_date", "count rows per local date"),
    ("TEMP TABLE _xapi_dup", "duplicate ids (window over the valid ids)"),
    ("TEMP TABLE _xapi_slow", "detailed rules on the lines the fast path did not pass"),
    ("read_csv", "read + gunzip the lines into a table"),
    ("json_transform", "judge: json_valid + json_transform + rules + bronze columns, into a table"),
    ("", "quarantine, roster, other statements"),
)
_STEP_ORDER = (4, 5, 3, 2, 1, 0, 6)


def phase_breakdown(lake: Path, memory_limit: str, repeat: int = 3) -> dict:
    """CPU seconds per landing step on the largest single-day file, landed alone (one
    thread: steps run one after the other), min of ``repeat``; and the bare copy of it."""
    import collections
    import tempfile

    import duckdb

    from orchestration.landing import core, xapi

    day = max((f for f in _files(lake) if f.name[:10].count("-") == 2), key=lambda f: f.stat().st_size)
    sub = Path(tempfile.mkdtemp(prefix="bench-landing-day-"))
    try:
        (sub / "inbox" / "xapi").mkdir(parents=True)
        # a copy, not a symlink: landing refuses a delivery that is a symlink (it could point anywhere)
        shutil.copyfile(day, sub / "inbox" / "xapi" / day.name)
        for part in ("bronze", "ledger"):
            (sub / part).mkdir()
            (sub / part / "roster").symlink_to(lake / part / "roster")
        runs: list[collections.Counter] = []

        class Timed:  # the landing connection, timing each statement by step
            def __init__(self, con):
                self._con = con

            def execute(self, sql, *args):
                c0 = _cpu()
                out = self._con.execute(sql, *args)
                runs[-1][next(name for pattern, name in _STEPS if pattern in sql)] += _cpu() - c0
                return out

            def __getattr__(self, name):
                return getattr(self._con, name)

        connect = core.connect
        core.connect = lambda *a, **k: Timed(connect(*a, **k))
        try:
            for _ in range(repeat):
                for part in ("ledger", "bronze", "quarantine"):
                    shutil.rmtree(sub / part / "xapi", ignore_errors=True)
                runs.append(collections.Counter())
                c0 = _cpu()
                summary = xapi.land_xapi(sub, "Asia/Shanghai", options=core.EngineOptions(1, memory_limit))
                runs[-1]["total"] = _cpu() - c0
        finally:
            core.connect = connect
        copies = []
        con = duckdb.connect()
        con.execute("SET threads=2")
        for _ in range(repeat):
            c0 = _cpu()
            con.execute(f"COPY (SELECT * FROM read_json('{day}', format='newline_delimited', ignore_errors=true)) "
                        f"TO '{sub / 'copy.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
            copies.append(_cpu() - c0)
    finally:
        shutil.rmtree(sub, ignore_errors=True)
    steps = {_STEPS[i][1]: min(r[_STEPS[i][1]] for r in runs) for i in _STEP_ORDER}
    return {"file": day.name, "statements": summary.records_in, "steps": steps,
            "total": min(r["total"] for r in runs), "copy": min(copies)}


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


def _report(lake: Path, days: int, memory_limit: str, copy: dict, copy2: dict, land: dict, input_bytes: int,
            note: str, parts: dict) -> str:
    gib = 1024 ** 3
    c_tp = copy["rows"] / copy["seconds"]
    c2_tp = copy2["rows"] / copy2["seconds"]
    l_tp = land["rows"] / land["seconds"]
    ratio = l_tp / c_tp
    ratio2 = l_tp / c2_tp
    cpu_ratio = (land["rows"] / land["cpu_seconds"]) / (copy["rows"] / copy["cpu_seconds"])
    ok_ratio2 = "yes" if ratio2 >= 0.8 else "NO"
    ok_mem = "yes" if land["peak_rss_bytes"] < 4 * gib else "NO"
    steps = parts["steps"]
    rest = parts["total"] - sum(steps.values())
    step_rows = "\n".join(f"| {name} | {sec:.2f} |" for name, sec in steps.items())
    return f"""# Landing benchmark (xAPI)

Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.machine()}, {os.cpu_count()} CPUs
(shared), Python {platform.python_version()}, `threads=2`, `memory_limit={memory_limit}`.
Input: `{lake}/inbox/xapi`, {len(_files(lake))} deliveries, {days} simulated district days,
{input_bytes / 1e6:,.0f} MB gzip-compressed JSONL. {note}

| | statements | wall s | statements/s | CPU s | peak RSS | Parquet out |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| bare copy (`read_json` → Parquet), one stream | {copy['rows']:,} | {copy['seconds']:.1f} | {c_tp:,.0f} | {copy['cpu_seconds']:.1f} | {copy['peak_rss_bytes'] / gib:.2f} GiB | {copy['output_bytes'] / 1e6:,.0f} MB |
| bare copy, two streams (both cores) | {copy2['rows']:,} | {copy2['seconds']:.1f} | {c2_tp:,.0f} | {copy2['cpu_seconds']:.1f} | {copy2['peak_rss_bytes'] / gib:.2f} GiB | {copy2['output_bytes'] / 1e6:,.0f} MB |
| landing, full validation | {land['rows']:,} | {land['seconds']:.1f} | {l_tp:,.0f} | {land['cpu_seconds']:.1f} | {land['peak_rss_bytes'] / gib:.2f} GiB | {land['output_bytes'] / 1e6:,.0f} MB |

- Landing / bare copy in two streams, both using both cores (issue 17's like with like):
  **{ratio2:.2f}×** (goal ≥ 0.8×: {ok_ratio2}). Against the one-stream copy (the earlier,
  unequal comparison): {ratio:.2f}×; per CPU second: {cpu_ratio:.2f}×.
- Landing peak memory: **{land['peak_rss_bytes'] / gib:.2f} GiB** (goal < 4 GiB: {ok_mem}).
- Landing outcome: {land['landed']:,} landed, {land['quarantined']:,} quarantined, deliveries
  {json.dumps(land['deliveries'])}; reasons {json.dumps(land['reasons'])}.
- The bare copy skipped: {'; '.join(copy['skipped']) or 'nothing'} (landing quarantines it whole),
  and copies a re-sent duplicate file once, as landing does (`read_json` with
  `ignore_errors` emits an all-NULL row per malformed line, so both count every line).

What landing does beyond the copy: reads each line as text with its line number (kept in a
table: rejected and duplicate lines are quarantined with their text), parses it once
(`json_valid` guard + one `json_transform` into a typed struct of the ~30 properties
bronze and the rules need), judges it on the struct (UUID/IRI/timestamp regexes, score
ranges, JSON types where xAPI needs them, roster reference via a hash join); the few lines
the struct cannot pass (~0.2 %: rejects and odd shapes) are re-judged by the detailed
rules (`json_extract` of 32 paths) for their reason and detail. Then a window for
in-delivery duplicate ids, a local-date split into per-date files, quarantine and ledger
files. Bronze no longer copies each line (the `statement_json` column is gone; the
immutable inbox and the lineage columns address it). The copy keeps only the auto-detected JSON structure.
Two deliveries land side by side, each on its own connection with one DuckDB thread
(resends of the same batch after it), so the gzip read and the writes, serial in DuckDB,
no longer leave a core idle when one is free.

Where landing's CPU goes: `{parts['file']}` ({parts['statements']:,} statements) landed
alone on one thread, CPU s per step, min of 3 (bare copy of the same file:
{parts['copy']:.2f}; landing in all: {parts['total']:.2f}, i.e. {parts['copy'] / parts['total']:.2f}× the copy's
throughput per CPU second):

| step | CPU s |
| --- | ---: |
{step_rows}
| Python side (content hash, ledger, files) | {rest:.2f} |

Inside the judge step (ablations on a 329k-statement day, one thread, CPU s, ±0.05):
`json_valid` ~0.3, the regexes (UUID, IRI ×3, timestamp) ~0.45, the other rules and the
roster join ~0.2, the knowledge-point lookup ~0.15, storing the ~25 typed columns ~0.4;
the rest (~0.4) is `json_transform` itself. The read step is ~0.55 of gunzip + line
splitting and ~0.2 of storing the lines; the write step ~0.65 of Parquet encoding and
~0.15 of building the three id lists.

So on one thread landing costs about {parts['total'] / parts['copy']:.1f}× the copy's CPU (per CPU second
{parts['copy'] / parts['total']:.2f}×, the month above {cpu_ratio:.2f}×). Against the one-stream copy
landing gained on wall time by using the second core, which that copy leaves idle (one
gzip stream, one pipeline). Given both cores too, the copy runs two files at a
time, and the wall ratio ({ratio2:.2f}×) comes down to what landing does per CPU second: meeting
0.8× means landing in about 1.25× the copy's CPU, where it needs about {parts['total'] / parts['copy']:.1f}×
(the judge step alone costs as much as the whole copy).

## Before / after (the landing rework)

| run | landing / copy, wall | per CPU s | landing peak RSS |
| --- | ---: | ---: | ---: |
| before: 32-path `json_extract`, `statement_json` kept (committed results, first 7 days, load ~12) | 0.34× | 0.34× | 1.60 GiB |
| one `json_transform` + fast path, `statement_json` kept (whole month, 19:51 UTC, load 1.7–6.4) | 0.45× | 0.44× | 1.35 GiB |
| this code, whole month, load 2.7–3.6 (22:06 UTC) | 0.62× | 0.54× | 1.63 GiB |
| the two-stage pipeline, whole month, 2026-12-05 07:26 UTC (against the two-stream copy 0.36×) | 0.82× | 0.50× | 1.58 GiB |
| this code, whole month (table above; against the two-stream copy {ratio2:.2f}×) | {ratio:.2f}× | {cpu_ratio:.2f}× | {land['peak_rss_bytes'] / gib:.2f} GiB |

What changed since the 0.45× run (same verdicts: on the 2021-10-01/02/03 + resend +
truncated deliveries the bronze rows (all columns but `statement_json` and
`_landed_at`), the quarantine rows and the ledger rows of the old and the new code are
identical, `EXCEPT ALL` both ways; the month's counts per reason are unchanged):

- `statement_json` is no longer written (the column is gone): the inbox is immutable and
  `(_delivery, _file, _position)` addresses the line. Besides its share of the Parquet
  write (~0.3 CPU s a day) this removes the line text from the judged table: the text is
  only looked up, by position, for the ~0.2 % rejected and the duplicate lines;
- the three id lists are stored as JSON text by the judge and built as they are written;
  the knowledge-point value is found by position among `json_keys` / `$.*` instead of a
  `->` with a computed path;
- two deliveries side by side (`core._land_side_by_side`), each on its own connection
  with one DuckDB thread (`threads=2` = 2 busy threads in all). It replaced a two-stage
  pipeline (the main thread wrote day i and read day i+1 while a second connection
  judged day i+1): on the same month, 56.0-63.5 → 50.4-51.8 s, 1.52 → 1.31-1.34 GiB;
- tried and dropped: `read_json` with the typed schema as the parser (as costly as
  `read_csv` + `json_valid` + `json_transform`, and blank lines shift its row numbers),
  writing straight from the judge with `PARTITION_BY` (~+50 %; deduplicating by window ~+125 %),
  Arrow tables instead of DuckDB tables (no gain), a `'}}'` guard with or without `TRY`
  instead of `json_valid` (no gain / the simulator's truncated lines would force
  re-runs), `GLOB`/`UUID` casts instead of the regexes (slower), Parquet V2 pages or
  negative zstd levels (≤ 0.05 CPU s), allocator flush thresholds (no change in page
  faults).
"""


def _sub_lake(lake: Path, days: int) -> Path:
    """``<lake>-<days>d``: the roster and the first ``days`` dates of xAPI, as hard links
    (landing refuses a delivery that is a symlink out of its inbox)."""
    sub = lake.with_name(f"{lake.name}-{days}d")
    shutil.rmtree(sub, ignore_errors=True)
    (sub / "inbox" / "xapi").mkdir(parents=True)
    shutil.copytree(lake / "inbox" / "roster", sub / "inbox" / "roster", copy_function=os.link)
    dates = sorted({f.name[:10] for f in _files(lake)})[:days]
    for f in _files(lake):
        if f.name[:10] in dates:
            os.link(f, sub / "inbox" / "xapi" / f.name)
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
        from eduhouse_dev.simulate.run import simulate

        simulate(lake, scale="district", days=args.days, governance=False)
    if not (lake / "ledger" / "roster").is_dir():  # xAPI references the roster's users
        from orchestration.landing.oneroster import land_roster

        land_roster(lake)
    input_bytes = _warm(lake)
    parts = _run_phase("breakdown", lake, args.memory_limit)
    copies, copies2, lands = [], [], []
    for i in range(args.repeat):  # alternate, so both see the same machine conditions
        copies.append(_run_phase("copy", lake, args.memory_limit))
        print(f"copy #{i + 1}: {copies[-1]['rows']:,} rows in {copies[-1]['seconds']:.1f}s "
              f"({copies[-1]['cpu_seconds']:.1f} CPU s, load {copies[-1]['load']})", flush=True)
        copies2.append(_run_phase("copy2", lake, args.memory_limit))
        print(f"copy, two streams #{i + 1}: {copies2[-1]['rows']:,} rows in {copies2[-1]['seconds']:.1f}s "
              f"({copies2[-1]['cpu_seconds']:.1f} CPU s, load {copies2[-1]['load']})", flush=True)
        lands.append(_run_phase("landing", lake, args.memory_limit))
        print(f"landing #{i + 1}: {lands[-1]['rows']:,} rows in {lands[-1]['seconds']:.1f}s "
              f"({lands[-1]['cpu_seconds']:.1f} CPU s, load {lands[-1]['load']})", flush=True)
    copy = min(copies, key=lambda r: r["seconds"])
    copy2 = min(copies2, key=lambda r: r["seconds"])
    copy2["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in copies2)
    land = min(lands, key=lambda r: r["seconds"])
    copy["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in copies)
    land["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in lands)
    runs = "; ".join(f"copy {c['seconds']:.1f}s / {c['cpu_seconds']:.1f} CPU s, two streams {c2['seconds']:.1f}s / "
                     f"{c2['cpu_seconds']:.1f} CPU s, landing {x['seconds']:.1f}s / {x['cpu_seconds']:.1f} CPU s"
                     for c, c2, x in zip(copies, copies2, lands, strict=True))
    loads = [v for r in copies + copies2 + lands for v in r["load"]]
    runs += (f". 1-minute load average before/after each run {min(loads):.1f}–{max(loads):.1f} on the 2 shared "
             "cores, the runs' own threads included (1 busy for the one-stream copy, 2 for the others)")
    text = _report(lake, args.days, args.memory_limit, copy, copy2, land, input_bytes,
                   " ".join(filter(None, [args.note, f"Best of {args.repeat} alternating runs ({runs})."])),
                   parts)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
