"""Reference data other sources are checked against: the landed roster's users."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lake import LakePaths


class RosterMissing(RuntimeError):
    """No roster has landed yet: reference checks would reject everything, so wait."""


def load_roster_users(con: duckdb.DuckDBPyConnection, lake_root: Path) -> None:
    """``_roster_users(sourcedId)``: every user sourcedId in any landed roster delivery."""
    folder = LakePaths(Path(lake_root)).bronze / "roster" / "users"
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise RosterMissing(
            f"no roster users in {folder}: land the roster before sources that reference it"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _roster_users AS SELECT DISTINCT sourcedId "
        "FROM read_parquet(?, union_by_name=true) WHERE sourcedId IS NOT NULL",
        [str(folder / "*.parquet")],
    )
