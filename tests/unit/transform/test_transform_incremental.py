"""Incremental xAPI models: a new day reads only its own files, and the marts see it; a
rebuild of partitions replaces them whole."""

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
    run_core(lake, target, min_cell=1)

    landed = datetime(2021, 11, 3, tzinfo=UTC)
    new_day = [
        ("00000000-0000-4000-8000-000000000101", "st2", bf.LOGIN, f"{bf.NS}/platform", [], [], "2021-11-02T01:00:00Z", "2021-11-02"),
        # A repeat of an October statement delivered again: must not double count.
        bf.STATEMENTS[1],
    ]
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    bf.write_xapi(con, lake, new_day, "xapi_2021-11-03", landed, landed)
    result = run_core(lake, target, min_cell=1)
    # The new delivery touched 2 dates: its 2 files are read, and of the older ones only
    # the fixture's re-sent file whose statements all lost to the other copy (it has no
    # row in the model, so it is read again and loads nothing).
    assert "incremental xapi.statements (catch_up): 3 file(s) to read" in result.stdout, result.stdout[-3000:]

    usage = con.execute(
        f"select month, online, logins from '{lake}/marts/.staging/usage_monthly.parquet' "
        "where org_sourced_id = 'S1' and population = 'student' order by month"
    ).fetchall()
    assert usage == [("2021-09", 2, 2), ("2021-10", 1, 2), ("2021-11", 1, 1)]

    # A run with nothing new reads only the files whose statements all lost to a later
    # copy: that re-sent one, and now the original of the statement the new day repeated.
    result = run_core(lake, target, min_cell=1)
    assert "incremental xapi.statements (catch_up): 2 file(s) to read" in result.stdout

    # Rebuilding October's partitions re-reads every October file and changes nothing.
    before = _table(con, lake, "usage_monthly")
    result = run_core(lake, target, {"partition_dates": {"start": "2021-10-01", "end": "2021-10-31"},
                                     "partition_months": {"start": "2021-10", "end": "2021-10"}, "rebuild": True}, min_cell=1)
    october_files = len(list((lake / "bronze" / "xapi" / "statements").glob("local_date=2021-10-*/*.parquet")))
    assert f"incremental xapi.statements (replace): {october_files} file(s) to read" in result.stdout
    assert _table(con, lake, "usage_monthly") == before

    # A partition run only looks at its own dates: November's file is not read again.
    result = run_core(lake, target, {"partition_dates": {"start": "2021-11-02", "end": "2021-11-02"}}, min_cell=1)
    assert "incremental xapi.statements (catch_up): 0 file(s) to read" in result.stdout


def _table(con, lake, name):
    return con.execute(f"select * from '{lake}/marts/.staging/{name}.parquet' order by all").fetchall()
