"""End to end on a simulated district: inbox -> marts -> checks -> reports -> audit, then one
new day on top (issue 17's table), with wall, CPU and peak memory per stage.

    python bench/e2e.py [--scale district] [--seed 7] [--start 2021-10-01] [--days 30]
                        [--lake /tmp/eduhouse-e2e] [--out bench/results/e2e.md]

1. simulate `--days` days into a scratch lake (timed apart: it is not part of the pipeline);
2. hold the last day's deliveries back (every inbox entry named after that date);
3. `eduhouse run` on the rest: the month's first build;
4. put the held-back day into the inbox and `eduhouse run` again: the new day.

`--save-month DIR` keeps a copy of the lake after step 3; `--from-month DIR` starts from
that copy and measures step 4 alone (the new day again, after a change, in 2 minutes).

Each run is a child process measured with `os.wait4` (its own and its children's CPU, the
largest resident set among them). The run's step lines (`✓ step (12.3s)`) are summed by
kind: landing, bronze checks, dbt, mart checks, reports, audit and publication. A dbt step's
time is split by dbt's own log (each invocation's dbt.log in the lake): its nodes, from the
first node's start to the last one's end, and the rest, dbt starting up (flags, project,
partial parse, graph, catalog) and shutting down (closing the warehouse: DuckDB's
checkpoint) and dagster-dbt's work around it. Orchestration is what the steps do not
account for (Dagster run and step start-up, planning) plus that rest of the dbt steps:
issue 17 counts dbt's start-up and manifest load as orchestration. The load average at the
start of each run is recorded: compare runs on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from orchestration.lake import LakePaths

REPO = Path(__file__).resolve().parents[1]
STEP = re.compile(r"^\s*[✓✗!] ([A-Za-z0-9_]+) \(([\d.]+)s\)")
KINDS = (  # (kind, does the step name match)
    ("landing", lambda s: re.fullmatch(r"bronze__[a-z]+", s) is not None),
    ("bronze checks", lambda s: s.startswith("bronze__") or s == "source_freshness"),
    ("dbt", lambda s: s.startswith("eduhouse_dbt")),
    ("mart checks", lambda s: s.startswith("marts__")),
    ("role reports", lambda s: s == "role_reports"),
    ("audit", lambda s: s == "reports__governance_audit"),
    ("publication", lambda s: s == "reports__monthly_publication"),
)


def _kind(step: str) -> str:
    return next((kind for kind, match in KINDS if match(step)), "other steps")


def dbt_node_windows(target_root: Path, since: float) -> list[float]:
    """Per dbt invocation whose log begins at or after ``since`` (epoch seconds): the
    seconds from its first node's start to its last node's end, read from the dbt.log of
    each invocation folder under ``target_root``. An invocation that ran no node counts 0."""
    windows = []
    for log in sorted(target_root.glob("*/dbt.log")):
        with open(log, encoding="utf-8") as fh:
            first = fh.readline()
            if not first.strip() or _ts(json.loads(first)) < since:
                continue
            starts, ends = [], []
            for line in fh:  # only the node events are parsed: the log holds every statement
                if '"NodeStart"' in line:
                    starts.append(_ts(json.loads(line)))
                elif '"NodeFinished"' in line:
                    ends.append(_ts(json.loads(line)))
        windows.append(max(ends) - min(starts) if starts and ends else 0.0)
    return windows


def _ts(event: dict) -> float:
    return datetime.fromisoformat(event["info"]["ts"].replace("Z", "+00:00")).timestamp()


def _measured(cmd: list[str], env: dict, log: Path, lake: Path) -> dict:
    """Run ``cmd``, echo its lines, and return wall, CPU, peak RSS, its step seconds by
    kind and the seconds of its dbt invocations' nodes."""
    load = os.getloadavg()[0]
    started = time.time()
    t0 = time.perf_counter()
    steps: dict[str, float] = {}
    dbt_steps = 0
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
        for line in proc.stdout:
            out.write(line)
            m = STEP.match(line)
            if m:
                kind = _kind(m.group(1))
                steps[kind] = steps.get(kind, 0.0) + float(m.group(2))
                dbt_steps += kind == "dbt"
            if line.startswith("▶"):
                print(f"  {time.perf_counter() - t0:7.1f} s  {line.rstrip()}", flush=True)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[-3:])} failed: see {log}")
    windows = dbt_node_windows(LakePaths(lake).dbt_target, started)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "load": load, "steps": steps, "dbt_nodes": sum(windows), "dbt_invocations": len(windows),
            "dbt_steps": dbt_steps}


