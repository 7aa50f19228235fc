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
        self._stamp: tuple | None = None
        self._checked = 0.0
        # One generation, swapped in by one assignment: its database, its memo (facts the
        # policy looks up again and again: a principal's grants, a grant's roster-backed
        # ids on a day, student_key -> sourcedId) and the tables it lacks. A request takes
        # the database and the memo together (`snapshot`): with the memo read apart, a
        # request still judging on the old grants could store them in the new generation's
        # memo, and a grant just revoked would be honoured until the next publication (the
        # API probe, from the code).
        self._gen: tuple[duckdb.DuckDBPyConnection | None, dict, list[str]] = (None, {}, [])

    @property
    def missing(self) -> list[str]:
        return self._gen[2]

    @property
    def memo(self) -> dict:
        return self._gen[1]

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

    def _build(self, stamp: tuple) -> tuple[duckdb.DuckDBPyConnection, dict, list[str]]:
        # one thread a query: requests run side by side, and a scope's slice is too small to split
        con = duckdb.connect(config={"threads": 1})
        missing = [name for name, mtime in stamp if mtime is None]
        for name, path in self._files().items():
            if name in missing:
                continue
            con.execute(f'create table "{name}" as select * from read_parquet(?)', [str(path)])
        memo: dict = {}
        if not missing:
            con.execute(_UNITS)
            memo = {"sourced_id": dict(con.execute("select student_key, student_sourced_id from student_identity")
                                       .fetchall())}
        return con, memo, missing

    @property
    def version(self) -> tuple | None:
        """The files the current generation was built from (their mtimes)."""
        return self._stamp

    def snapshot(self) -> tuple[duckdb.DuckDBPyConnection | None, dict]:
        """A cursor on the current generation (None while a table is missing) and that
        generation's memo."""
        now = time.monotonic()
        if self._gen[0] is None or now - self._checked >= CHECK_EVERY_S:
            with self._lock:
                if self._gen[0] is None or now - self._checked >= CHECK_EVERY_S:
                    stamp = self._current_stamp()
                    if stamp != self._stamp:
                        self._gen = self._build(stamp)
                        self._stamp = stamp
                    self._checked = now
        con, memo, missing = self._gen
        return (None if missing else con.cursor()), memo

    def cursor(self) -> duckdb.DuckDBPyConnection | None:
        """A cursor on the current generation (None while a table is missing)."""
        return self.snapshot()[0]
