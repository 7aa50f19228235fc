"""Benchmark: the governance audit of a district-scale month (about a million access events).

    python bench/audit.py [--lake /tmp/eduhouse_bench_audit] [--keep]

Builds the district's roster and a month of grants, consents and access logs with the
simulator (eduhouse_dev.simulate.governance, dirt 0.002), lands them, builds the audit's
dbt parents once, then times what an audit costs: the audit's own dbt models (staging,
checks, marts) over bronze Parquet, and the report over the Parquet exports. Results go
to bench/results/audit.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from datetime import date
from pathlib import Path

import duckdb

from eduhouse_dev.simulate.governance import write_governance
from eduhouse_dev.simulate.roster import write_roster
from eduhouse_dev.simulate.world import build_world
from orchestration.governance.audit import run_audit
from orchestration.governance.build import AUDIT_ONLY, build_audit_models
from orchestration.landing.sources import LANDERS

START, DAYS = date(2021, 10, 1), 30


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", default="/tmp/eduhouse_bench_audit")
    ap.add_argument("--keep", action="store_true", help="reuse an existing inbox/bronze in --lake")
    ap.add_argument("--audit-only", action="store_true", help="with --keep: skip the first build with parents")
    args = ap.parse_args()
    lake = Path(args.lake)
    timings: dict[str, float] = {}
    if not (args.keep and (lake / "bronze" / "access").exists()):
        shutil.rmtree(lake, ignore_errors=True)
        t = time.perf_counter()
        _, roster_files = write_roster(build_world("district", 42, START), lake / "inbox")
        gen = write_governance(lake, roster_files, seed=42, start=START, days=DAYS, scale="district", dirt_rate=0.002)
        timings["simulate_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        for source in ("roster", "governance", "access"):
            LANDERS[source](lake)
        timings["land_s"] = round(time.perf_counter() - t, 1)
    else:
        gen = {}
    events = duckdb.connect().execute(
        f"select count(*) from read_parquet('{lake}/bronze/access/events/**/*.parquet', hive_partitioning = false)"
    ).fetchone()[0]
    if not args.audit_only:
        t = time.perf_counter()
        first = build_audit_models(lake, target_path=lake / "dbt_target")
        timings["first_build_with_parents_s"] = round(time.perf_counter() - t, 1)
        assert first["returncode"] == 0, first["log_tail"]
    t = time.perf_counter()
    audit = build_audit_models(lake, target_path=lake / "dbt_target", select=AUDIT_ONLY)
    timings["audit_dbt_s"] = round(time.perf_counter() - t, 1)
    timings["audit_dbt_cpu_s"] = audit["cpu_seconds"]
    assert audit["returncode"] == 0, audit["log_tail"]
    runs = json.loads((lake / "dbt_target" / "run_results.json").read_text())["results"]
    slowest = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in runs), reverse=True)[:5]
    t = time.perf_counter()
    report = run_audit(lake)
    timings["audit_report_s"] = round(time.perf_counter() - t, 1)
    timings["audit_total_s"] = round(timings["audit_dbt_s"] + timings["audit_report_s"], 1)
    import os

    result = {"load_average_1m_5m_15m": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
              "access_events": int(events), "grants": gen.get("grants"), "timings": timings,
              "slowest_models_s": {name: round(t, 1) for t, name in slowest},
              "findings": report.summary["findings"], "by_check": report.summary["by_check"],
              "machine": f"{platform.machine()} {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "audit.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
