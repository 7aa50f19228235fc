"""The published marts held in memory, so a request reads only its own rows.

A read of a student-level mart wants a handful of students (a parent: one child; a
teacher: a class) out of millions of rows. DuckDB over the Parquet file decodes a whole
row group per request (about 4 ms for one student, 20 to 30 ms for a class at district
scale, most of the served latency). Here each mart is loaded once per publication:

- strings dictionary-encoded as they are read (a district's ``student_knowledge``, 4 M
  rows, holds about 210 MB instead of 730 MB, and is never decoded whole);
- for a mart with ``student_key`` (exported in key order, see the ``export_parquet``
  macro), the offsets of each student's run, so the rows of N students are one
  vectorised ``take`` of N runs.

The decided SQL then runs over that slice exactly as it ran over the file (the scope
and consent predicates are still applied to it), so nothing of the policy moves here.
A new publication is picked up without a restart: the file's mtime is checked at most
once a second and a changed file is loaded again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CHECK_EVERY_S = 1.0


@dataclass
class _Loaded:
    mtime_ns: int
    table: pa.Table
    keys: np.ndarray | None = None  # student_key of each run, sorted
    starts: np.ndarray | None = None
    ends: np.ndarray | None = None


def _read(path: Path) -> pa.Table:
    """The file with every string column dictionary-encoded while reading."""
    schema = pq.read_schema(path)
    strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    table = pq.read_table(path, read_dictionary=strings)
    if strings:
        # one dictionary per column (each row group brought its own), then one chunk
        table = table.unify_dictionaries().combine_chunks()
    return table


def _runs(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each student's run of rows: (keys sorted, start, end). Raises _Unsorted when a
    student's rows are not contiguous (the export writes student marts in key order; a
    file written otherwise is sorted by the caller rather than trusted)."""
    column = table.column("student_key")
    if not len(column):
        empty = np.array([], dtype=np.int64)
        return np.array([], dtype=object), empty, empty
    chunk = column.chunk(0)
    if not pa.types.is_dictionary(chunk.type):
        chunk = pc.dictionary_encode(chunk)
    codes = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
    distinct, starts, counts = np.unique(codes, return_index=True, return_counts=True)
    if int(np.count_nonzero(codes[1:] != codes[:-1])) + 1 != len(distinct):
        raise _Unsorted
    keep = distinct >= 0  # a row without a student_key belongs to no student
    distinct, starts, counts = distinct[keep], starts[keep], counts[keep]
    keys = np.asarray(chunk.dictionary.take(pa.array(distinct)).to_pylist(), dtype=object)
    order = np.argsort(keys)
    starts = starts[order].astype(np.int64)
    return keys[order], starts, starts + counts[order]


class _Unsorted(Exception):
    """The file is not in student_key order."""


def _load(path: Path, mtime_ns: int) -> _Loaded:
    table = _read(path)
    if "student_key" not in table.column_names:
        return _Loaded(mtime_ns, table)
    try:
        keys, starts, ends = _runs(table)
    except _Unsorted:
        table = table.take(pc.sort_indices(pc.cast(table.column("student_key"), pa.string())))
        keys, starts, ends = _runs(table)
    return _Loaded(mtime_ns, table, keys, starts, ends)


class PublishedRows:
    """Mart path -> its rows in memory, reloaded when the publication changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loading: dict[Path, threading.Lock] = {}
        self._loaded: dict[Path, _Loaded] = {}
        self._checked: dict[Path, float] = {}

    def _current(self, path: Path) -> _Loaded:
        now = time.monotonic()
        loaded = self._loaded.get(path)
        if loaded is not None and now - self._checked.get(path, 0.0) < CHECK_EVERY_S:
            return loaded
        with self._lock:
            gate = self._loading.setdefault(path, threading.Lock())
        with gate:  # one load per file; concurrent requests wait for it
            mtime = path.stat().st_mtime_ns
            loaded = self._loaded.get(path)
            if loaded is None or loaded.mtime_ns != mtime:
                loaded = _load(path, mtime)
                self._loaded[path] = loaded
            self._checked[path] = time.monotonic()
            return loaded

    def version(self, path: Path) -> int:
        """The mtime of the file the rows in memory were read from."""
        return self._current(Path(path)).mtime_ns

    def rows(self, path: Path, student_keys: list[str] | None = None) -> pa.Table:
        """The mart's rows; with ``student_keys``, only those students' rows (a mart
        without a student_key is returned whole: its rows are cut by SQL)."""
        loaded = self._current(Path(path))
        if student_keys is None or loaded.keys is None:
            return loaded.table
        wanted = np.unique(np.asarray(student_keys, dtype=object))
        pos = np.searchsorted(loaded.keys, wanted)
        found = pos < len(loaded.keys)
        found[found] = loaded.keys[pos[found]] == wanted[found]
        starts, ends = loaded.starts[pos[found]], loaded.ends[pos[found]]
        lengths = ends - starts
        if not lengths.sum():
            return loaded.table.slice(0, 0)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        index = np.repeat(starts - offsets, lengths) + np.arange(lengths.sum())
        return loaded.table.take(pa.array(index))


class AggregateResults:
    """Answers to reads of aggregate marts, per publication. Every reader whose decision
    gives the same SQL and parameters (the same scope, columns, filters and page) gets
    the same rows, so a dashboard polling ``usage_monthly`` needs one query per
    publication, not one per request. Authentication, the decision and the access event
    still happen for every request. The key holds the mart file's and the policy
    state's versions read *before* the query ran: an answer computed while a new
    publication arrived is filed under the old versions and never served again."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 << 20):
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()
        self._bytes = 0
        self.max_entries, self.max_bytes = max_entries, max_bytes

    @staticmethod
    def key(*parts) -> tuple:
        return tuple(_frozen(p) for p in parts)

    def get(self, key: tuple) -> pa.Table | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, table: pa.Table) -> None:
        size = table.nbytes
        if size > self.max_bytes // 8:
            return  # a large answer would push out many small ones
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = table
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self._bytes -= old.nbytes


def _frozen(value):
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value
