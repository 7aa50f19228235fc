"""Backfill a range of days: land the daily partitions, then rebuild downstream once.

The landing assets take a partition range in one run (single-run backfill policy: each
delivery file is read once whatever days it holds), so the range is one landing run.
With `rebuild`, deliveries already landed for those days are landed again from the
immutable inbox (landing's `eduhouse/rebuild` tag; idempotent).

Runs execute in this process against the Dagster instance at $DAGSTER_HOME, so they show
in the UI's run list (tagged `eduhouse/backfill=<id>`) and the failure sensor sees them.
The dbt models are unpartitioned and incremental: one downstream run after all the days
picks up everything they added.
"""

from __future__ import annotations

import uuid
from datetime import date

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.automation.jobs import DOWNSTREAM_JOB, LANDING_DAILY_JOB
from orchestration.automation.pools import ensure_pools
from orchestration.partitions import daily_partitions
from orchestration.settings import REPO_ROOT

BACKFILL_TAG = "eduhouse/backfill"
REBUILD_TAG = "eduhouse/rebuild"  # understood by the landing assets
INSTANCE_YAML = REPO_ROOT / "orchestration" / "instance" / "dagster.yaml"


def partition_keys(start: date | str, end: date | str) -> list[str]:
    start, end = str(start)[:10], str(end)[:10]
    if start > end:
        raise ValueError(f"--from {start} is after --to {end}")
    keys = daily_partitions.get_partition_keys()
    if start < keys[0] or end > keys[-1]:
        raise ValueError(f"range {start}..{end} is outside the daily partitions {keys[0]}..{keys[-1]}")
    return daily_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(start, end))


def _has_assets(job: dg.JobDefinition) -> bool:
    return bool(job.asset_layer.executable_asset_keys)


def run_backfill(defs: dg.Definitions, instance: dg.DagsterInstance, start, end,
                 downstream: bool = True, rebuild: bool = False, log=print) -> dict:
    """Execute the landing partitions [start, end] in one run, then the downstream job once."""
    ensure_pools(instance)
    backfill_id = uuid.uuid4().hex[:8]
    tags = {BACKFILL_TAG: backfill_id}
    keys = partition_keys(start, end)
    landing = defs.resolve_job_def(LANDING_DAILY_JOB)
    if not _has_assets(landing):
        raise RuntimeError("no daily-partitioned landing assets are defined (group 'landing')")
    landing_tags = {**tags, ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}
    if rebuild:
        landing_tags[REBUILD_TAG] = "true"
    result = landing.execute_in_process(instance=instance, tags=landing_tags, raise_on_error=False)
    summary = {"backfill_id": backfill_id, "partitions": keys, "downstream": None,
               "landing": {"run_id": result.run_id, "success": result.success}}
    log(f"landing {keys[0]}..{keys[-1]} ({len(keys)} days): "
        f"{'ok' if result.success else 'FAILED'} (run {result.run_id})")
    job = defs.resolve_job_def(DOWNSTREAM_JOB)
    if downstream and result.success and _has_assets(job):
        down = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
        summary["downstream"] = {"run_id": down.run_id, "success": down.success}
        log(f"downstream: {'ok' if down.success else 'FAILED'} (run {down.run_id})")
    elif not result.success:
        log("downstream skipped: landing failed")
    summary["success"] = result.success and (summary["downstream"] or {}).get("success", True)
    return summary