def unmatched_dbt_logs(name: str, run: dict) -> str | None:
    """A sentence for the results when the dbt logs found are not one per dbt step (the
    lake keeps the newest KEPT_TARGETS invocation folders): an invocation whose log is
    gone has its nodes counted as orchestration."""
    if run["dbt_invocations"] == run["dbt_steps"]:
        return None
    return (f"Warning: {name}: dbt logs of {run['dbt_invocations']} invocations for {run['dbt_steps']} dbt steps; "
            "the nodes of a step without its log count as orchestration here.")


def orchestration_seconds(run: dict) -> float:
    """Wall time no step accounts for, plus the dbt steps' time outside their nodes."""
    return run["wall"] - sum(run["steps"].values()) + run["steps"].get("dbt", 0.0) - run["dbt_nodes"]


def _hold_back(inbox: Path, day: date, holdback: Path) -> list[str]:
    """Move every delivery named after ``day`` (xAPI and access files, exam folders, …) aside."""
    moved = []
    for entry in sorted(inbox.glob(f"*/{day.isoformat()}*")):
        target = holdback / entry.relative_to(inbox)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(entry), str(target))
        moved.append(str(entry.relative_to(inbox)))
    return moved


def _restore(holdback: Path, inbox: Path) -> None:
    for entry in sorted(holdback.glob("*/*")):
        target = inbox / entry.relative_to(holdback)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(entry), str(target))


