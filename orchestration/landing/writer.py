"""Atomic Parquet writes: DuckDB COPY to a temp name, then ``os.replace``.

Bronze files are per (table, [local_date,] delivery), so landing a delivery again
overwrites exactly its own files and never duplicates rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

PARQUET = "FORMAT parquet, COMPRESSION zstd"


def copy_atomic(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    """Write the query's rows to ``target`` (zstd Parquet) atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        con.execute(f"COPY ({select_sql}) TO '{_q(tmp)}' ({PARQUET})")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def copy_partitioned(
    con: duckdb.DuckDBPyConnection, select_sql: str, table_dir: Path, delivery_id: str
) -> list[str]:
    """Write rows to ``table_dir/local_date=D/<delivery_id>.parquet`` for each local date.

    One COPY with PARTITION_BY into a temp folder, then each file is renamed into place;
    files of this delivery for dates it no longer has are removed. Returns the dates.
    """
    table_dir.mkdir(parents=True, exist_ok=True)
    tmp = table_dir / f".tmp-{delivery_id}-{uuid.uuid4().hex}"
    try:
        con.execute(
            f"COPY ({select_sql}) TO '{_q(tmp)}' ({PARQUET}, PARTITION_BY (local_date), "
            f"WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'part_{{i}}')"
        )
        written: list[str] = []
        for part_dir in sorted(tmp.glob("local_date=*")):
            files = sorted(part_dir.glob("*.parquet"))
            if not files:
                continue
            local_date = part_dir.name.split("=", 1)[1]
            dest_dir = table_dir / part_dir.name
            dest_dir.mkdir(parents=True, exist_ok=True)
            if len(files) > 1:  # merge thread outputs into the one per-delivery file
                merged = part_dir / "merged.parquet.tmp"
                paths = ", ".join(f"'{_q(f)}'" for f in files)
                con.execute(f"COPY (SELECT * FROM read_parquet([{paths}])) TO '{_q(merged)}' ({PARQUET})")
                files = [merged]
            os.replace(files[0], dest_dir / f"{delivery_id}.parquet")
            written.append(local_date)
        for stale in table_dir.glob(f"local_date=*/{delivery_id}.parquet"):
            if stale.parent.name.split("=", 1)[1] not in written:
                stale.unlink()
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
