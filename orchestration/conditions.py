"""When declarative automation rebuilds an asset below landing, by partitioning.

Dagster runs one partitioning per run: when a tick requests, say, a day of the event
models and the unpartitioned models after them, they go out as separate runs that may
start in any order. Dagster's `will_be_requested` already counts only dependencies that
ride in the same run; in addition every condition here waits while a dependency is
requested *in another run* this tick (`RequestedInAnotherRun`) or in progress, so a
model reads its inputs after they were rebuilt, not before (and is not rebuilt twice).
Nor is anything built from a landed source whose latest blocking check refused its data
(`RefusedByCheck`, as `eduhouse run` and `eduhouse backfill` hold, runner/holds.py)
until a later landing passes it, nor while an `eduhouse run` or backfill holds the lake
(`LakeHeldByCommand`): it builds in its own order, and a tick between two of its runs
requested, beside it, the models it was about to build from inputs half rebuilt.

- unpartitioned (the sensor's default): any dependency updated since last requested;
  dbt seeds (no dependencies): when missing.
- daily (dbt models tagged ``partition_daily``): day D when a daily dependency's day D was
  updated (landing of that day, an event model of that day). Updates of unpartitioned
  dependencies (a new roster) do not request every day since 2021: backfill if needed.
- monthly: month M when a daily dependency's day in M or a monthly dependency's M was
  updated (unpartitioned inputs alone, likewise, do not request every month).
- exam: a newly registered exam, or any dependency updated (every exam catches up:
  cheap, the dbt models load only what is new for them).

Partitioned dbt assets carry the tag ``eduhouse/partition`` = ``daily|monthly|exam``
(orchestration/transform/translator.py); selections here use it, never other parts' keys.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph import executable_in_same_run

from orchestration.lake import TIME_BASED_SOURCES, lake_in_use
from orchestration.settings import get_settings

AC = dg.AutomationCondition
PARTITION_TAG = "eduhouse/partition"
PARTITION_KINDS = ("daily", "monthly", "exam")
# Landing's daily assets (interfaces.md: bronze/xapi and bronze/access, local dates).
DAILY_LANDING = dg.AssetSelection.keys(*(dg.AssetKey(["bronze", s]) for s in TIME_BASED_SOURCES))


def tagged(kind: str) -> dg.AssetSelection:
    return dg.AssetSelection.tag(PARTITION_TAG, kind)


class RequestedInAnotherRun(dg.AutomationCondition):
    """True for a dependency requested this tick that cannot share the run of the asset
    being evaluated (another partitioning): that run may start first."""

    @property
    def name(self) -> str:
        return "requested_in_another_run"

    @property
    def description(self) -> str:
        return "Requested this tick in a run of another partitioning"

    def evaluate(self, context):  # context: AutomationContext
        requested = context.request_subsets_by_key.get(context.key)
        if requested is None or not isinstance(context.key, dg.AssetKey) or executable_in_same_run(
            asset_graph=context.asset_graph, child_key=context.root_context.key, parent_key=context.key
        ):
            return dg.AutomationResult(context=context, true_subset=context.get_empty_subset())
        return dg.AutomationResult(context=context, true_subset=requested)


class NeverBuilt(dg.AutomationCondition):
    """True for an asset no partition of which was ever materialized (a fresh lake).

    Dagster's `missing` on a partitioned dependency of an unpartitioned asset means *any*
    partition is missing, which is always so for sparse days; this asks whether there is
    anything to read at all."""

    @property
    def name(self) -> str:
        return "never_built"

    @property
    def description(self) -> str:
        return "No partition ever materialized"

    async def evaluate(self, context):  # context: AutomationContext
        if not isinstance(context.key, dg.AssetKey):
            return dg.AutomationResult(context=context, true_subset=context.get_empty_subset())
        built = await context.asset_graph_view.compute_materialized_asset_subset(context.key)
        requested = context.request_subsets_by_key.get(context.key)
        if built.is_empty and (requested is None or requested.is_empty):
            return dg.AutomationResult(context=context, true_subset=context.candidate_subset)
        return dg.AutomationResult(context=context, true_subset=context.get_empty_subset())


class LakeHeldByCommand(dg.AutomationCondition):
    """True (for every candidate) while an `eduhouse run` or `eduhouse backfill` holds the
    lake's lock (lake.lake_in_use): the command is building, and the daemon waits."""

    @property
    def name(self) -> str:
        return "lake_held_by_command"

    @property
    def description(self) -> str:
        return "An eduhouse run or backfill holds the lake"

    def evaluate(self, context):  # context: AutomationContext
        held = lake_in_use(get_settings().lake)
        return dg.AutomationResult(context=context, true_subset=context.candidate_subset if held
                                   else context.get_empty_subset())


