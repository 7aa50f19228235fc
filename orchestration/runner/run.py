"""`eduhouse run`: materialize every asset for what is in the inbox, in as few runs as
Dagster allows, and say what was landed, quarantined and built.

A run holds one partitioning (stages.py): landing first (the new deliveries; the daily
sources over the range of local days they hold), then, in dependency order, the
unpartitioned models the partitioned ones read, the daily models over the days landing
touched (one run over min..max, read from the ledger), the exam models of the exams that
landed, the monthly models of the months touched, the unpartitioned rest (marts, checks,
reports, audit) and the monthly publication. Only what new deliveries change is rebuilt;
`--full` rebuilds everything (every partition, with `rebuild`). Runs go through the
Dagster instance, so they show in the UI. A failed run stops the stages after it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import dagster as dg

from orchestration.dagster_home import get_instance
from orchestration.lake import SOURCES, TIME_BASED_SOURCES, LakePaths
from orchestration.partitions import EXAM_PARTITIONS_NAME
from orchestration.runner.execute import RANGE_END, RANGE_START, RunOutcome, execute, range_tags
from orchestration.runner.scope import Scope, ledger_dates, ledger_ids, partition_runs
from orchestration.runner.stages import Stage, partitioning_kind, plan_stages

__all__ = ["RANGE_END", "RANGE_START", "RunOutcome", "run_everything", "summarize"]
STEP_LINES = {"loggers": {"step_lines": {}}}


def _pending_dates(lake: Path) -> dict[str, list[str]]:
    """Per time-based source, the local dates its not-yet-landed deliveries contain."""
    from orchestration.landing import pending_dates

    return {source: sorted(pending_dates(lake, source)) for source in TIME_BASED_SOURCES}


def _changed_sources(lake: Path) -> list[str]:
    """Sources with deliveries in the inbox that the ledger has not seen."""
    from orchestration.landing.core import pending

    return [source for source in SOURCES if pending(lake, source)]


def _selection(defs: dg.Definitions, instance, lake: Path, full: bool) -> set[dg.AssetKey]:
    """What this run must build: everything downstream of a source with new deliveries,
    plus anything never materialized (a first run, a new model). Nothing else changed."""
    graph = defs.resolve_asset_graph()
    everything = set(graph.materializable_asset_keys)
    if full:
        return everything
    changed = [dg.AssetKey(["bronze", source]) for source in _changed_sources(lake)]
    selected = set(dg.AssetSelection.assets(*changed).downstream().resolve(graph)) if changed else set()
    never = {key for key in everything if instance.get_latest_materialization_event(key) is None}
    # A partitioned asset with no partition to run on yet (no exam landed, no day) waits.
    kinds = {partitioning_kind(graph.get(k).partitions_def) for k in never}
    idle = {kind for kind in kinds - {"none"} if not _has_partitions(kind, instance, lake)}
    never = {k for k in never if partitioning_kind(graph.get(k).partitions_def) not in idle}
    return (selected | never) & everything


def _has_partitions(kind: str, instance, lake: Path) -> bool:
    if kind == "exam":
        return bool(instance.get_dynamic_partitions(EXAM_PARTITIONS_NAME))
    return bool(ledger_dates(lake))


def _time_sources(graph, keys) -> set[str]:
    """The time-based sources whose landing assets `keys` read (their days matter)."""
    upstream = dg.AssetSelection.assets(*keys).upstream().resolve(graph)
    return {s for s in TIME_BASED_SOURCES if dg.AssetKey(["bronze", s]) in upstream}


def _landing_run(stages: list[Stage], selected: set, lake: Path) -> tuple[list[dg.AssetKey], dict]:
    """The landing run: new deliveries of every source; the daily sources over the range
    of local days their new deliveries hold (one run lands each file once)."""
    keys: list[dg.AssetKey] = []
    tags: dict[str, str] = {}
    for stage in (s for s in stages if s.landing):
        chosen = [k for k in stage.asset_keys if k in selected]
        if stage.kind == "none" or not chosen:
            keys += chosen
            continue
        pending = _pending_dates(lake)
        dates = sorted(set().union(*pending.values()))
        valid = [d for d in dates if stage.partitions_def.has_partition_key(d)]
        if len(valid) < len(dates):
            print(f"! dates outside the partitions ({dates[0]}..{dates[-1]}); set EDUHOUSE_PARTITIONS_START",
                  file=sys.stderr)
        if valid:
            keys += chosen
            tags = range_tags(valid[0], valid[-1])
            print(f"  new learning and access logs for {valid[0]} .. {valid[-1]} ({len(valid)} days)",
                  file=sys.stderr)
    return keys, tags


def run_everything(lake: Path, instance: dg.DagsterInstance | None = None, full: bool = False) -> list[RunOutcome]:
    """Materialize what the inbox's new deliveries change (everything with `full`).
    Returns one outcome per Dagster run; none when nothing is new."""
    os.environ["EDUHOUSE_LAKE"] = str(lake)
    from orchestration.definitions import defs as load_defs
    from orchestration.runner.progress import step_lines

    instance = instance or get_instance()
    defs = dg.Definitions.merge(load_defs(), dg.Definitions(loggers={"step_lines": step_lines}))
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    stages = plan_stages(graph)
    selected = _selection(defs, instance, lake, full)
    if not selected:
        print("  nothing new in the inbox: every asset is up to date", file=sys.stderr)
        return []

    log_path = LakePaths(lake).root / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    base_tags = {"eduhouse/trigger": "cli"}
    outcomes: list[RunOutcome] = []
    before = ledger_ids(lake)
    keys, tags = _landing_run(stages, selected, lake)
    if keys:
        outcomes.append(execute(job, instance, "land new deliveries", keys, {**base_tags, **tags}, log_path, STEP_LINES))
    scope = Scope.after_landing(lake, before, full=full)
    for stage in (s for s in stages if not s.landing):
        keys = [k for k in stage.asset_keys if k in selected]
        if not keys:
            continue
        runs = partition_runs(stage, scope, instance, _time_sources(graph, keys))
        if not runs:
            print(f"  {stage.name}: no partitions to run on", file=sys.stderr)
        for run in runs:
            if outcomes and not outcomes[-1].ok:
                # Blocking checks only hold back assets in their own run: stop here.
                print(f"  {run.label}: skipped, an earlier run failed", file=sys.stderr)
                continue
            outcomes.append(execute(job, instance, run.label, keys, {**base_tags, **run.tags}, log_path, STEP_LINES))
    return outcomes


def summarize(lake: Path, outcomes: list[RunOutcome]) -> str:
    """The closing lines: what was landed, quarantined and built, and where to look."""
    import duckdb

    paths = LakePaths(lake)
    lines = ["", "Summary"]
    con = duckdb.connect()
    if any(paths.ledger.glob("*/*.parquet")):
        rows = con.execute(
            f"""select source, count(*) deliveries, sum(records_in), sum(landed), sum(quarantined),
                   count(*) filter (where status = 'duplicate'), count(*) filter (where status = 'unreadable')
                from read_parquet('{paths.ledger}/*/*.parquet', union_by_name=true)
                group by source order by source"""
        ).fetchall()
        lines.append(f"  {'source':<11}{'deliveries':>11}{'records':>12}{'landed':>12}{'quarantined':>13}  duplicates/unreadable")
        for source, deliveries, records, landed, quarantined, dup, bad in rows:
            lines.append(
                f"  {source:<11}{deliveries:>11,}{records or 0:>12,}{landed or 0:>12,}{quarantined or 0:>13,}  {dup}/{bad}"
            )
    marts = sorted(p.stem for p in paths.marts.glob("*.parquet"))
    if marts:
        lines.append(f"  public marts ({len(marts)}): {paths.marts}/  [{', '.join(marts)}]")
    restricted = sorted(p.stem for p in paths.restricted.glob("*.parquet"))
    if restricted:
        lines.append(f"  restricted marts ({len(restricted)}): {paths.restricted}/")
    pages = list(paths.reports.rglob("*.html")) if paths.reports.exists() else []
    if pages:
        lines.append(f"  reports: {len(pages):,} pages under {paths.reports}/ (start at {paths.reports / 'index.html'})")
        district = sorted(p for p in (paths.reports / "district_admin").glob("*.html") if p.name != "index.html")
        if district:
            lines.append(f"  district administrator's report: {district[0]}")
        audit = sorted((paths.reports / "governance").glob("*.html"))
        if audit:
            lines.append(f"  governance audit: {audit[0]}")
    for outcome in outcomes:
        state = "ok" if outcome.success and not outcome.failed_checks else "FAILED"
        lines.append(
            f"  run {outcome.run_id[:8]} {outcome.label}: {state} in {outcome.seconds:.0f}s, "
            f"checks {outcome.checks_passed} passed, {len(outcome.warned_checks)} warned, {len(outcome.failed_checks)} failed"
        )
        if outcome.failed_steps or outcome.failed_checks:
            lines.append(f"    tool output: {outcome.log_path}")
        for step in outcome.failed_steps:
            lines.append(f"    failed step: {step}")
        for check in outcome.failed_checks:
            lines.append(f"    failed check (error): {check}")
    return "\n".join(lines)
