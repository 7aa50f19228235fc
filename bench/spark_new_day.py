"""A new day on Spark: what a nightly run costs once the partitioned tables overwrite
only the partitions it recomputes (issue: scale-out; docs/scaleout.md).

    python bench/spark_new_day.py --lake /tmp/eduhouse-sd [--select +tag:partition_monthly]
                                  [--workers 2] [--memory-per-worker 2g]
                                  [--out bench/results/spark_new_day.md]

On a simulated lake already landed (bench/scaleout.py makes one), with the lake's cluster
of `--workers` workers:

1. the newest xAPI delivery's bronze files are held back, and `dbt run` of the
   selection (default: the xAPI path up to the monthly models) builds a fresh Spark
   warehouse from the rest;
2. they are put back and the same selection runs again, asking for that delivery's
   local dates and months as the Dagster daily and monthly partitions do: the daily
   tables reread the dates it reaches, the monthly tables recompute its months.

Both are timed alone: wall, CPU seconds of every process involved (dbt with its Spark
driver, the master, the workers and executors), peak memory. `run`, not `build`: the point
is the models' work; the data tests cost the same on either path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from scaleout import REPO, Sampler, _eduhouse

from orchestration.cluster.standalone import load as load_cluster
from orchestration.lake import LakePaths
from orchestration.resources import EngineResource
from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_MIN_CELL, DEFAULT_TIMEZONE, DEFAULT_TOP_N
from orchestration.transform.engine import engine_env, spark_warehouse
from orchestration.transform.project import dbt_env, dbt_executable, prepare_lake


def _newest_delivery(lake: Path) -> tuple[list[Path], list[str]]:
    statements = lake / "bronze" / "xapi" / "statements"
    newest = max(f.name for f in statements.glob("local_date=*/*.parquet"))
    files = sorted(statements.glob(f"local_date=*/{newest}"))
    return files, sorted(f.parent.name.removeprefix("local_date=") for f in files)


def _run(lake: Path, label: str, select: str, partitions: dict | None, roots: dict, out_dir: Path) -> dict:
    paths = LakePaths(lake)
    target = lake / "ops" / "dbt" / "bench-new-day"
    env = {**os.environ, **dbt_env(lake, DEFAULT_TIMEZONE, DEFAULT_MIN_CELL, DEFAULT_TOP_N),
           **engine_env(EngineResource(name="spark"), paths),
           "EDUHOUSE_DBT_PARTITIONS": json.dumps(partitions) if partitions else "",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [dbt_executable(), "run", "--target", "spark", "--select", select,
           "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target)]
    row = {"run": label, "load": os.getloadavg()[0]}
    t0 = time.perf_counter()
    with open(out_dir / f"new-day-{label.split()[0]}.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        with Sampler({**roots, "dbt": [proc.pid]}) as sampler:
            code = proc.wait()
    row["wall_s"] = time.perf_counter() - t0
    row["cpu_s"] = sum(sampler.cpu_by_kind().values())
    row["peak_rss_mb"] = {k: v / 2**20 for k, v in sampler.peak.items()}
    results = json.loads((target / "run_results.json").read_text())["results"]
    row["models"] = len(results)
    row["failed"] = [r["unique_id"] for r in results if r["status"] != "success"]
    if code or row["failed"]:
        raise SystemExit(f"dbt run ({label}) failed: {row['failed'][:5]}; see {out_dir}")
    row["reread"] = next((line.split("(dates): ", 1)[1].strip() for line in (out_dir / f"new-day-{label.split()[0]}.log")
                          .read_text().splitlines() if "(dates): " in line), "everything (first build)")
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", required=True)
    ap.add_argument("--select", default="+tag:partition_monthly")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-per-worker", default="2g")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "spark_new_day.md"))
    args = ap.parse_args()
    lake = Path(args.lake)
    if not (lake / "bronze" / "xapi").is_dir():
        raise SystemExit(f"{lake} holds no landed xAPI bronze: make one with bench/scaleout.py")
    out_dir = lake.parent / (lake.name + "-bench")
    out_dir.mkdir(parents=True, exist_ok=True)
    files, dates = _newest_delivery(lake)
    # The held-back files go back on a kill too (SIGTERM runs the finally blocks below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    held = out_dir / "held"
    shutil.rmtree(held, ignore_errors=True)
    moved = {f: held / f"{i}.parquet" for i, f in enumerate(files)}
    statements = duckdb.sql(f"select count(*) from read_parquet({[str(f) for f in files]})").fetchall()[0][0]
    total = duckdb.sql(f"select count(*) from read_parquet('{lake}/bronze/xapi/statements/**/*.parquet')").fetchall()[0][0]

    _eduhouse(lake, "cluster", "up", "--workers", str(args.workers), "--memory-per-worker", args.memory_per_worker)
    rows = []
    try:
        cluster = load_cluster(lake)
        roots = {"master": [p.pid for p in cluster.processes if p.role == "master"],
                 "workers and executors": [p.pid for p in cluster.workers]}
        shutil.rmtree(spark_warehouse(LakePaths(lake)), ignore_errors=True)
        prepare_lake(LakePaths(lake))
        held.mkdir(parents=True)
        for original, away in moved.items():
            original.rename(away)
        try:
            print("full build without the newest delivery ...", file=sys.stderr, flush=True)
            rows.append(_run(lake, "full (all but the newest delivery)", args.select, None, roots, out_dir))
        finally:
            for original, away in moved.items():
                away.rename(original)
        print("the new day ...", file=sys.stderr, flush=True)
        rows.append(_run(lake, "new day (its dates and months)", args.select,
                         {"partition_dates": {"start": dates[0], "end": dates[-1]},
                          "partition_months": {"start": dates[0][:7], "end": dates[-1][:7]}}, roots, out_dir))
    finally:
        _eduhouse(lake, "cluster", "down")

    lines = [
        "# A new day on Spark (bench/spark_new_day.py)",
        "",
        f"Lake `{lake}`: {total:,} xAPI statements in bronze; the newest delivery holds {statements:,} "
        f"on {len(dates)} local date(s) ({dates[0]} to {dates[-1]}). Selection `{args.select}`, `dbt run`, "
        f"the lake's cluster with {args.workers} worker(s) of {args.memory_per_worker}, on this 2-core machine.",
        "",
        "| run | models | reread | wall s | CPU s | peak RSS, dbt and driver (MB) | load at start |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['run']} | {r['models']} | {r['reread']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                     f"{r['peak_rss_mb'].get('dbt', 0):.0f} | {r['load']:.1f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(Path(args.out).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
