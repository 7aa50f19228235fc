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


def test_a_backdated_enrollment_does_not_block_the_months_a_run_does_not_rebuild(tmp_path):
    """A roster delta adds a student to a class from September; the next run rebuilds
    October only (its new days). September keeps the figures it was published with until
    a backfill, so the roster-denominator test checks the run's months: it blocked every
    run after such a delta (found with hand-written deliveries). Run on its own it still
    finds September stale."""
    from dbt_runner import run_dbt

    lake, target = tmp_path / "lake", tmp_path / "target"
    bf.build_fixture_lake(lake)
    run_core(lake, target, min_cell=1)
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    later = datetime(2021, 11, 2, tzinfo=UTC)
    r = lake / "bronze" / "roster"
    bf._write(con, r / "users" / "delta.parquet",
              f"{bf.ROSTER_META}, enabledUser BOOLEAN, orgSourcedIds VARCHAR[], role VARCHAR, username VARCHAR, "
              "userIds VARCHAR[], givenName VARCHAR, familyName VARCHAR, middleName VARCHAR, identifier VARCHAR, "
              "email VARCHAR, sms VARCHAR, phone VARCHAR, agentSourcedIds VARCHAR[], grades VARCHAR[]",
              [("st9", "active", later, True, ["S1"], "student", "st9", [], "Lei", "Wu", None, "st9", None, None, None,
                [], ["07"], *bf._lineage("delta", "users.csv", 2, later))])
    bf._write(con, r / "enrollments" / "delta.parquet",
              f"{bf.ROSTER_META}, classSourcedId VARCHAR, schoolSourcedId VARCHAR, userSourcedId VARCHAR, role VARCHAR, "
              "primary BOOLEAN, beginDate DATE, endDate DATE",
              [("e20", "active", later, "H7A", "S1", "st9", "student", False, "2021-09-01", None,
                *bf._lineage("delta", "enrollments.csv", 2, later))])
    october = {"partition_months": {"start": "2021-10", "end": "2021-10"}}
    selection = ["--select", "+usage_monthly", "assert_roster_denominator_matches_enrollments"]
    run_dbt(lake, ["build", *selection, "--exclude-resource-type", "unit_test"], target, partitions=october,
            min_cell=1)
    months = con.execute(f"select month, on_roster from '{lake}/marts/.staging/usage_monthly.parquet' "
                         "where org_sourced_id = 'S1' and population = 'student' order by month").fetchall()
    # October counts st9 (st1, st2, st9); September keeps st1, st2 and st3 (who left on
    # the 20th) without st9 until a backfill
    assert months == [("2021-09", 3), ("2021-10", 3)]
    with pytest.raises(AssertionError, match="assert_roster_denominator_matches_enrollments"):
        run_dbt(lake, ["test", "--select", "assert_roster_denominator_matches_enrollments"], target, min_cell=1)
