"""What is new in the inbox: a cheap listing (name, size, mtime) compared with a cursor.

The inbox sensor must not hash or parse deliveries on every tick, so it watches only
file-system signatures; the ledger (one file per landed delivery) says what is done.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration.lake import SOURCES, LakePaths
from orchestration.landing import deliveries
from orchestration.landing.pending import pending_dates as landing_pending_dates

_SUFFIXES = (".jsonl", ".gz", ".zip", ".csv")
_IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


def _ignored(name: str) -> bool:
    return name.startswith((".", "~")) or name.lower().endswith(_IGNORED_SUFFIXES)


def delivery_id_for(name: str) -> str:
    """The landing package's delivery id of a file name (docs/interfaces.md)."""
    return deliveries.delivery_id_for(name)


@dataclass(frozen=True)
class Entry:
    """One delivery in the inbox as the file system sees it."""

    source: str
    name: str
    size: int
    mtime: float

    @property
    def signature(self) -> str:
        return f"{self.size}:{self.mtime_ns}"

    @property
    def mtime_ns(self) -> int:
        return int(self.mtime * 1e9)

    @property
    def delivery_id(self) -> str:
        return delivery_id_for(self.name)


def _entry(source: str, path: Path) -> Entry:
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and not _ignored(p.name)]
        stats = [p.stat() for p in files] or [path.stat()]
        return Entry(source, path.name, sum(s.st_size for s in stats if files),
                     max(s.st_mtime for s in stats))
    st = path.stat()
    return Entry(source, path.name, st.st_size, st.st_mtime)


def scan(lake_root: Path, source: str) -> list[Entry]:
    """Every delivery under inbox/<source>/, in name order."""
    inbox = LakePaths(Path(lake_root)).inbox / source
    if not inbox.is_dir():
        return []
    return [_entry(source, p) for p in sorted(inbox.iterdir()) if not _ignored(p.name)]


def ledgered(lake_root: Path, source: str) -> set[str]:
    """Delivery ids already in the ledger (a ledger file is named by its delivery id)."""
    folder = LakePaths(Path(lake_root)).ledger / source
    if not folder.is_dir():
        return set()
    return {p.name[: -len(".parquet")] for p in folder.glob("*.parquet")}


def load_cursor(raw: str | None) -> dict[str, dict[str, str]]:
    return json.loads(raw) if raw else {}


def dump_cursor(cursor: dict[str, dict[str, str]]) -> str:
    return json.dumps(cursor, sort_keys=True, separators=(",", ":"))


def new_entries(lake_root: Path, cursor: dict[str, dict[str, str]], settle_seconds: float,
                now: float | None = None, sources=SOURCES) -> tuple[dict[str, list[Entry]], dict]:
    """Deliveries not in the ledger whose signature the cursor has not seen yet.

    Returns them by source and the next cursor. The cursor keeps only deliveries not yet
    in the ledger, so it stays small however long the inbox grows. Entries changed in the
    last `settle_seconds` (still being copied) wait for a later tick.
    """
    now = time.time() if now is None else now
    found: dict[str, list[Entry]] = {}
    next_cursor: dict[str, dict[str, str]] = {}
    for source in sources:
        done = ledgered(lake_root, source)
        seen = cursor.get(source, {})
        kept: dict[str, str] = {}
        for entry in scan(lake_root, source):
            if entry.delivery_id in done:
                continue
            if now - entry.mtime < settle_seconds:
                if entry.name in seen:
                    kept[entry.name] = seen[entry.name]
                continue
            kept[entry.name] = entry.signature
            if seen.get(entry.name) != entry.signature:
                found.setdefault(source, []).append(entry)
        if kept:
            next_cursor[source] = kept
    return found, next_cursor


def pending_dates(lake_root: Path, source: str, timezone: str | None = None) -> list[str]:
    """Local dates (YYYY-MM-DD) that unlanded deliveries of a time-based source carry."""
    values = (landing_pending_dates(Path(lake_root), source, timezone) if timezone
              else landing_pending_dates(Path(lake_root), source))
    out = set()
    for value in values or ():
        out.add(value.isoformat() if isinstance(value, date) else str(value)[:10])
    return sorted(out)
