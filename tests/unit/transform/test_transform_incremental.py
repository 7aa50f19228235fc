"""Incremental xAPI models: a new day re-reads only that day's files, and the marts see it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import bronze_fixture as bf  # noqa: E402
from dbt_runner import run_core  # noqa: E402

# Three dbt runs: slow-ish, so with the end-to-end tests.
pytestmark = pytest.mark.e2e


def test_new_day_is_processed_alone(tmp_path):
    lake = tmp_path / "lake"
    bf.build_fixture_lake(lake)
    target = tmp_path / "target"
    run_core(lake, target)

    landed = datetime(2021, 11, 3, tzinfo=UTC)
    new_day = [
        ("00000000-0000-4000-8000-000000000101", "st2", bf.LOGIN, f"{bf.NS}/platform", [], [], "2021-11-02T01:00:00Z", "2021-11-02"),
        # A repeat of an October statement delivered again: must not double count.
        bf.STATEMENTS[1],
    ]
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    bf.write_xapi(con, lake, new_day, "xapi_2021-11-03", landed, landed)
    result = run_core(lake, target)
    # The ledger says the new delivery touched 2 dates; only their files are read.
    assert "incremental xapi.statements: 2 local date(s), 3 file(s)" in result.stdout, result.stdout[-3000:]

    usage = con.execute(
        f"select month, online, logins from '{lake}/marts/.staging/usage_monthly.parquet' "
        "where org_sourced_id = 'S1' and population = 'student' order by month"
    ).fetchall()
    assert usage == [("2021-09", 2, 2), ("2021-10", 1, 2), ("2021-11", 1, 1)]

    # A run with nothing new reads no files.
    result = run_core(lake, target)
    assert "incremental xapi.statements: 0 local date(s), 0 file(s)" in result.stdout
