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

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import dagster as dg

# Within a round: what the partitioned models read first, the months after the days.
KIND_ORDER = ("none", "daily", "exam", "monthly")
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


def order_in_rounds(keys: Iterable[Hashable], parents_of: Callable[[Hashable], Iterable[Hashable]],
                    kind_of: Callable[[Hashable], str],
                    last: Callable[[Hashable], bool] = lambda _k: False) -> list[tuple[str, list]]:
    """Greedy rounds (see the module docstring): [(kind, keys)] in execution order.

    Parents outside `keys` count as built. Keys for which `last` is true run only when
    nothing else can (after everything they do not feed)."""
    remaining = set(keys)
    done: set = set()
    out: list[tuple[str, list]] = []

    def closure(kind: str, deferred: bool) -> set:
        batch: set = set()
        grew = True
        while grew:
            grew = False
            for key in remaining - batch:
                if kind_of(key) != kind or last(key) != deferred:
                    continue
                if all(p in done or p in batch or p not in remaining for p in parents_of(key)):
                    batch.add(key)
                    grew = True
        return batch

    while remaining:
        progressed = False
        for deferred in (False, True):
            for kind in KIND_ORDER:
                batch = closure(kind, deferred)
                if batch:
                    out.append((kind, sorted(batch, key=str)))
                    done |= batch
                    remaining -= batch
                    progressed = True
            if progressed:
                break
        if not progressed:
            raise ValueError(f"cannot order these assets into runs: {sorted(map(str, remaining))}")
    return out


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
