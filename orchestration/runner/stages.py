"""Split the asset graph into runs Dagster can execute: one run per partitioning.

A Dagster run targets one partition (or one range) of assets that share a partitions
definition, so `eduhouse run` (and `eduhouse backfill`) materializes the graph in
stages, in dependency order. Landing comes first (unpartitioned sources, then the daily
ones); the rest goes in rounds: each round runs, in the order unpartitioned, daily, exam,
monthly, every asset of that partitioning whose inputs are all built (or built in the
same run). The tiny district's graph gives: landing, unpartitioned models the partitioned
ones read (roster, exams), the daily event models, the exam marts, the unpartitioned
models between (months, term profiles), the monthly usage marts, then the rest (marts,
checks, reports, audit). Assets that run one partition per run (the monthly
publication: no single-run backfill policy) come last.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from orchestration.ordering import order_in_rounds

# Within a round: what the partitioned models read first, the months after the days.
STAGE_NAMES = {
    "none": "models, checks, reports and audit",
    "daily": "daily models",
    "exam": "exam models",
    "monthly": "monthly models",
}


@dataclass
class Stage:
    name: str
    kind: str  # none | daily | monthly | exam
    asset_keys: list[dg.AssetKey]
    partitions_def: dg.PartitionsDefinition | None = None
    # False: one partition per run (assets without a single-run backfill policy).
    single_run: bool = True
    landing: bool = False


def partitioning_kind(partitions_def: dg.PartitionsDefinition | None) -> str:
    """none | daily | monthly | exam | other."""
    if partitions_def is None:
        return "none"
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        if partitions_def.cron_schedule.startswith("0 0 * * *"):
            return "daily"
        if partitions_def.cron_schedule.startswith("0 0 1 * *"):
            return "monthly"
    if isinstance(partitions_def, dg.DynamicPartitionsDefinition) and partitions_def.name == "exam":
        return "exam"
    return "other"


def plan_stages(asset_graph, landing_group: str = "landing") -> list[Stage]:
    """Landing stages, then the rest in rounds, every materializable asset exactly once."""
    keys = sorted(asset_graph.materializable_asset_keys, key=lambda k: k.to_user_string())
    kinds = {k: partitioning_kind(asset_graph.get(k).partitions_def) for k in keys}
    unknown = [k.to_user_string() for k in keys if kinds[k] == "other"]
    if unknown:
        raise ValueError(f"assets with a partitioning `eduhouse run` cannot schedule: {', '.join(unknown)}")
    landing = [k for k in keys if asset_graph.get(k).group_name == landing_group]
    stages = []
    for kind, name in (("none", "landing"), ("daily", "landing (daily partitions)")):
        chosen = [k for k in landing if kinds[k] == kind]
        if chosen:
            stages.append(Stage(name, kind, chosen, asset_graph.get(chosen[0]).partitions_def, landing=True))
    odd = [k.to_user_string() for k in landing if kinds[k] not in ("none", "daily")]
    if odd:
        raise ValueError(f"landing assets with a partitioning `eduhouse run` cannot schedule: {', '.join(odd)}")

    def single_run(key) -> bool:
        policy = asset_graph.get(key).backfill_policy
        return kinds[key] == "none" or (policy is not None and policy.max_partitions_per_run is None)

    rest = [k for k in keys if k not in set(landing)]
    for kind, chosen in order_in_rounds(rest, lambda k: asset_graph.get(k).parent_keys, kinds.__getitem__,
                                        last=lambda k: not single_run(k)):
        one_run = single_run(chosen[0])
        name = STAGE_NAMES[kind] if one_run else f"{kind} assets, one partition per run"
        if kind == "monthly" and not one_run:
            name = "monthly publication"
        stages.append(Stage(name, kind, chosen, asset_graph.get(chosen[0]).partitions_def, one_run))
    return stages
