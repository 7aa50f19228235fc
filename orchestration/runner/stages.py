"""Split the asset graph into runs Dagster can execute: one run per partitioning.

A Dagster run targets one partition (or one range) of assets that share a partitions
definition. `eduhouse run` therefore materializes the graph in stages, in dependency
order: unpartitioned landing, daily landing over the dates the inbox holds, then the
unpartitioned rest (dbt, checks, reports, audit), then monthly assets per month.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass
class Stage:
    name: str
    kind: str  # none | daily | monthly
    asset_keys: list[dg.AssetKey]
    partitions_def: dg.PartitionsDefinition | None = None


def _kind(partitions_def: dg.PartitionsDefinition | None) -> str:
    if partitions_def is None:
        return "none"
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        if partitions_def.cron_schedule.startswith("0 0 * * *"):
            return "daily"
        if partitions_def.cron_schedule.startswith("0 0 1 * *"):
            return "monthly"
    return "other"


def plan_stages(asset_graph, landing_group: str = "landing") -> list[Stage]:
    """Group materializable assets into ordered stages by (landing?, partitioning)."""
    buckets: dict[tuple[bool, str], list] = {}
    defs_by_kind: dict[str, dg.PartitionsDefinition | None] = {"none": None}
    for key in sorted(asset_graph.materializable_asset_keys, key=lambda k: k.to_user_string()):
        node = asset_graph.get(key)
        kind = _kind(node.partitions_def)
        defs_by_kind.setdefault(kind, node.partitions_def)
        buckets.setdefault((node.group_name == landing_group, kind), []).append(key)

    order = [
        ((True, "none"), "landing"),
        ((True, "daily"), "landing (daily partitions)"),
        ((False, "daily"), "daily assets"),
        ((False, "none"), "warehouse, checks, reports and audit"),
        ((False, "monthly"), "monthly publication"),
    ]
    stages = [
        Stage(name, bucket[1], buckets.pop(bucket), defs_by_kind[bucket[1]])
        for bucket, name in order
        if bucket in buckets
    ]
    if buckets:
        leftover = ", ".join(k.to_user_string() for keys in buckets.values() for k in keys)
        raise ValueError(f"assets with a partitioning `eduhouse run` cannot schedule: {leftover}")
    return stages
