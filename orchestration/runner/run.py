"""`eduhouse run`: materialize every asset for what is in the inbox, in as few runs as
Dagster allows, and say what was landed, quarantined and built.

Run 1 holds the unpartitioned assets plus the daily partitions the inbox's new
deliveries touch (one range, landed by single-run backfill). Monthly assets follow, one
run per month touched. Only what new deliveries change is rebuilt (`--full` rebuilds
all). Runs go through the Dagster instance, so they show in the UI.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.dagster_home import get_instance
from orchestration.lake import SOURCES, TIME_BASED_SOURCES, LakePaths
from orchestration.runner.stages import plan_stages

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@dataclass
class RunOutcome:
    label: str
    run_id: str
    success: bool
    seconds: float
    log_path: Path | None = None
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    checks_passed: int = 0


def _pending_dates(lake: Path) -> dict[str, list[str]]:
    """Per time-based source, the local dates its not-yet-landed deliveries contain."""
    from orchestration.landing import pending_dates

    return {source: sorted(pending_dates(lake, source)) for source in TIME_BASED_SOURCES}


def _execute(job: dg.JobDefinition, instance, label, keys, tags, log_path: Path) -> RunOutcome:
    print(f"▶ {label}: {len(keys)} assets", file=sys.stderr, flush=True)
    started = time.monotonic()
    # Tools inside the run (dbt above all) write their own logs to stdout: keep them in
    # a file so the terminal shows one line per step and the summary.
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        result = job.execute_in_process(
            instance=instance,
            asset_selection=keys,
            tags={"eduhouse/trigger": "cli", **tags},
            raise_on_error=False,
            run_config={"loggers": {"step_lines": {}}},
        )
    outcome = RunOutcome(label, result.run_id, result.success, time.monotonic() - started, log_path)
    outcome.failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    for evaluation in result.get_asset_check_evaluations():
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        if evaluation.passed:
            outcome.checks_passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            outcome.failed_checks.append(name)
        else:
            outcome.warned_checks.append(name)
    return outcome


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
    return (selected | never) & everything


def run_everything(lake: Path, instance: dg.DagsterInstance | None = None, full: bool = False) -> list[RunOutcome]:
    """Materialize what the inbox's new deliveries change (everything with `full`).
    Returns one outcome per Dagster run; none when nothing is new."""
    os.environ["EDUHOUSE_LAKE"] = str(lake)
    from orchestration.definitions import defs as load_defs
    from orchestration.runner.progress import step_lines

    instance = instance or get_instance()
    defs = dg.Definitions.merge(load_defs(), dg.Definitions(loggers={"step_lines": step_lines}))
    job = defs.resolve_implicit_global_asset_job_def()
    stages = plan_stages(defs.resolve_asset_graph())
    selected = _selection(defs, instance, lake, full)

    pending = _pending_dates(lake)
    dates = sorted(set().union(*pending.values()))
    first_keys: list[dg.AssetKey] = []
    daily_def = None
    monthly = []
    for stage in stages:
        keys = [key for key in stage.asset_keys if key in selected]
        if stage.kind == "none":
            first_keys += keys
        elif stage.kind == "monthly":
            monthly.append(stage)
        elif dates:
            daily_def = stage.partitions_def
            if set(dates) <= set(stage.partitions_def.get_partition_keys()):
                first_keys += keys
            else:
                print(f"! dates outside the partitions ({dates[0]}..{dates[-1]}); set EDUHOUSE_PARTITIONS_START", file=sys.stderr)

    if not first_keys:
        print("  nothing new in the inbox: every asset is up to date", file=sys.stderr)
        return []
    tags = {}
    if dates and daily_def is not None:
        tags = {RANGE_START: dates[0], RANGE_END: dates[-1]}
        print(f"  new learning and access logs for {dates[0]} .. {dates[-1]} ({len(dates)} days)", file=sys.stderr)
    log_path = LakePaths(lake).root / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    outcomes = [_execute(job, instance, "ingest, model, check, report", first_keys, tags, log_path)]

    # The monthly publication is about platform usage: the months the learning logs touch.
    months = sorted({d[:7] for d in pending.get("xapi", [])})
    if not outcomes[0].success or outcomes[0].failed_checks:
        months = []  # blocking checks only hold back assets in their own run
    for stage in monthly:
        valid = set(stage.partitions_def.get_partition_keys())
        for month in months:
            key = f"{month}-01"
            if key in valid:
                outcomes.append(
                    _execute(job, instance, f"{stage.name} {month}", stage.asset_keys, {"dagster/partition": key}, log_path)
                )
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
