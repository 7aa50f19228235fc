"""Reference data other sources are checked against: the landed roster's users, and which
of them are students (a score sheet, a fitness or psych survey and a consent are a
student's: a teacher's id there landed as a student and moved every exam figure, ranking
the teacher first: the exams probe)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lake import LakePaths
from orchestration.landing.rules import Rule, show


class RosterMissing(RuntimeError):
    """No roster has landed yet: reference checks would reject everything, so wait."""


def load_roster_users(con: duckdb.DuckDBPyConnection, lake_root: Path) -> None:
    """``_roster_users(sourcedId, student)``: every user sourcedId in any landed roster
    delivery, and whether a version of it has role student (a key-only deletion names no
    role; a user whose role changed was a student while it was)."""
    folder = LakePaths(Path(lake_root)).bronze / "roster" / "users"
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise RosterMissing(
            f"no roster users in {folder}: land the roster before sources that reference it"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _roster_users AS SELECT sourcedId, "
        "bool_or(lower(trim(role)) = 'student') IS TRUE AS student "
        "FROM read_parquet(?, union_by_name=true) WHERE sourcedId IS NOT NULL GROUP BY sourcedId",
        [str(folder / "*.parquet")],
    )


def student_reference(t: dict[str, str]) -> list[Rule]:
    """The rule of every student_sourcedId column: a roster user whose role is student;
    another user (a teacher, a parent) or an unknown id is ``unknown_reference``, the
    detail saying which."""
    sid = t["student_sourcedId"]
    # one pass over every row; which of the two it is, only for the rows it rejects
    return [
        Rule(f"{sid} NOT IN (SELECT sourcedId FROM _roster_users WHERE student)", "unknown_reference",
             f"'student ' || {show(sid)} || CASE WHEN {sid} IN (SELECT sourcedId FROM _roster_users) "
             "THEN ' is a roster user but not a student' ELSE ' is not a roster user' END"),
    ]