def _table(rows: list[tuple[str, dict]]) -> list[str]:
    kinds = [k for k, _ in KINDS] + ["other steps"]
    out = ["| stage | " + " | ".join(name for name, _ in rows) + " |", "| --- |" + " ---: |" * len(rows)]
    for kind in kinds:
        out.append(f"| {kind} (step time) | " + " | ".join(f"{r['steps'].get(kind, 0.0):.1f}" for _, r in rows) + " |")
        if kind == "dbt":
            out.append("| of which dbt's nodes (first start to last end, per invocation) | "
                       + " | ".join(f"{r['dbt_nodes']:.1f} ({r['dbt_invocations']})" for _, r in rows) + " |")
            out.append("| of which dbt's start-up and shut-down | "
                       + " | ".join(f"{r['steps'].get('dbt', 0.0) - r['dbt_nodes']:.1f}" for _, r in rows) + " |")
    out.append("| wall − steps (Dagster runs and steps, planning) | "
               + " | ".join(f"{r['wall'] - sum(r['steps'].values()):.1f}" for _, r in rows) + " |")
    out.append("| **orchestration** (wall − steps, and dbt's start-up and shut-down) | "
               + " | ".join(f"**{orchestration_seconds(r):.1f}**" for _, r in rows) + " |")
    out.append("| **wall** | " + " | ".join(f"**{r['wall']:.1f}**" for _, r in rows) + " |")
    out.append("| CPU (user + system, all processes) | " + " | ".join(f"{r['cpu']:.1f}" for _, r in rows) + " |")
    out.append("| peak RSS of one process, MB | " + " | ".join(f"{r['rss_mb']:,.0f}" for _, r in rows) + " |")
    out.append("| load average at start | " + " | ".join(f"{r['load']:.2f}" for _, r in rows) + " |")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--scale", default="district")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", type=date.fromisoformat, default=date(2021, 10, 1))
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--lake", default=None, help="default /tmp/eduhouse-e2e; with --from-month, the saved month's own")
    p.add_argument("--out", default=str(REPO / "bench" / "results" / "e2e.md"))
    p.add_argument("--save-month", metavar="DIR",
                   help="after the month's run, copy the lake and the held-back day to DIR")
    p.add_argument("--from-month", metavar="DIR",
                   help="skip simulation and the month: start from a --save-month copy, measure the new day only")
    args = p.parse_args(argv)
    if args.days < 2:
        raise SystemExit("--days: give at least 2 (the last day is held back for the new-day run)")
    # A saved month goes back to the path it was built at: the lake's path is in dbt's
    # partial parse (elsewhere the first dbt step re-parses the project, 5 s) and in the
    # lake's Dagster run storage.
    record = Path(args.from_month) / "lake_path" if args.from_month else None
    built_at = Path(record.read_text().strip()) if record and record.exists() else None
    lake = Path(args.lake) if args.lake else built_at or Path("/tmp/eduhouse-e2e")
    if built_at and lake != built_at:
        print(f"note: {args.from_month} was built at {built_at}; at {lake} dbt re-parses once", flush=True)
    holdback = lake.parent / f"{lake.name}-holdback"
    shutil.rmtree(lake, ignore_errors=True)
    shutil.rmtree(holdback, ignore_errors=True)
    env = {**os.environ, "EDUHOUSE_LAKE": str(lake), "PYTHONPATH": str(REPO)}
    cli = [sys.executable, "-m", "orchestration.cli"]
    last = args.start + timedelta(days=args.days - 1)
    logs = lake.parent / f"{lake.name}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    month = None
    # The code location's dbt manifest, parsed when the project changed: a deploy's first
    # run pays it once (about 10 s), not every night; not measured, as the simulation.
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from orchestration.transform.project import ensure_manifest; ensure_manifest()"],
                   check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    print(f"dbt manifest ready in {time.perf_counter() - t0:.1f} s (not measured)", flush=True)
    if args.from_month:
        # the copy goes back to the same path: the lake's Dagster instance names its folders
        saved = Path(args.from_month)
        shutil.copytree(saved / "lake", lake, symlinks=True)
        shutil.copytree(saved / "holdback", holdback, symlinks=True)
        held = [str(p.relative_to(holdback)) for p in sorted(holdback.glob("*/*"))]
        simulate_s = 0.0
        print(f"the month from {saved}; {len(held)} deliveries of {last} held back", flush=True)
    else:
        print(f"simulate {args.scale}, {args.days} days from {args.start} (seed {args.seed})", flush=True)
        t0 = time.perf_counter()
        subprocess.run([*cli, "simulate", "--lake", str(lake), "--scale", args.scale, "--seed", str(args.seed),
                        "--start", args.start.isoformat(), "--days", str(args.days)],
                       check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
        simulate_s = time.perf_counter() - t0
        held = _hold_back(lake / "inbox", last, holdback)
        print(f"simulated in {simulate_s:.0f} s; held back {len(held)} deliveries of {last}", flush=True)
        print("month, first build:", flush=True)
        month = _measured([*cli, "run", "--lake", str(lake)], env, logs / "month.log", lake)
        if args.save_month:
            saved = Path(args.save_month)
            shutil.rmtree(saved, ignore_errors=True)
            shutil.copytree(lake, saved / "lake", symlinks=True)
            shutil.copytree(holdback, saved / "holdback", symlinks=True)
            (saved / "lake_path").write_text(str(lake))
    _restore(holdback, lake / "inbox")
    # A copied lake is gigabytes of dirty pages: the first fsync of the warehouse or the
    # run storage would flush them inside the measured run (a from-month new day measured
    # 12 s before its first run and 15 s for its daily dbt step that way, against 5 s and 9 s).
    t0 = time.perf_counter()
    os.sync()
    print(f"synced the lake to disk in {time.perf_counter() - t0:.1f} s (not measured)", flush=True)
    print("one new day on top:", flush=True)
    day = _measured([*cli, "run", "--lake", str(lake)], env, logs / "new_day.log", lake)

    reports = lake / "reports"
    # the rendered pages, not the data docs page the checks write beside them (reports/quality)
    pages = sum(1 for p in reports.rglob("*.html") if p.relative_to(reports).parts[0] != "quality")
    runs = ([("month, first build", month)] if month else []) + [("one new day", day)]
    share = {name: 100 * orchestration_seconds(r) / r["wall"] for name, r in runs}
    steps_only = {name: 100 * (r["wall"] - sum(r["steps"].values())) / r["wall"] for name, r in runs}
    lines = [
        "# End to end: a district month, then one new day (`bench/e2e.py`)", "",
        f"Measured {date.today()} on this machine ({os.cpu_count()} cores). `--scale {args.scale} --seed {args.seed} "
        f"--start {args.start} --days {args.days}`; the last day ({last}, {len(held)} deliveries) held back for "
        f"the new-day run. Simulation took {simulate_s:.0f} s (not part of the pipeline). {pages:,} report pages. "
        "Step times are summed from `eduhouse run`'s step lines; a dbt step's nodes are timed by dbt's own log. "
        "Orchestration is the wall time the steps do not account for (Dagster run and step start-up, "
        "planning) plus the dbt steps' time outside their nodes (dbt's start-up and manifest load, closing "
        "the warehouse, dagster-dbt around them), as issue 17 counts it.", "",
        *_table(runs), "",
        "Goals (issue 17): month ≤ 180 s to the audit, reports ≤ 120 s more, new day ≤ 45 s, every process "
        "< 4 GiB, orchestration < 15 % of the wall.",
        "Orchestration share here: " + ", ".join(f"{name} {pct:.0f} %" for name, pct in share.items())
        + " (wall − steps alone: " + ", ".join(f"{name} {pct:.0f} %" for name, pct in steps_only.items()) + ").", "",
        *filter(None, (unmatched_dbt_logs(name, r) for name, r in runs)),
        f"Logs: `{logs}/month.log`, `{logs}/new_day.log`.",
    ]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
