"""The access log `eduhouse serve` writes into the inbox, and how it becomes a delivery.

A delivery is immutable, but the server appends all day. So the server appends to an
*open segment*, ``inbox/access/eduhouse-serve-<local date>.jsonl.part``, which landing
ignores (``.part``), and a segment is *sealed* (renamed to
``eduhouse-serve-<local date>-<sealed at>.jsonl``, an ordinary access delivery) when the
day ends, when the server stops, and when ``eduhouse run`` starts, so the run lands every
event served before it. Sealing and appending exclude each other with ``flock`` on the
segment: the server locks, checks that its file is still the open segment (same inode
at the path), appends and fsyncs; the sealer locks and renames. An append that finds its
file sealed opens a new segment, so no event lands twice and none is left behind.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime
from pathlib import Path

from orchestration.lake import LakePaths

PREFIX = "eduhouse-serve-"
OPEN_SUFFIX = ".jsonl.part"


def open_segment(lake: Path, local_date: str) -> Path:
    return LakePaths(Path(lake)).inbox_for("access") / f"{PREFIX}{local_date}{OPEN_SUFFIX}"


def segments(lake: Path) -> list[Path]:
    """Every segment the server wrote, open or sealed, oldest first."""
    folder = LakePaths(Path(lake)).inbox_for("access")
    return sorted(folder.glob(f"{PREFIX}*.jsonl*")) if folder.is_dir() else []


def seal(path: Path) -> Path | None:
    """Rename one open segment into a delivery; None when it is gone or empty."""
    try:
        fh = os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND), "a")  # never creates it
    except FileNotFoundError:
        return None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            if not path.exists() or os.fstat(fh.fileno()).st_ino != path.stat().st_ino:
                return None  # sealed by someone else meanwhile
            if os.fstat(fh.fileno()).st_size == 0:
                path.unlink()
                return None
            day = path.name[len(PREFIX):-len(OPEN_SUFFIX)]
            sealed = path.with_name(f"{PREFIX}{day}-{datetime.now().strftime('%Y%m%dT%H%M%S%f')}.jsonl")
            os.rename(path, sealed)
            _fsync_dir(path.parent)
            return sealed
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def seal_open_segments(lake: Path) -> list[Path]:
    """Seal every open segment (``eduhouse run`` calls this before it looks for work)."""
    folder = LakePaths(Path(lake)).inbox_for("access")
    if not folder.is_dir():
        return []
    return [s for s in (seal(p) for p in sorted(folder.glob(f"{PREFIX}*{OPEN_SUFFIX}"))) if s is not None]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
