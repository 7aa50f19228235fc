"""The landing ledger: one Parquet row per delivery, written last.

A delivery without a ledger row is not landed yet (a run killed half-way simply lands it
again); one with a row is never landed again unless a rebuild is asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lake import LakePaths

SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("delivery_id", pa.string()),
        ("delivery_path", pa.string()),
        ("content_sha256", pa.string()),
        ("size_bytes", pa.int64()),
        ("records_in", pa.int64()),
        ("landed", pa.int64()),
        ("quarantined", pa.int64()),
        ("status", pa.string()),
        ("duplicate_of", pa.string()),
        ("reason", pa.string()),
        ("local_dates", pa.list_(pa.string())),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass
class LedgerRow:
    source: str
    delivery_id: str
    delivery_path: str
    content_sha256: str
    size_bytes: int
    records_in: int
    landed: int
    quarantined: int
    status: str  # landed | duplicate | unreadable
    started_at: datetime
    finished_at: datetime
    duplicate_of: str | None = None
    reason: str | None = None
    local_dates: list[str] = field(default_factory=list)


def ledger_dir(lake_root: Path, source: str) -> Path:
    return LakePaths(Path(lake_root)).ledger / source


def write_row(lake_root: Path, row: LedgerRow) -> Path:
    """Atomically write the delivery's one-row ledger file."""
    target = ledger_dir(lake_root, row.source) / f"{row.delivery_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = {name: [getattr(row, name)] for name in SCHEMA.names}
    data["local_dates"] = [sorted(str(d) for d in row.local_dates)]
    table = pa.Table.from_pydict(data, schema=SCHEMA)
    tmp = target.with_name(f".{target.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, target)
    return target


def read_ledger(lake_root: Path, source: str) -> list[dict]:
    """All ledger rows of a source (empty when nothing has landed)."""
    folder = ledger_dir(lake_root, source)
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return []
    con = duckdb.connect()
    try:
        cur = con.execute(
            "SELECT * FROM read_parquet(?, union_by_name=true) ORDER BY delivery_id",
            [str(folder / "*.parquet")],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
