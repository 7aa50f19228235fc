"""Asset selections by role in the pipeline, resolved against whatever the parts define.

Automation must not hard-code other parts' asset keys: landing is the `landing` group,
"downstream" is every unpartitioned asset that depends on it (dbt models, checks'
targets, reports, the audit) and "partitioned downstream" the partitioned ones (the
daily, monthly and exam dbt models). Partitioned assets cannot share a job with
unpartitioned ones, hence the partitioning filter.
"""

from typing import AbstractSet  # noqa: UP035

import dagster as dg
from dagster import AssetSelection
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph
from dagster._record import record

from orchestration.conditions import PARTITION_KINDS, tagged

LANDING_GROUP = "landing"
PUBLICATION_KEY = dg.AssetKey(["reports", "monthly_publication"])
RETENTION_KEY = dg.AssetKey(["ops", "retention"])


@record
class PartitioningSelection(dg.AssetSelection):
    """The assets of `child` that are (or are not) partitioned."""

    child: AssetSelection
    partitioned: bool

    def resolve_inner(self, asset_graph: BaseAssetGraph, allow_missing: bool) -> AbstractSet[dg.AssetKey]:
        return {
            key
            for key in self.child.resolve_inner(asset_graph, allow_missing=allow_missing)
            if asset_graph.has(key)
            and asset_graph.get(key).is_materializable
            and (asset_graph.get(key).partitions_def is not None) == self.partitioned
        }

    def to_selection_str(self) -> str:
        kind = "partitioned" if self.partitioned else "unpartitioned"
        return f"{kind}({self.child.to_selection_str()})"


def landing_unpartitioned() -> dg.AssetSelection:
    return PartitioningSelection(child=dg.AssetSelection.groups(LANDING_GROUP), partitioned=False)


def landing_daily() -> dg.AssetSelection:
    return PartitioningSelection(child=dg.AssetSelection.groups(LANDING_GROUP), partitioned=True)


def downstream() -> dg.AssetSelection:
    """Everything unpartitioned that depends on landing, except operations' own assets."""
    below = dg.AssetSelection.groups(LANDING_GROUP).downstream(include_self=False)
    return PartitioningSelection(child=below, partitioned=False) - dg.AssetSelection.keys(
        PUBLICATION_KEY, RETENTION_KEY
    )


def partitioned_downstream() -> dg.AssetSelection:
    """The partitioned assets below landing that declarative automation keeps current:
    those tagged with their partitioning (``eduhouse/partition``; they carry their own
    condition), without their checks (those run in their asset's runs)."""
    below = dg.AssetSelection.groups(LANDING_GROUP).downstream(include_self=False)
    marked = tagged(PARTITION_KINDS[0])
    for kind in PARTITION_KINDS[1:]:
        marked = marked | tagged(kind)
    return (PartitioningSelection(child=below & marked, partitioned=True)
            - dg.AssetSelection.keys(PUBLICATION_KEY, RETENTION_KEY)).without_checks()


def unfed() -> dg.AssetSelection:
    """Assets that read nothing, outside landing and operations: the dbt seeds (the
    governance policy's tables) and column_classification, built when missing
    (conditions.seed_condition)."""
    return dg.AssetSelection.all().roots() - dg.AssetSelection.groups(LANDING_GROUP) - dg.AssetSelection.keys(
        PUBLICATION_KEY, RETENTION_KEY)


def automated() -> dg.AssetSelection:
    """What `downstream_automation` evaluates: both of the above, and the seeds. Left out,
    the seeds' condition went to Dagster's default automation sensor, which is stopped
    unless turned on: a lake the daemon alone builds never had its policy tables, and
    every model reading them waited (the UI showed that sensor, stopped)."""
    return downstream() | partitioned_downstream() | unfed()
