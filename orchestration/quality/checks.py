"""The bridge: each suite file becomes a Dagster asset check on the asset it names.

One ``@dg.asset_check`` per suite (its own step, so an ERROR on one asset blocks only
that asset's downstream). ``blocking`` is set when the suite holds any ``error``
expectation; a failed run of it yields ``AssetCheckResult(passed=False,
severity=ERROR)`` and Dagster skips the downstream assets. A suite whose failures are all
``warn`` yields ``severity=WARN``: shown in the UI and the run summary, nothing skipped.

Daily-partitioned bronze suites (``partitioned: daily``) validate the local dates of the
run being checked: its ``dagster/partition`` tag, or the range tags a single-run backfill
carries; run outside any partition they validate the latest local date present.

Freshness is one multi-asset check (``freshness`` on every ``bronze/<source>`` named in
``expectations/freshness.yaml``), computed from the landing ledger without GX.
"""


from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.quality.docs import build_data_docs
from orchestration.quality.freshness import FRESHNESS_FILE, FreshnessRule, evaluate, load_rules
from orchestration.quality.results import to_check_result, write_results, write_suite_run
from orchestration.quality.suites import Suite, load_suites
from orchestration.quality.validate import Window, partition_dirs, run_suite
from orchestration.resources import LakeResource
from orchestration.settings import EXPECTATIONS_DIR, get_settings
from orchestration.worker import call

PARTITION_TAG = "dagster/partition"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def checked_window(context, suite: Suite, lake: Path) -> Window | None:
    """The local dates to validate for a daily-partitioned suite, from the run: its
    partition or range, widened to the dates its landing put outside that range (a run's
    range is the days its deliveries are for; a late or stray record lands all the same)."""
    if suite.partitioned != "daily":
        return None
    tags = context.run.tags if context is not None else {}
    window = None
    if tags.get(RANGE_START) and tags.get(RANGE_END):
        window = Window.of(tags[RANGE_START], tags[RANGE_END])
    elif tags.get(PARTITION_TAG):
        window = Window.of(tags[PARTITION_TAG])
    if window is not None:
        outside = _this_runs_metadata(context, dg.AssetKey(list(suite.asset)), "dates_outside_range") or []
        days = [date.fromisoformat(str(d)[:10]) for d in outside] + [window.start, window.end]
        return Window(min(days), max(days))
    view = next(v for v in suite.views if v.name == suite.dataset)
    dirs = partition_dirs(Path(lake) / view.parquet, view.partitioned_by or "local_date")
    latest: date | None = max(dirs, default=None)
    return Window.of(latest) if latest else None


def _this_runs_metadata(context, asset_key: dg.AssetKey, name: str):
    """A list the asset's materialization in this run holds under ``name``; None when this
    run did not materialize it or said nothing."""
    if context is None:
        return None
    event = context.instance.get_latest_materialization_event(asset_key)
    if event is None or event.run_id != context.run.run_id or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get(name)
    return value.value if value is not None and isinstance(value.value, list) else None


def landed_deliveries(context, asset_key: dg.AssetKey) -> set[str] | None:
    """The delivery ids the asset's materialization in this run landed (landing's
    ``delivery_ids`` metadata); None when this run did not materialize it or said nothing."""
    ids = _this_runs_metadata(context, asset_key, "delivery_ids")
    return set(ids) if ids is not None else None


def validate_suite(
    suite: Suite, lake: Path, run_id: str, window: Window | None, deliveries: set[str] | None = None
) -> dg.AssetCheckResult:
    """Run a suite, keep its results, refresh the data docs, and map to a check result."""
    settings = get_settings()
    params = {"partitions_start": settings.partitions_start, "timezone": settings.timezone}
    # in a child of the run's worker, which imported GX while the run started (2.6 s)
    run = call(run_suite, suite, lake, window=window, params=params, deliveries=deliveries)
    results_file = write_suite_run(lake, run, run_id)
    docs = build_data_docs(lake)
    return to_check_result(
        outcomes=run.outcomes, passed=run.passed, severity=run.severity, partition=run.partition,
        results_file=results_file, docs_file=docs, seconds=run.seconds,
        extra={"files_read": dg.MetadataValue.int(run.files_read),
               "suite_file": dg.MetadataValue.path(str(suite.path))},
    )


def _suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    description = suite.description or f"Great Expectations suite {suite.layer}/{suite.path.name}"

    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset)),
        name=suite.name,
        description=description,
        blocking=suite.blocking,
        metadata={"suite_file": str(suite.path), "severity": suite.severity, "engine": "great_expectations"},
    )
    def _check(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
        root = Path(lake.root)
        deliveries = landed_deliveries(context, dg.AssetKey(list(suite.asset)))
        return validate_suite(suite, root, context.run.run_id, checked_window(context, suite, root), deliveries)

    return _check


def _freshness_check(rules: list[FreshnessRule]) -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            "freshness", asset=dg.AssetKey(["bronze", r.source]), blocking=r.severity == "error",
            description=f"{r.source}: latest delivery within {r.max_age}"
            + (f", data at most {r.max_data_lag} behind the lake" if r.max_data_lag else ""),
        )
        for r in rules
    ]
    by_key = {dg.AssetKey(["bronze", r.source]): r for r in rules}

    @dg.multi_asset_check(specs=specs, can_subset=True, name="source_freshness")
    def _check(context: dg.AssetCheckExecutionContext, lake: LakeResource):
        root = Path(lake.root)
        selected = [by_key[k.asset_key] for k in context.selected_asset_check_keys]
        outcomes = evaluate(root, selected)
        for rule in selected:
            found = outcomes[rule.source]
            failures = [o for o in found if not o.success]
            results_file = write_results(
                root, dataset=f"freshness_{rule.source}", layer="freshness",
                asset_key=f"bronze/{rule.source}", check_name="freshness", outcomes=found,
                partition=None, run_id=context.run.run_id, seconds=0.0,
                suite_file=FRESHNESS_FILE.name,
            )
            yield to_check_result(
                outcomes=found, passed=not failures, severity=rule.severity, partition=None,
                results_file=results_file, docs_file=None, seconds=0.0,
                asset_key=dg.AssetKey(["bronze", rule.source]), check_name="freshness",
                extra={"observed": dg.MetadataValue.text("; ".join(o.observed or "" for o in found))},
            )
        build_data_docs(root)

    return _check


def build_quality_checks(
    expectations_dir: Path = EXPECTATIONS_DIR, freshness_file: Path | None = None
) -> list[dg.AssetChecksDefinition]:
    """Every suite under ``expectations_dir`` as a check, plus freshness when configured."""
    checks = [_suite_check(s) for s in load_suites(expectations_dir)]
    freshness_file = freshness_file or Path(expectations_dir) / "freshness.yaml"
    if freshness_file.exists():
        rules = load_rules(freshness_file)
        if rules:
            checks.append(_freshness_check(rules))
    return checks
