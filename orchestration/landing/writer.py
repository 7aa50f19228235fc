"""Atomic Parquet writes: DuckDB COPY to a temp name, then ``os.replace``.

Bronze files are per (table, [local_date,] delivery), so landing a delivery again
overwrites exactly its own files and never duplicates rows.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from orchestration.faults import fault_point

# zstd level 1: a few percent larger than the default level, much faster to write.
# A 100 kB cap on a string column's dictionary page: columns of few distinct values
# (codes, IRIs, names) still get a dictionary, while near-unique text (ids, timestamps)
# gives up at once instead of building a 1 MB dictionary first (it saved ~20 % of the
# xAPI write while bronze held each statement's full text; without it, neutral).
PARQUET = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, STRING_DICTIONARY_PAGE_SIZE_LIMIT 100000"


def copy_atomic(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    """Write the query's rows to ``target`` (zstd Parquet) atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        con.execute(f"COPY ({select_sql}) TO '{_q(tmp)}' ({PARQUET})")
        fault_point(f"parquet:{target.name}")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def copy_partitioned(
    con: duckdb.DuckDBPyConnection, select_sql: str, table_dir: Path, delivery_id: str,
    dates: list[str],
) -> list[str]:
    """Write rows to ``table_dir/local_date=D/<delivery_id>.parquet`` for each local date.

    One filtered COPY per date (a delivery holds a few dates; this is much cheaper than
    ``PARTITION_BY``), each atomic; files of this delivery for dates it no longer has
    are removed. Returns the dates written.
    """
    table_dir.mkdir(parents=True, exist_ok=True)
    for d in dates:
        copy_atomic(con, f"SELECT * FROM ({select_sql}) WHERE local_date = DATE '{d}'",
                    table_dir / f"local_date={d}" / f"{delivery_id}.parquet")
    for stale in table_dir.glob(f"local_date=*/{delivery_id}.parquet"):
        if stale.parent.name.split("=", 1)[1] not in dates:
            stale.unlink()
    return dates


def remove_delivery(table_dir: Path, delivery_id: str) -> None:
    """Drop a delivery's files from a table (used when a re-land yields nothing for it)."""
    for f in list(table_dir.glob(f"{delivery_id}.parquet")) + list(
        table_dir.glob(f"local_date=*/{delivery_id}.parquet")
    ):
        f.unlink()


def _q(path: Path | str) -> str:
    return str(path).replace("'", "''")


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