def refuses(record) -> bool:
    """Whether a check's latest execution record (``AssetCheckExecutionRecord``) refused
    its asset's data: failed at ERROR severity. A failed WARN check (an implausible value,
    the house rule's warning) holds nothing back."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    if record is None or record.status != AssetCheckExecutionRecordStatus.FAILED or record.event is None:
        return False
    evaluation = record.event.dagster_event.event_specific_data
    return getattr(evaluation, "severity", None) == dg.AssetCheckSeverity.ERROR


class RefusedByCheck(dg.AutomationCondition):
    """True for a check whose latest execution refused its asset's data (``refuses``), in
    whichever run it ran. Dagster's ``all_deps_blocking_checks_passed`` would hold on a
    failed warning too, and the bronze suites warn on implausible values by design."""

    @property
    def name(self) -> str:
        return "refused_by_check"

    @property
    def description(self) -> str:
        return "Latest execution failed at ERROR severity"

    async def evaluate(self, context):  # context: AutomationContext[AssetCheckKey]
        from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecord

        record = await AssetCheckExecutionRecord.gen(context.asset_graph_view, context.key)
        refused = isinstance(context.key, dg.AssetCheckKey) and refuses(record)
        return dg.AutomationResult(context=context, true_subset=context.candidate_subset if refused
                                   else context.get_empty_subset())


def partitioned_models() -> dg.AssetSelection:
    return tagged("daily") | tagged("monthly") | tagged("exam")


# Landing assets may legitimately never run (a source a district does not deliver): the
# dbt staging models read an undelivered source as zero rows, so they do not wait for it.
LANDING = dg.AssetSelection.groups("landing")


def _guarded(trigger: dg.AutomationCondition, label: str) -> dg.AutomationCondition:
    """`trigger` held until requested, once no dependency is in progress or about to run
    in another run, and every model it reads exists (on a fresh lake a model waits for
    the tables it reads): unpartitioned ones built, partitioned ones built for at least
    one partition (they are sparse by nature: most days have no data)."""
    return (
        trigger.since(AC.newly_requested())
        & ~AC.any_deps_in_progress()
        & ~AC.any_deps_match(RequestedInAnotherRun()).with_label("any deps requested in another run")
        & ~AC.any_deps_missing().ignore(partitioned_models() | LANDING).with_label("any unpartitioned models missing")
        & ~AC.any_deps_match(NeverBuilt()).allow(partitioned_models()).with_label("any partitioned models never built")
        # as `eduhouse run` (runner/holds.py): not from data a blocking check of landing refused
        & ~AC.any_deps_match(AC.any_checks_match(RefusedByCheck(), blocking_only=True))
        .allow(LANDING).with_label("a blocking check refused a landed input")
        & ~AC.in_progress()
        & ~LakeHeldByCommand()
    ).with_label(label)


def unpartitioned_condition() -> dg.AutomationCondition:
    return _guarded(AC.any_deps_updated(), "deps updated since last requested, none in progress")


def seed_condition() -> dg.AutomationCondition:
    """dbt seeds (and a model that reads nothing) depend on nothing, so no update ever
    requests them: build when missing. Dagster's on_missing counts the first evaluation
    as handled (what is missing when the sensor starts is left alone), so a lake the
    daemon alone builds never got its policy tables: missing at that first evaluation
    requests them too."""
    return (AC.on_missing()
            | (AC.missing() & AC.initial_evaluation() & ~AC.in_progress()).with_label("missing when first evaluated")
            ).with_label("missing (when first evaluated, or since)")


def daily_condition() -> dg.AutomationCondition:
    return _guarded(AC.any_deps_updated().allow(tagged("daily") | DAILY_LANDING),
                    "the day's daily inputs updated, none in progress")


def monthly_condition() -> dg.AutomationCondition:
    return _guarded(AC.any_deps_updated().allow(tagged("monthly") | tagged("daily") | DAILY_LANDING),
                    "a day or input of the month updated, none in progress")


def exam_condition() -> dg.AutomationCondition:
    return _guarded(AC.newly_missing() | AC.any_deps_updated(), "new exam or inputs updated, none in progress")


def condition_for(kind: str | None) -> dg.AutomationCondition | None:
    """The condition of a partitioned dbt asset; None (the sensor's default) otherwise."""
    return {"daily": daily_condition, "monthly": monthly_condition, "exam": exam_condition}.get(
        kind or "", lambda: None)()
