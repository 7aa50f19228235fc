"""Which partitions a partitioned stage runs: the days, months and exams new deliveries
touched, read from the ledger after landing.

The ledger says what a landing did: each new row of a time-based source lists the local
dates its records fall on (`local_dates`), and a new exams row names a delivery whose
exam ids are in bronze. A stage whose assets must run but that no new delivery touched
(they were never built, or an unpartitioned input changed, or `--full`) runs every
partition the lake holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.lake import TIME_BASED_SOURCES, LakePaths
from orchestration.partitions import EXAM_PARTITIONS_NAME, NO_EXAM_YET, REBUILD_TAG
from orchestration.runner.execute import range_tags
from orchestration.runner.stages import Stage

PARTITION_TAG = "dagster/partition"


def ledger_ids(lake: Path) -> dict[str, set[str]]:
    """Delivery ids in the ledger, per source (the files' names: no Parquet read)."""
    root = LakePaths(Path(lake)).ledger
    return {p.name: {f.stem for f in p.glob("*.parquet")} for p in root.iterdir() if p.is_dir()} if root.is_dir() else {}


def _rows(lake: Path, source: str, ids: set[str] | None) -> list[dict]:
    from orchestration.landing.ledger import read_ledger

    return [r for r in read_ledger(Path(lake), source)
            if r["status"] == "landed" and (ids is None or r["delivery_id"] in ids)]


def ledger_dates(lake: Path, ids: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
    """Per time-based source, the local dates of its landed deliveries (only `ids`, per
    source, when given)."""
    out: dict[str, list[str]] = {}
    for source in TIME_BASED_SOURCES:
        wanted = None if ids is None else ids.get(source, set())
        if wanted is not None and not wanted:
            continue
        dates = {str(d)[:10] for row in _rows(lake, source, wanted) for d in row["local_dates"] or []}
        if dates:
            out[source] = sorted(dates)
    return out


def landed_exam_ids(lake: Path, ids: set[str]) -> list[str]:
    """Exam ids of the exam deliveries `ids` that landed."""
    from orchestration.landing.exam_partitions import exam_ids

    landed = [r["delivery_id"] for r in _rows(lake, "exams", ids)] if ids else []
    return exam_ids(Path(lake), landed) if landed else []


@dataclass
class Scope:
    """What the runs after landing cover: the new days and exams (empty = nothing new of
    that kind: every partition the lake holds), or `every` partition; `rebuild` replaces
    the partitions from all upstream data instead of catching up."""

    lake: Path
    new_dates: dict[str, list[str]] = field(default_factory=dict)  # per time-based source
    new_exams: list[str] = field(default_factory=list)
    every: bool = False
    rebuild: bool = False

    @classmethod
    def after_landing(cls, lake: Path, before: dict[str, set[str]], full: bool = False) -> Scope:
        after = ledger_ids(lake)
        new = {s: after.get(s, set()) - before.get(s, set()) for s in after}
        return cls(Path(lake), ledger_dates(lake, new), landed_exam_ids(lake, new.get("exams", set())),
                   every=full, rebuild=full)

    def with_deferred(self, dates: set[str], exams: set[str]) -> Scope:
        """This scope plus the days and exams a backfill landed and left to this run
        (--no-downstream; WorkJournal.defer): rebuilt, as the backfill would have."""
        if not dates and not exams:
            return self
        new_dates = {s: sorted(set(self.new_dates.get(s, [])) | dates) for s in TIME_BASED_SOURCES} \
            if dates else dict(self.new_dates)
        return Scope(self.lake, new_dates, sorted(set(self.new_exams) | exams), every=self.every, rebuild=True)

    def dates(self, sources: set[str]) -> list[str]:
        """The days to run for assets that read `sources`: the new ones, else all."""
        new = {d for s in sources for d in self.new_dates.get(s, [])}
        if new and not self.every:
            return sorted(new)
        every = ledger_dates(self.lake)
        return sorted({d for s in sources for d in every.get(s, [])})


@dataclass
class PartitionRun:
    """One run of a stage: a label for people and the run's partition tags."""

    label: str
    tags: dict[str, str]


def _valid(partitions_def: dg.PartitionsDefinition, keys: list[str]) -> list[str]:
    """The keys inside a time partitioning (records before its start are not partitions)."""
    return [k for k in keys if partitions_def.has_partition_key(k)]


def exam_blocks(registered: list[str], wanted: set[str]) -> list[tuple[str, str, int]]:
    """Contiguous runs of `wanted` in registration order: (first, last, count); a range of
    dynamic partitions is by position, so a gap needs a second run."""
    blocks: list[list[str]] = []
    previous = False
    for key in registered:
        if key in wanted:
            if previous:
                blocks[-1].append(key)
            else:
                blocks.append([key])
        previous = key in wanted
    return [(b[0], b[-1], len(b)) for b in blocks]


def _months_through_latest(scope: Scope, sources: set[str], dates: list[str]) -> list[str]:
    """The monthly partition keys ('YYYY-MM-01'): the months of `dates`, and every later
    month of the lake's span for `sources` (its first month holding data to its latest).

    A month's figures read the months before it: `registered` counts whoever used the
    platform by the month's end, a school's flags follow it from month to month. So a late
    delivery for September changes October too; rebuilding September alone left October's
    `registered` short (the late-deliveries probe: 42 where 45). The months before the
    lake's first are no months of it: a backfill of February in a lake that begins in
    October built March to September from the roster alone, months a full build never
    makes, so the marts depended on what had been backfilled (the retention probe)."""
    if not dates:
        return []
    held = sorted({d[:7] for s in sources for d in ledger_dates(scope.lake).get(s, [])})
    months = {d[:7] for d in dates}
    start = max([dates[0][:7], *held[:1]])
    last = max([*held[-1:], *months])
    year, month = int(start[:4]), int(start[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        months.add(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [f"{m}-01" for m in sorted(months)]


def _month_blocks(keys: list[str]) -> list[tuple[str, str]]:
    """Consecutive months as (first, last): a range of partitions holds every month
    between its ends."""
    blocks: list[list[str]] = []
    for key in keys:
        year, month = int(key[:4]), int(key[5:7])
        before = f"{year - 1:04d}-12-01" if month == 1 else f"{year:04d}-{month - 1:02d}-01"
        if blocks and blocks[-1][-1] == before:
            blocks[-1].append(key)
        else:
            blocks.append([key])
    return [(b[0], b[-1]) for b in blocks]


def partition_runs(stage: Stage, scope: Scope, instance: dg.DagsterInstance,
                   sources: Iterable[str] = TIME_BASED_SOURCES, never_built: bool = False) -> list[PartitionRun]:
    """The runs of one stage; [] when it has nothing to run on. Time partitions follow the
    days of the time-based `sources` the stage reads.

    `never_built`: the stage's tables do not exist yet. A district that delivers no xAPI
    and no access log has no days, yet its unpartitioned models read the daily and monthly
    ones: the stage then runs once on its first partition, which creates its tables,
    empty and typed, so every mart that can be built is."""
    if stage.kind == "none":
        return [PartitionRun(stage.name, {})]
    rebuild = {REBUILD_TAG: "true"} if scope.rebuild else {}
    pdef = stage.partitions_def
    if stage.kind == "exam":
        registered = list(instance.get_dynamic_partitions(EXAM_PARTITIONS_NAME))
        wanted = set(registered) if scope.every or not scope.new_exams else set(scope.new_exams) & set(registered)
        if registered == [NO_EXAM_YET]:
            return [PartitionRun(f"{stage.name}: no exam yet, empty tables", {PARTITION_TAG: NO_EXAM_YET, **rebuild})]
        return [PartitionRun(f"{stage.name} {first}..{last} ({n} exams)", {**range_tags(first, last), **rebuild})
                for first, last, n in exam_blocks(registered, wanted)]
    dates = scope.dates(set(sources))
    keys = dates if stage.kind == "daily" else _months_through_latest(scope, set(sources), dates)
    keys = _valid(pdef, keys)
    if not keys and never_built:
        first = pdef.get_first_partition_key()
        return [PartitionRun(f"{stage.name}: no data yet, empty tables", {PARTITION_TAG: first})]
    if not keys:
        return []
    if not stage.single_run:
        return [PartitionRun(f"{stage.name} {k[:7]}", {PARTITION_TAG: k}) for k in keys]
    if stage.kind == "daily":
        return [PartitionRun(f"{stage.name} {keys[0]}..{keys[-1]}", {**range_tags(keys[0], keys[-1]), **rebuild})]
    return [PartitionRun(f"{stage.name} {first[:7]}..{last[:7]}", {**range_tags(first, last), **rebuild})
            for first, last in _month_blocks(keys)]
