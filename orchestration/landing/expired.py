"""What retention removed, delivery by delivery: the records conservation counts as expired.

Retention deletes expired bronze days and quarantine files (automation/retention.py).
Their records were delivered and landed or quarantined; once deleted, the conservation
check (conservation.py), which recounts every ledgered delivery from the files, found
them missing, failed, and its blocking failure held back every later run of the lake (the
retention probe: the default quarantine setting did that to every lake a year old).

So before retention deletes a file it counts the file's rows by delivery and records them
here, one Parquet file per retention run and source, in `<lake>/ledger/<source>/expired/`
(beside the ledger, whose readers take only the source folder's own files). Conservation
counts a recorded file's rows as expired once the file is gone: a retention run killed
between the record and the deletion leaves the file where it is, counted as landed or
quarantined, never twice; a file landed again at the same path (a rebuild) is counted
where it is. Anything missing that retention did not record is still a loss.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lake import LakePaths

SCHEMA = pa.schema([
    ("path", pa.string()),  # relative to the lake
    ("kind", pa.string()),  # bronze | quarantine
    ("delivery_id", pa.string()),
    ("records", pa.int64()),
    ("removed_at", pa.timestamp("us", tz="UTC")),
])
# the column naming a row's delivery, by kind of file
DELIVERY_COLUMN = {"bronze": "_delivery", "quarantine": "delivery_id"}


def expired_dir(lake_root: Path, source: str) -> Path:
    return LakePaths(Path(lake_root)).ledger / source / "expired"


def record_removal(lake_root: Path, source: str, kind: str, files: Iterable[Path], now: datetime) -> int:
    """Count the files' rows by delivery and record them, before the files are deleted;
    returns the records counted."""
    lake_root = Path(lake_root)
    files = sorted(str(f) for f in files)
    if not files:
        return 0
    con = duckdb.connect()
    try:
        found = con.execute(
            f"SELECT filename, {DELIVERY_COLUMN[kind]}, count(*) FROM read_parquet(?, filename = true, "
            "union_by_name = true, hive_partitioning = false) GROUP BY ALL",
            [files],
        ).fetchall()
    finally:
        con.close()
    table = pa.table({
        "path": [str(Path(f).relative_to(lake_root)) for f, _, _ in found],
        "kind": [kind] * len(found),
        "delivery_id": [d for _, d, _ in found],
        "records": [n for _, _, n in found],
        "removed_at": [now] * len(found),
    }, schema=SCHEMA)
    folder = expired_dir(lake_root, source)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{now:%Y%m%dT%H%M%S_%fZ}_{kind}_{uuid.uuid4().hex[:6]}.parquet"
    tmp = folder / f".{target.name}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, target)
    return sum(n for _, _, n in found)


def _gone(lake_root: Path, source: str) -> list[tuple[str, str, str | None, int]]:
    """(path, kind, delivery, records) of the files retention recorded for `source` and
    that are gone: the one reader of the records, for conservation and for backfill."""
    files = sorted(str(p) for p in expired_dir(lake_root, source).glob("*.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    try:
        # a file recorded twice (a retention run killed after its record) counts once,
        # as its latest record says
        rows = con.execute(
            "SELECT path, kind, delivery_id, arg_max(records, removed_at) FROM read_parquet(?) GROUP BY ALL",
            [files],
        ).fetchall()
    finally:
        con.close()
    return [row for row in rows if not (lake_root / row[0]).exists()]


def expired_records(lake_root: Path, source: str) -> dict[str, int]:
    """Records per delivery in files retention recorded and that are gone."""
    out: dict[str, int] = {}
    for _, _, delivery, records in _gone(Path(lake_root), source):
        if delivery is not None:
            out[delivery] = out.get(delivery, 0) + records
    return out


def expired_days(lake_root: Path, sources: Iterable[str]) -> set[str]:
    """The local dates whose bronze retention removed (recorded, and gone), of `sources`."""
    days: set[str] = set()
    for source in sources:
        for path, kind, _, _ in _gone(Path(lake_root), source):
            match = _LOCAL_DATE.search(path)
            if kind == "bronze" and match:
                days.add(match.group(1))
    return days


_LOCAL_DATE = re.compile(r"local_date=(\d{4}-\d{2}-\d{2})")
