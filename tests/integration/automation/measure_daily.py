"""Measure a sensor-triggered daily run (not a test; run by hand, see docs/operations.md).

    python tests/integration/automation/measure_daily.py --scale small --days 3

Simulates `--days` days plus one more, lands the first days through the inbox sensor,
then drops the extra day's xAPI and access files into the inbox and times what the
sensors trigger: the landing run and the downstream run. Runs execute like launched runs
(multiprocess executor, reconstructable job) against a temp DAGSTER_HOME.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _job(name):
    from orchestration.definitions import defs

    return defs().resolve_job_def(name)


def landing_job():
    return _job("landing_job")


def landing_daily_job():
    return _job("landing_daily_job")


def downstream_job():
    return _job("downstream_job")


JOBS = {"landing_job": landing_job, "landing_daily_job": landing_daily_job, "downstream_job": downstream_job}


def execute(instance, name, asset_selection=None, tags=None, defs=None):
    import dagster as dg

    from orchestration.automation.timing import run_timing

    started = time.time()
    if defs is not None:  # in-process: definitions loaded once (no per-run code load)
        # Automation's requests name no job: the implicit asset job runs any selection.
        job = defs.resolve_job_def(name) if name else defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            instance=instance, tags=tags or {}, asset_selection=asset_selection, raise_on_error=False)
        run_id, ok = result.run_id, result.success
    else:  # like a launched run: multiprocess executor, code reloaded per step process
        with dg.execute_job(dg.reconstructable(JOBS[name]), instance=instance, tags=tags or {},
                            asset_selection=asset_selection, raise_on_error=False) as result:
            run_id, ok = result.run_id, result.success
    timing = run_timing(instance, run_id)
    timing["call_s"] = round(time.time() - started, 3)
    timing["success"] = ok
    return timing


def _ranges(subset, asset_graph, instance) -> list[tuple[list, dict]]:
    """A backfill-sized request as single runs: assets grouped by partition key range."""
    from dagster._core.definitions.partitions.context import partition_loading_context

    from orchestration.runner.execute import range_tags

    groups: dict = {}
    with partition_loading_context(dynamic_partitions_store=instance):  # exam ids live in the instance
        for key, partitions in subset.partitions_subsets_by_asset_key.items():
            for key_range in partitions.get_partition_key_ranges(asset_graph.get(key).partitions_def):
                groups.setdefault((key_range.start, key_range.end), []).append(key)
    out = [(keys, range_tags(*rng)) for rng, keys in groups.items()]
    if subset.non_partitioned_asset_keys:
        out.append((sorted(subset.non_partitioned_asset_keys), {}))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--multiprocess", action="store_true",
                        help="execute like launched runs (step subprocesses) instead of in-process")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="eduhouse-measure-"))
    lake, extra, home = work / "lake", work / "lake_extra", work / "dagster_home"
    for path in (lake, extra, home):
        shutil.rmtree(path, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copyfile(REPO / "orchestration/instance/dagster.yaml", home / "dagster.yaml")
    os.environ.update(DAGSTER_HOME=str(home), EDUHOUSE_LAKE=str(lake), EDUHOUSE_INBOX_SETTLE_SECONDS="0")
    eduhouse = [sys.executable, "-m", "orchestration.cli", "simulate", "--scale", args.scale]
    subprocess.run([*eduhouse, "--lake", str(lake), "--days", str(args.days)], check=True)
    subprocess.run([*eduhouse, "--lake", str(extra), "--days", str(args.days + 1)], check=True)

    import dagster as dg

    from orchestration.automation.sensors import downstream_automation, downstream_catchup, inbox_sensor
    from orchestration.dagster_home import ensure_pools
    from orchestration.definitions import defs as load

    t0 = time.time()
    defs = load()
    repo = defs.get_repository_def()
    asset_graph = defs.resolve_asset_graph()
    code_load_s = round(time.time() - t0, 2)
    in_process = None if args.multiprocess else defs
    report = {"scale": args.scale, "days": args.days, "code_load_s": code_load_s, "phases": {}}
    with dg.DagsterInstance.get() as instance:
        ensure_pools(instance)
        resources = {"lake": repo.get_top_level_resources()["lake"]}
        auto_cursor = downstream_automation.evaluate_tick(
            dg.build_sensor_context(instance=instance, repository_def=repo)).cursor
        inbox_cursor = None

        def cycle(label):
            nonlocal inbox_cursor, auto_cursor
            phase = {"runs": [], "inbox_ticks": 0}
            for _ in range(4):  # unpartitioned sources first; the days land on a later tick
                tick = inbox_sensor.evaluate_tick(dg.build_sensor_context(
                    instance=instance, cursor=inbox_cursor, repository_def=repo, resources=resources))
                inbox_cursor = tick.cursor
                phase["inbox_ticks"] += 1
                if not tick.run_requests:
                    break
                for request in tick.run_requests:
                    phase["runs"].append(execute(instance, request.job_name, request.asset_selection,
                                                 dict(request.tags), in_process))
            # Declarative automation: each tick requests what has all its inputs built
            # (days, then exams and months, then the unpartitioned rest); tick until quiet.
            phase["automation_ticks"] = []
            for _ in range(8):
                t = time.time()
                auto = downstream_automation.evaluate_tick(dg.build_sensor_context(
                    instance=instance, cursor=auto_cursor, repository_def=repo))
                phase["automation_ticks"].append(round(time.time() - t, 2))
                auto_cursor = auto.cursor
                requests = list(auto.run_requests)
                if not requests:  # the window automation can miss: the catch-up sensor's job
                    catch = downstream_catchup.evaluate_tick(
                        dg.build_sensor_context(instance=instance, repository_def=repo))
                    requests = list(catch.run_requests)
                    phase["catchup"] = phase.get("catchup", False) or bool(requests)
                if not requests:
                    break
                for request in requests:
                    if request.asset_graph_subset is not None:  # several partitions: one run per range
                        for keys, range_tags in _ranges(request.asset_graph_subset, asset_graph, instance):
                            phase["runs"].append(execute(instance, None, keys, {**dict(request.tags), **range_tags},
                                                         in_process))
                        continue
                    phase["runs"].append(execute(instance, request.job_name, request.asset_selection,
                                                 dict(request.tags), in_process))
            phase["wall_s"] = round(sum(r["wall_s"] or 0 for r in phase["runs"]), 2)
            phase["steps_s"] = round(sum(r["steps_s"] or 0 for r in phase["runs"]), 2)
            phase["overhead_s"] = round(sum(r["overhead_s"] or 0 for r in phase["runs"]), 2)
            report["phases"][label] = phase

        cycle("initial")
        day = None
        for source in ("xapi", "access"):
            have = {p.name for p in (lake / "inbox" / source).iterdir()}
            for p in sorted((extra / "inbox" / source).iterdir()):
                if p.name not in have:
                    shutil.copy2(p, lake / "inbox" / source / p.name)
                    day = p.name
        report["new_day_delivery"] = day
        cycle("daily")
    for phase in report["phases"].values():
        for run in phase["runs"]:
            run.pop("steps", None) if len(run.get("steps", {})) > 8 else None
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
