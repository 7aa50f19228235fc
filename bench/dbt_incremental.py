"""Benchmark: dbt full build vs adding one new day, on a landed lake.

    python bench/dbt_incremental.py --lake /tmp/dlake/lake [--day 2021-10-30] [--work /tmp/dbt_bench] [--out FILE]

The lake must hold landed bronze and ledger (e.g. after `eduhouse run` on a district
month). A working copy is made under --work (bronze hard-linked, nothing in the source
lake changes), with the xAPI delivery --day (default: the newest) held back:

1. full build: `dbt build --full-refresh`, every model and test, without that day;
2. the day's bronze files and ledger row are put back, as landing would;
3. the new day, exactly as Dagster runs it: the daily partitions the delivery touched
   (`tag:partition_daily`, `partition_dates`), the months they fall in
   (`tag:partition_monthly`, `partition_months`), then the unpartitioned models
   downstream of xAPI, each with its data tests (dbt unit tests check the SQL, not the
   data: they run in `make test`, not in Dagster's runs). The partitions go to dbt as
   Dagster passes them (EDUHOUSE_DBT_PARTITIONS), so no invocation re-parses the project.

dbt's own time (run_results.json elapsed_time) and the wall time of each invocation
(which adds dbt's start-up and parse) are written to bench/results/dbt_incremental.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from orchestration.transform.project import DBT_PROJECT_DIR, dbt_env, dbt_executable  # noqa: E402

RESULTS = REPO / "bench" / "results" / "dbt_incremental.md"
# As Dagster runs dbt: unit tests check the SQL, not the data, and run in `make test`.
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def _newest_delivery(lake: Path) -> str:
    rows = duckdb.execute(
        "SELECT delivery_id FROM read_parquet(?) WHERE status = 'landed' ORDER BY finished_at DESC LIMIT 1",
        [str(lake / "ledger" / "xapi" / "*.parquet")],
    ).fetchall()
    return rows[0][0]


def _ledger_row(lake: Path, delivery: str) -> dict:
    df = duckdb.execute("SELECT * FROM read_parquet(?)", [str(lake / "ledger" / "xapi" / f"{delivery}.parquet")]).df()
    return df.iloc[0].to_dict()


def make_work_lake(src: Path, work: Path, delivery: str) -> Path:
    """Hard-linked bronze + copied ledger, with the delivery's files moved to work/held."""
    if work.exists():
        shutil.rmtree(work)
    lake, held = work / "lake", work / "held"
    lake.mkdir(parents=True)
    subprocess.run(["cp", "-al", str(src / "bronze"), str(lake / "bronze")], check=True)
    shutil.copytree(src / "ledger", lake / "ledger")
    for f in (lake / "bronze" / "xapi").rglob(f"{delivery}.parquet"):
        target = held / f.relative_to(lake)
        target.parent.mkdir(parents=True, exist_ok=True)
        f.rename(target)
    ledger = lake / "ledger" / "xapi" / f"{delivery}.parquet"
    (held / "ledger").mkdir(parents=True)
    ledger.rename(held / "ledger" / ledger.name)
    return lake


def restore(work: Path) -> None:
    held, lake = work / "held", work / "lake"
    for f in held.rglob("*.parquet"):
        rel = f.relative_to(held)
        dest = lake / "ledger" / "xapi" / f.name if rel.parts[0] == "ledger" else lake / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        f.rename(dest)


def dbt(lake: Path, work: Path, label: str, args: list[str], partitions: dict | None = None) -> dict:
    """One dbt invocation; ``partitions`` goes in EDUHOUSE_DBT_PARTITIONS as Dagster passes it."""
    target = work / "target" / label
    env = {**os.environ, **dbt_env(lake, os.environ.get("EDUHOUSE_TZ", "Asia/Shanghai"), 10, 200),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "EDUHOUSE_DBT_PARTITIONS": json.dumps(partitions or {})}
    for folder in (lake / "warehouse", lake / "marts" / ".staging", lake / "restricted" / ".staging"):
        folder.mkdir(parents=True, exist_ok=True)
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(work / "logs")]
    load = os.getloadavg()[0]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-5000:])
        raise SystemExit(f"{label}: dbt failed ({proc.returncode})")
    results = json.loads((target / "run_results.json").read_text())
    nodes = results["results"]
    slowest = sorted(((r["execution_time"], r["unique_id"].split(".", 2)[-1]) for r in nodes), reverse=True)[:8]
    return {"label": label, "dbt_s": results["elapsed_time"], "wall_s": wall, "nodes": len(nodes),
            "models": sum(1 for r in nodes if r["unique_id"].startswith("model.")),
            "tests": sum(1 for r in nodes if r["unique_id"].startswith(("test.", "unit_test."))),
            "load": load, "slowest": slowest}


