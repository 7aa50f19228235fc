"""Part A's marts on the hand-made fixture lake, whose answers are known (bronze_fixture)."""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import bronze_fixture  # noqa: E402
from dbt_runner import build_core  # noqa: E402

from orchestration.privacy.pseudonym import load_key, pseudonym  # noqa: E402


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    bronze_fixture.build_fixture_lake(lake)
    # min_cell 1: these tests check the counting on a handful of people; suppression has its own.
    build_core(lake, tmp_path_factory.mktemp("target"), min_cell=1)
    return lake


def _rows(lake: Path, area: str, name: str, where: str = "true") -> list[dict]:
    con = duckdb.connect()
    df = con.execute(f"select * from '{lake / area / '.staging' / name}.parquet' where {where}").df()
    return df.to_dict("records")


def _usage(lake: Path, month: str, org: str, segment: str, population: str) -> dict:
    rows = _rows(lake, "marts", "usage_monthly",
                 f"month = '{month}' and org_sourced_id = '{org}' and segment = '{segment}' and population = '{population}'")
    assert len(rows) == 1, rows
    return rows[0]


def test_usage_october_school_counts_each_student_once_and_local_month(built_lake):
    # st1 (two classes) and st2 are on the roster; st3 left in September. st1's logins:
    # 2021-09-30T16:30Z (October locally, delivered twice) and 2021-10-05.
    row = _usage(built_lake, "2021-10", "S1", "junior", "student")
    assert (row["on_roster"], row["online"], row["logins"], row["resource_viewers"]) == (2, 1, 2, 1)
    assert row["online_rate"] == pytest.approx(0.5)
    assert row["logins_per_online"] == pytest.approx(2.0)
    assert row["resource_view_rate"] == pytest.approx(0.5)
    assert row["org_type"] == "school" and row["org_name"] == "Junior School 1"


def test_usage_september_includes_student_who_left_later(built_lake):
    row = _usage(built_lake, "2021-09", "S1", "junior", "student")
    assert (row["on_roster"], row["online"], row["logins"]) == (3, 2, 2)


def test_usage_school_without_logins_shows_zero_row(built_lake):
    row = _usage(built_lake, "2021-10", "S2", "senior", "student")
    assert (row["on_roster"], row["online"], row["logins"]) == (1, 0, 0)
    assert row["online_rate"] == 0 and row["logins_per_online"] == 0


def test_usage_rollups_and_deleted_school(built_lake):
    district = _usage(built_lake, "2021-10", "D1", "junior", "teacher")
    assert (district["on_roster"], district["online"], district["org_type"]) == (1, 1, "district")
    city = _usage(built_lake, "2021-10", "C1", "junior", "student")
    assert (city["org_type"], city["on_roster"]) == ("city", 2)
    assert not _rows(built_lake, "marts", "usage_monthly", "org_sourced_id = 'S3'")


def test_microtest_answer_rate_and_zero_month(built_lake):
    rows = _rows(built_lake, "marts", "microtest_monthly", "month = '2021-10' and org_sourced_id = 'S1'")
    assert len(rows) == 1
    row = rows[0]
    assert (row["microtests_assigned"], row["students_assigned"], row["students_answering"], row["answers"]) == (1, 2, 1, 2)
    assert row["answer_rate"] == pytest.approx(0.5)
    # Nothing assigned in September, nothing at S2: rows with 0, not missing, and no rate
    # (0 of 0 students answering; a test nobody answered is 0, a dbt unit test).
    for month, org in (("2021-09", "S1"), ("2021-10", "S2")):
        (zero,) = _rows(built_lake, "marts", "microtest_monthly", f"month = '{month}' and org_sourced_id = '{org}'")
        assert zero["students_assigned"] == 0 and zero["students_answering"] == 0 and not zero["suppressed"]
        assert math.isnan(zero["answer_rate"])  # NULL, read through pandas


def test_student_identity_is_keyed_and_links_guardians(built_lake):
    rows = {r["student_sourced_id"]: r for r in _rows(built_lake, "restricted", "student_identity")}
    assert set(rows) == {"st1", "st2", "st3", "st4"}
    st1 = rows["st1"]
    # HMAC-SHA256 under the key file the first dbt run made (owner-only), recomputed in Python.
    key_file = built_lake / "ops" / "secrets" / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert st1["student_key"] == pseudonym(load_key(built_lake, create=False), "st1")
    assert list(st1["guardian_sourced_ids"]) == ["p1"]
    assert (st1["school_sourced_id"], st1["grade"], st1["homeroom_class_sourced_id"]) == ("S1", "07", "H7A")
    assert st1["is_under_14"] == (datetime(2008, 5, 1, tzinfo=UTC).date().replace(year=2022) > datetime.now(UTC).date())


def test_staff_scope_roles(built_lake):
    scopes = {(r["person_sourced_id"], r["role"], r["scope_type"], r["scope_id"])
              for r in _rows(built_lake, "restricted", "staff_scope")}
    assert ("t1", "head_teacher", "class", "H7A") in scopes
    assert ("t1", "teacher", "class", "M7A") in scopes
    assert ("t1", "head_teacher", "class", "M7A") not in scopes
    assert ("t1", "grade_leader", "grade", "S1:07") in scopes
    assert ("pr1", "principal", "school", "S1") in scopes
    assert ("rs1", "subject_researcher", "subject", "D1:math") in scopes
    assert ("p1", "parent", "child", "st1") in scopes
    assert ("st4", "student", "self", "st4") in scopes
