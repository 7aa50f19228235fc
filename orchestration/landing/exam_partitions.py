"""Exam partitions: one Dagster partition per exam_id, registered as exams land.

The exam marts are partitioned by exam (``orchestration.partitions.exam_partitions``, a
dynamic partitioning), so an exam must exist as a partition before anything can
materialize or backfill it. The exams landing asset calls ``register_exam_partitions``
after each landing: it reads the exam ids from bronze (the Parquet footers' worth of
data, one small column) and adds the ones the instance does not know yet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lake import LakePaths
from orchestration.partitions import EXAM_PARTITIONS_NAME, NO_EXAM_YET

log = logging.getLogger(__name__)

# Every exam table carries exam_id; scores or items may name an exam the exams file of
# the same delivery lacks (it is then quarantined or not, but it is still an exam).
EXAM_TABLES = ("exams", "exam_items", "exam_scores")
# Characters Dagster refuses in a partition key.
_INVALID = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


def _files(lake_root: Path, delivery_ids: Iterable[str] | None) -> list[str]:
    bronze = LakePaths(Path(lake_root)).bronze / "exams"
    out = []
    for table in EXAM_TABLES:
        folder = bronze / table
        if delivery_ids is None:
            out += [str(p) for p in sorted(folder.glob("*.parquet"))]
        else:
            out += [str(folder / f"{d}.parquet") for d in delivery_ids if (folder / f"{d}.parquet").exists()]
    return out


def exam_ids(lake_root: Path, delivery_ids: Iterable[str] | None = None) -> list[str]:
    """Sorted distinct exam ids in bronze, of the given deliveries or of all of them."""
    files = _files(lake_root, None if delivery_ids is None else list(delivery_ids))
    if not files:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT exam_id FROM read_parquet(?, union_by_name=true) "
            "WHERE exam_id IS NOT NULL AND exam_id <> '' ORDER BY 1",
            [files],
        ).fetchall()
    finally:
        con.close()
    ids = [r[0] for r in rows]
    bad = [i for i in ids if any(s in i for s in _INVALID)]
    if bad:
        log.warning("exam ids that cannot be Dagster partition keys are not registered: %s", bad[:10])
    return [i for i in ids if i not in bad]


def register_exam_partitions(instance: dg.DagsterInstance, lake_root: Path,
                             delivery_ids: Iterable[str] | None = None) -> list[str]:
    """Add every exam id in bronze (or in the given deliveries) that is not a partition
    yet; returns the added ones. Idempotent: re-landing adds nothing. The first real exam
    removes the placeholder partition the exam models were first built on."""
    ids = [i for i in exam_ids(lake_root, delivery_ids) if i != NO_EXAM_YET]
    known = set(instance.get_dynamic_partitions(EXAM_PARTITIONS_NAME))
    missing = [i for i in ids if i not in known]
    if missing:
        instance.add_dynamic_partitions(EXAM_PARTITIONS_NAME, missing)
    if ids and NO_EXAM_YET in known:
        instance.delete_dynamic_partition(EXAM_PARTITIONS_NAME, NO_EXAM_YET)
    return missing