def day_windows(row: dict) -> tuple[dict, dict]:
    dates = sorted(str(d)[:10] for d in row["local_dates"])
    return ({"start": dates[0], "end": dates[-1]}, {"start": dates[0][:7], "end": dates[-1][:7]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--day", help="xAPI delivery id held back as the new day (default: the newest)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dbt_bench"))
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (Markdown)")
    args = parser.parse_args()
    src = args.lake.resolve()
    delivery = args.day or _newest_delivery(src)
    row = _ledger_row(src, delivery)
    dates, months = day_windows(row)
    lake = make_work_lake(src, args.work, delivery)

    full = dbt(lake, args.work, "full", ["build", "--full-refresh"])
    print(f"full build: dbt {full['dbt_s']:.1f} s, wall {full['wall_s']:.1f} s", flush=True)
    restore(args.work)
    steps = [
        dbt(lake, args.work, "daily", ["build", "--select", "tag:partition_daily", *NO_UNIT_TESTS],
            {"partition_dates": dates}),
        dbt(lake, args.work, "monthly", ["build", "--select", "tag:partition_monthly", *NO_UNIT_TESTS],
            {"partition_months": months}),
        dbt(lake, args.work, "downstream", ["build", "--select", "source:xapi+", "--exclude", "tag:partition_daily",
                                            "tag:partition_monthly", "tag:partition_exam", *NO_UNIT_TESTS]),
    ]
    for s in steps:
        print(f"{s['label']}: dbt {s['dbt_s']:.1f} s, wall {s['wall_s']:.1f} s", flush=True)
    write_results(args.out, src, delivery, row, dates, full, steps)


def write_results(out: Path, src: Path, delivery: str, row: dict, dates: dict, full: dict, steps: list[dict]) -> None:
    inc_dbt = sum(s["dbt_s"] for s in steps)
    inc_wall = sum(s["wall_s"] for s in steps)
    lines = [
        "# dbt: full build vs one new day",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} CPUs (shared), "
        f"dbt threads 2. Lake `{src}`; new day = xAPI delivery `{delivery}` "
        f"({int(row['landed']):,} statements, local dates {dates['start']}..{dates['end']}). "
        "Produced by `bench/dbt_incremental.py`.",
        "",
        "| invocation | models | tests | dbt s | wall s | load avg at start |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| full build (`--full-refresh`, everything) | {full['models']} | {full['tests']} | {full['dbt_s']:.1f} | "
        f"{full['wall_s']:.1f} | {full['load']:.1f} |",
    ]
    for s in steps:
        lines.append(f"| new day: {s['label']} | {s['models']} | {s['tests']} | {s['dbt_s']:.1f} | {s['wall_s']:.1f} | "
                     f"{s['load']:.1f} |")
    lines += [
        f"| **new day, total** | {sum(s['models'] for s in steps)} | {sum(s['tests'] for s in steps)} | "
        f"**{inc_dbt:.1f}** | **{inc_wall:.1f}** | |",
        "",
        f"- New day / full build, dbt's own time: **{inc_dbt / full['dbt_s']:.3f}** "
        f"(goal ≤ 0.10: {'met' if inc_dbt / full['dbt_s'] <= 0.10 else 'NOT met'}); wall time (with dbt start-up "
        f"and parse, three invocations): {inc_wall / full['wall_s']:.3f}.",
        "",
        "Slowest nodes (s):",
        "",
    ]
    for s in [full, *steps]:
        lines.append(f"- {s['label']}: " + ", ".join(f"{n} {t:.2f}" for t, n in s["slowest"]))
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


if __name__ == "__main__":
    main()
