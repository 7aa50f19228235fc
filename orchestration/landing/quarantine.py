"""The per-delivery quarantine file: rejected records with the original text and why.

Handlers collect rows in a DuckDB temp table while they validate; the file
``quarantine/<source>/<delivery_id>.parquet`` is written once (atomically) per delivery,
even when empty, so re-landing a delivery replaces its rejects instead of adding to them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lake import LakePaths
from orchestration.landing.writer import copy_atomic, sql_str

TABLE = "_quarantine"

REASONS = (
    "unreadable_file", "not_utf8", "truncated_gzip", "malformed_json", "not_an_object",
    "missing_required", "invalid_type", "invalid_uuid", "invalid_iri", "invalid_timestamp",
    "score_out_of_range", "invalid_actor", "duplicate_id", "unknown_reference", "invalid_value",
    "invalid_enum", "invalid_date", "wrong_column_count", "missing_file", "missing_column",
    "unexpected_shape", "unsafe_path", "too_large", "duplicate_member", "line_too_long", "file_marked_absent",
)


def create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {TABLE} (file VARCHAR, position BIGINT, record VARCHAR, "
        "reason VARCHAR, detail VARCHAR)"
    )


def add(con: duckdb.DuckDBPyConnection, select_sql: str) -> None:
    """Append rows; ``select_sql`` yields (file, position, record, reason, detail)."""
    con.execute(f"INSERT INTO {TABLE} BY POSITION {select_sql}")


def add_whole(con: duckdb.DuckDBPyConnection, file: str | None, reason: str, detail: str) -> None:
    """One row for a file or delivery that cannot be read at all (position NULL)."""
    con.execute(f"INSERT INTO {TABLE} VALUES (?, NULL, NULL, ?, ?)", [file, reason, detail[:2000]])


def count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]


def by_reason(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(f"SELECT reason, count(*) FROM {TABLE} GROUP BY 1 ORDER BY 1").fetchall()
    return {r: n for r, n in rows}


def path_for(lake_root: Path, source: str, delivery_id: str) -> Path:
    return LakePaths(Path(lake_root)).quarantine / source / f"{delivery_id}.parquet"


def write(con: duckdb.DuckDBPyConnection, lake_root: Path, source: str, delivery_id: str,
          landed_at_sql: str) -> None:
    copy_atomic(
        con,
        f"SELECT {sql_str(source)} AS source, {sql_str(delivery_id)} AS delivery_id, file, "
        f"position::BIGINT AS position, record, reason, detail, {landed_at_sql} AS quarantined_at "
        f"FROM {TABLE} ORDER BY file NULLS FIRST, position NULLS FIRST",
        path_for(lake_root, source, delivery_id),
    )
