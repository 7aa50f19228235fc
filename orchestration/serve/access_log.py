"""Every request the server answers, allowed, masked or denied, becomes one access event
in the ``access/*.jsonl`` contract format, durably on disk before the response leaves.

``seq`` rises by one per ``client_app`` across restarts: at start the server reads the
highest seq of each client app from the segments it wrote before (open or sealed;
deliveries stay in the inbox after landing), and one lock serialises numbering and
appending, so seq order is file order and a crash can leave no gap. A line is one
``write`` of a file opened ``O_APPEND``: a killed server leaves whole lines.

Durability is a group commit: a request returns only once an ``fsync`` that began after
its line was written has finished. Requests that arrive while one ``fsync`` runs share
the next one, so eight concurrent clients cost one disk flush per batch, not per line,
and no response ever leaves before its event is on disk. The segment protocol (open ``.part`` file, sealed into a delivery) is
:mod:`orchestration.landing.access_segments`.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from orchestration.landing.access_segments import open_segment, seal, segments


def recovered_seqs(lake: Path) -> dict[str, int]:
    """client_app -> the highest seq already written by this lake's server."""
    files = [str(p) for p in segments(lake) if p.stat().st_size > 0]
    if not files:
        return {}
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select client_app, max(try_cast(seq as bigint)) from read_json(?, format='newline_delimited', "
            "columns={'client_app': 'VARCHAR', 'seq': 'VARCHAR'}, ignore_errors=true) "
            "where client_app is not null group by all", [files]).fetchall()
    finally:
        con.close()
    return {app: int(seq) for app, seq in rows if seq is not None}


class AccessLog:
    def __init__(self, lake: Path, timezone: str):
        self.lake = Path(lake)
        self.tz = ZoneInfo(timezone)
        self._lock = threading.Lock()
        self._seq = recovered_seqs(self.lake)
        self._fd: int | None = None
        self._path: Path | None = None
        self.written = 0
        # group commit: lines appended so far, and how many of them an fsync has covered
        self._sync_lock = threading.Lock()
        self._synced = 0

    def _open(self, day: str) -> int:
        path = open_segment(self.lake, day)
        if self._fd is not None and self._path != path:
            # A new local day: the previous day's segment becomes a delivery.
            self._close_fd()
            seal(self._path)
        if self._fd is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._path = path
        return self._fd

    def _append(self, day: str, line: bytes) -> None:
        for _ in range(3):
            fd = self._open(day)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                here = self._path.stat().st_ino if self._path.exists() else None
                if here == os.fstat(fd).st_ino:
                    os.write(fd, line)
                    return
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._close_fd()  # sealed under us by `eduhouse run`: start a new segment
        raise OSError(f"could not append to the access log at {self._path}")

    def record(self, *, principal_id: str, role: str, client_app: str, resource: str, columns: list[str],
               purpose: str, decision: str, grant_id: str | None, rows_returned: int,
               subject_ids: list[str], now: datetime, action: str = "read") -> dict:
        """Number, write and fsync one event; returns it."""
        with self._lock:
            now = now.astimezone(self.tz)
            seq = self._seq.get(client_app, 0) + 1
            event = {
                "event_id": str(uuid.uuid4()), "seq": seq, "event_time": now.isoformat(timespec="milliseconds"),
                "principal_id": principal_id, "role": role, "client_app": client_app, "action": action,
                "resource": resource, "columns": list(columns), "purpose": purpose, "decision": decision,
                "grant_id": grant_id, "rows_returned": rows_returned, "subject_ids": list(subject_ids),
            }
            line = (json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            self._append(now.date().isoformat(), line)
            self._seq[client_app] = seq
            self.written += 1
            mine = self.written
        self._sync(mine)
        return event

    def _sync(self, mine: int) -> None:
        """Return once line number ``mine`` is on disk (group commit, see module doc)."""
        with self._sync_lock:
            if self._synced >= mine:
                return  # a flush that began after our write covered it
            # No segment closes while we hold _sync_lock (_close_fd takes it), so the fd
            # stays open; lines counted in ``covered`` were written before we read it.
            # self._lock is not taken: appends go on during the flush.
            covered, fd = self.written, self._fd
            if fd is not None:
                os.fsync(fd)
            self._synced = covered

    def _close_fd(self) -> None:
        """Flush and close the open segment (under self._lock): everything written to it
        is durable, so waiters of the group commit need no fsync of a closed file."""
        with self._sync_lock:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._synced = self.written

    def close(self) -> None:
        """Stop writing and seal the open segment into a delivery."""
        with self._lock:
            if self._fd is not None:
                self._close_fd()
                seal(self._path)
