"""What the policy decides with, loaded from the lake's restricted marts into an
in-memory DuckDB: grants as landed (``access_grants``), consents (``access_consents``),
the roster scopes (``staff_scope``), students (``student_identity``), class membership
and the organisation tree. A new publication is picked up without a restart: when a
file's mtime changes, a fresh database is built and swapped in whole, so a request sees
one consistent generation.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb

from orchestration.lake import LakePaths

TABLES = ("access_grants", "access_consents", "staff_scope", "student_identity", "class_membership",
          "org_hierarchy")
CHECK_EVERY_S = 1.0

# The org tree, one row per class and per school (class_id NULL), for row scoping of
# aggregates: a scope sees its own units, what lies below them and what lies above.
_UNITS = """
create table units as
with schools as (select school_sourced_id as school_id, district_sourced_id as district_id,
                        city_sourced_id as city_id from org_hierarchy),
classes as (select distinct class_sourced_id as class_id, school_sourced_id as school_id, grade
            from class_membership)
select c.class_id, c.grade, s.school_id, s.district_id, s.city_id
from classes as c left join schools as s using (school_id)
union all
select null, null, school_id, district_id, city_id from schools
"""


class PolicyState:
    def __init__(self, lake: Path):
        self.paths = LakePaths(Path(lake))
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple | None = None
        self._checked = 0.0
        self.missing: list[str] = []
        # per generation: facts the policy looks up again and again (a principal's grants,
        # a grant's roster-backed ids on a day, student_key -> sourcedId); cleared with it
        self.memo: dict = {}

    def _files(self) -> dict[str, Path]:
        return {t: self.paths.restricted / f"{t}.parquet" for t in TABLES}

    def _current_stamp(self) -> tuple:
        stamp = []
        for name, path in self._files().items():
            try:
                stamp.append((name, path.stat().st_mtime_ns))
            except FileNotFoundError:
                stamp.append((name, None))
        return tuple(stamp)

    def _build(self, stamp: tuple) -> duckdb.DuckDBPyConnection:
        # one thread a query: requests run side by side, and a scope's slice is too small to split
        con = duckdb.connect(config={"threads": 1})
        self.missing = [name for name, mtime in stamp if mtime is None]
        for name, path in self._files().items():
            if name in self.missing:
                continue
            con.execute(f'create table "{name}" as select * from read_parquet(?)', [str(path)])
        if not self.missing:
            con.execute(_UNITS)
            self.memo = {"sourced_id": dict(con.execute(
                "select student_key, student_sourced_id from student_identity").fetchall())}
        return con

    @property
    def version(self) -> tuple | None:
        """The files the current generation was built from (their mtimes)."""
        return self._stamp

    def cursor(self) -> duckdb.DuckDBPyConnection | None:
        """A cursor on the current generation (None while a table is missing); ``memo``
        belongs to the same generation."""
        now = time.monotonic()
        if self._con is None or now - self._checked >= CHECK_EVERY_S:
            with self._lock:
                if self._con is None or now - self._checked >= CHECK_EVERY_S:
                    stamp = self._current_stamp()
                    if stamp != self._stamp:
                        self._con = self._build(stamp)
                        self._stamp = stamp
                    self._checked = now
        return None if self.missing else self._con.cursor()
