"""The landing ledger: one Parquet row per delivery, written last.

A delivery without a ledger row is not landed yet (a run killed half-way simply lands it
again); one with a row is never landed again unless a rebuild is asked for.
"""

from __future__ import annotations

import os
import threading
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
    """All ledger rows of a source (empty when nothing has landed), in delivery id order.

    A run asks for a source's ledger a dozen times and more (what is new, what landed,
    the conservation checks, the holds): each file is read once per process and kept by
    its identity (inode, time, size: a row is written to a new file and renamed into
    place, never changed in place), so a later call reads only the files written since.
    Read whole every call, the new day's two dozen calls took 1.1 s, growing with the
    deliveries held."""
    folder = ledger_dir(lake_root, source)
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".parquet") and not e.name.startswith(".")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    rows: list[dict] = []
    unread: dict[str, tuple[int, int, int]] = {}
    for entry in entries:
        stat = entry.stat()
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        kept = _READ.get(entry.path)
        if kept is not None and kept[0] == identity:
            rows.extend(kept[1])
        else:
            unread[entry.path] = identity
    if unread:
        by_file = _read_files(sorted(unread))
        for path, identity in unread.items():
            _READ[path] = (identity, by_file.get(path, []))
            rows.extend(_READ[path][1])
    rows.sort(key=lambda row: row["delivery_id"])
    return [dict(row) for row in rows]  # the kept rows stay as read, whatever callers do


# path -> (identity, its rows), for this process (a forked child starts with a copy)
_READ: dict[str, tuple[tuple[int, int, int], list[dict]]] = {}
_CONNECTION: tuple[int, duckdb.DuckDBPyConnection] | None = None
_CONNECTION_LOCK = threading.Lock()


def _read_files(paths: list[str]) -> dict[str, list[dict]]:
    """The rows of these ledger files, by file, in one query (older files may lack newer
    columns: union by name)."""
    cursor = _cursor()
    try:
        cur = cursor.execute("SELECT * FROM read_parquet(?, union_by_name=true, filename=true)", [paths])
        cols = [d[0] for d in cur.description]
        by_file: dict[str, list[dict]] = {}
        for values in cur.fetchall():
            row = dict(zip(cols, values, strict=True))
            by_file.setdefault(row.pop("filename"), []).append(row)
        return by_file
    finally:
        cursor.close()


def _cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on this process's own in-memory database: a new database costs about 27 ms,
    more than reading a source's ledger. A forked child makes its own (DuckDB's threads do
    not survive a fork)."""
    global _CONNECTION
    with _CONNECTION_LOCK:
        if _CONNECTION is None or _CONNECTION[0] != os.getpid():
            _CONNECTION = (os.getpid(), duckdb.connect())
        return _CONNECTION[1].cursor()
