"""Backfill a range of days (and the months they cover, and the later ones), or some exams.

Days: the daily landing assets take the range in one run (single-run backfill policy:
each delivery file is read once whatever days it holds); with `rebuild` the deliveries
already landed for those days are landed again from the immutable inbox (landing's
`eduhouse/rebuild` tag; idempotent). Then everything the days feed, in the stage order of
`eduhouse run` (orchestration/runner/stages.py): the daily dbt models over the range, the
unpartitioned models between, the monthly models over the months the range covers, the
unpartitioned rest once, the monthly publication of those months. Exams: the exam models
of those exam partitions, then what they feed.

A backfill replaces what it covers: every partitioned dbt run carries
`eduhouse/rebuild=true` (dbt var `rebuild`), so the partitions are recomputed from all
upstream data rather than caught up. Runs execute in this process against the Dagster
instance of the lake, so they show in the UI (tagged `eduhouse/backfill=<id>`) and
the failure sensor sees them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.automation.jobs import LANDING_DAILY_JOB
from orchestration.dagster_home import ensure_pools
from orchestration.lake import TIME_BASED_SOURCES
from orchestration.landing.expired import expired_days
from orchestration.partitions import EXAM_PARTITIONS_NAME, REBUILD_TAG, daily_partitions
from orchestration.resources import ENGINE_TAG
from orchestration.runner.execute import LABEL_TAG, execute, range_tags
from orchestration.runner.holds import failing_landing_checks, held_by
from orchestration.runner.progress import counted
from orchestration.runner.recovery import PID_TAG, WorkJournal
from orchestration.runner.scope import Scope, ledger_ids, partition_runs
from orchestration.runner.stages import plan_stages
from orchestration.settings import REPO_ROOT, get_settings

BACKFILL_TAG = "eduhouse/backfill"
INSTANCE_YAML = REPO_ROOT / "orchestration" / "instance" / "dagster.yaml"
__all__ = ["BACKFILL_TAG", "INSTANCE_YAML", "REBUILD_TAG", "partition_keys", "run_backfill"]


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


def _lake_root(defs: dg.Definitions) -> Path:
    lake = (defs.resources or {}).get("lake")
    return Path(lake.root) if lake is not None and hasattr(lake, "root") else get_settings().lake


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_backfill(defs: dg.Definitions, instance: dg.DagsterInstance, start=None, end=None,
                 downstream: bool = True, rebuild: bool = False, log=_stderr,
                 exams: list[str] | None = None, select: dg.AssetSelection | None = None,
                 log_path: Path | None = None, run_config: dict | None = None) -> dict:
    """Land the days [start, end] in one run (if given), then rebuild what they and the
    given `exams` feed, stage by stage (only the assets in `select`, if given). `rebuild`
    re-lands the days' deliveries. Progress goes to stderr (stdout is the command's
    result, `--json`); tools' output (dbt) to `log_path`; `run_config` names the runs'
    loggers (the CLI's one line per step)."""
    ensure_pools(instance)
    if (start is None) != (end is None):
        raise ValueError("give both --from and --to")
    keys = partition_keys(start, end) if start is not None else []
    exams = list(exams or [])
    if not keys and not exams:
        raise ValueError("nothing to backfill: give --from/--to and/or --exam")
    # A backfill recomputes its days from bronze: over a day retention removed, it would
    # empty that day in the warehouse and the marts, and say nothing (the retention probe).
    gone = sorted(set(k[:10] for k in keys) & expired_days(_lake_root(defs), TIME_BASED_SOURCES))
    if gone:
        raise ValueError(f"retention removed the bronze of {counted(len(gone), 'day')} in the range "
                         f"({gone[0]}..{gone[-1]}): a backfill would leave them empty; give a range after {gone[-1]}")
    unknown = sorted(set(exams) - set(instance.get_dynamic_partitions(EXAM_PARTITIONS_NAME)))
    if unknown:
        raise ValueError(f"not registered exam partitions (has the exam landed?): {', '.join(unknown)}")
    backfill_id = uuid.uuid4().hex[:8]
    tags = {BACKFILL_TAG: backfill_id, ENGINE_TAG: get_settings(_lake_root(defs)).engine}
    summary: dict = {"backfill_id": backfill_id, "partitions": keys, "exams": exams, "landing": None,
                     "downstream": None, "runs": [], "deferred": None}
    graph = defs.resolve_asset_graph()
    stages = plan_stages(graph)
    lake = _lake_root(defs)
    prior = WorkJournal.load(lake)
    if downstream:
        # Written before anything runs, as --no-downstream writes it: a backfill killed on
        # the way left its downstream to nobody, and the next `eduhouse run` found nothing
        # new and called every asset up to date (the operations probe). Put back as it was
        # once the backfill ends, whether it succeeded or said why not.
        planned = set(defs.resolve_job_def(LANDING_DAILY_JOB).asset_layer.executable_asset_keys) if keys else set()
        planned |= {k for s in stages if exams and s.kind == "exam" for k in s.asset_keys}
        _defer_downstream(defs, stages, planned, keys, exams, backfill_id, select,
                          by=f"backfill {backfill_id}, which did not finish,")
    try:
        _backfill(defs, instance, keys, exams, downstream, rebuild, log, select, log_path, run_config, tags,
                  summary, stages, backfill_id)
    finally:
        if downstream:
            if prior is None:
                WorkJournal.clear(lake)
            else:
                prior.save(lake)
    runs = summary["runs"]
    summary["success"] = (summary["landing"] or {}).get("success", True) and all(r["success"] for r in runs)
    return summary


def _backfill(defs, instance, keys, exams, downstream, rebuild, log, select, log_path, run_config, tags, summary,
              stages, backfill_id) -> None:
    """The landing and what it feeds (run_backfill's body, inside its journal)."""
    roots: set[dg.AssetKey] = set()
    if keys:
        landing = defs.resolve_job_def(LANDING_DAILY_JOB)
        if not _has_assets(landing):
            raise RuntimeError("no daily-partitioned landing assets are defined (group 'landing')")
        landing_tags = {**tags, **range_tags(keys[0], keys[-1])}
        if rebuild:
            landing_tags[REBUILD_TAG] = "true"
        landing_tags.update({PID_TAG: str(os.getpid()), LABEL_TAG: "backfill landing"})
        _stderr(f"▶ backfill landing {keys[0]}..{keys[-1]}")
        with (open(log_path, "a", encoding="utf-8") if log_path else contextlib.nullcontext(sys.stderr)) as out, \
                contextlib.redirect_stdout(out):
            result = landing.execute_in_process(instance=instance, tags=landing_tags, raise_on_error=False,
                                                run_config=run_config or {})
        summary["landing"] = {"run_id": result.run_id, "success": result.success}
        log(f"landing {keys[0]}..{keys[-1]} ({counted(len(keys), 'day')}): "
            f"{'ok' if result.success else 'FAILED'} (run {result.run_id})")
        if not result.success:
            log("downstream skipped: landing failed")
            return
        roots |= set(landing.asset_layer.executable_asset_keys)
    for stage in stages:
        if exams and stage.kind == "exam":
            roots |= set(stage.asset_keys)
    if downstream:
        _run_downstream(defs, instance, stages, roots, keys, exams, tags, summary, log, select, log_path,
                        run_config)
    else:
        by = f"backfill {backfill_id} (--no-downstream)"
        summary["deferred"] = _defer_downstream(defs, stages, roots, keys, exams, backfill_id, select, by)
        log(f"downstream left to the next `eduhouse run`: {counted(summary['deferred']['assets'], 'asset')}")


def _defer_downstream(defs, stages, roots, keys, exams, backfill_id, select, by: str) -> dict:
    """--no-downstream: what the landed days (and the exams) feed is written into the
    lake's work journal (runner/recovery.py) for the next `eduhouse run` to build, rebuilt
    over those days and exams as this backfill would have. Left unsaid, that run found no
    new delivery in the inbox and called every asset up to date."""
    graph = defs.resolve_asset_graph()
    below = set(dg.AssetSelection.assets(*roots).downstream().resolve(graph))
    if select is not None:
        below &= set(select.resolve(graph))
    below -= {k for s in stages if s.landing for k in s.asset_keys}  # landed now
    lake = _lake_root(defs)
    WorkJournal.defer(lake, {k.to_user_string() for k in below}, ledger_ids(lake), keys, exams, by)
    return {"assets": len(below), "by": by}


def _run_downstream(defs, instance, stages, roots, keys, exams, tags, summary, log, select, log_path=None,
                    run_config=None) -> None:
    """Every stage's assets below `roots` (the exam assets themselves included)."""
    graph = defs.resolve_asset_graph()
    below = set(dg.AssetSelection.assets(*roots).downstream().resolve(graph))
    if select is not None:
        below &= set(select.resolve(graph))
    job = defs.resolve_implicit_global_asset_job_def()
    scope = Scope(_lake_root(defs), new_dates={s: keys for s in TIME_BASED_SOURCES} if keys else {},
                  new_exams=exams, rebuild=True)
    # as `eduhouse run`: what reads a source whose blocking check still fails (in this
    # backfill's landing or any earlier run) is not rebuilt from the refused data
    failing = failing_landing_checks(instance, graph)
    for stage in (s for s in stages if not s.landing):
        chosen = [k for k in stage.asset_keys if k in below]
        if not chosen:
            continue
        for run in partition_runs(stage, scope, instance):
            if summary["runs"] and not summary["runs"][-1]["success"]:
                log(f"{run.label}: skipped, an earlier run failed")
                continue
            held = held_by(chosen, graph, failing)
            if held:
                log(f"{run.label}: held back, a blocking check still fails on what it reads: {', '.join(held)}")
                summary["runs"].append({"label": run.label, "run_id": None, "success": False, "held_by": held})
                continue
            outcome = execute(job, instance, run.label, chosen, {**tags, **run.tags}, log_path, run_config)
            # a failed blocking check fails the run's part as a failed step does (outcome.ok)
            entry = {"label": run.label, "run_id": outcome.run_id, "success": outcome.ok}
            summary["runs"].append(entry)
            summary["downstream"] = {"run_id": outcome.run_id, "success": outcome.ok}
            log(f"{run.label}: {'ok' if outcome.ok else 'FAILED'} (run {outcome.run_id})")
