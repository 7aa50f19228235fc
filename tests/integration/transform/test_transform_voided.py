"""A voided statement leaves the marts, whenever the voiding arrives: landed for real,
the voiding delivery's ledger row lists the voided statement's day (so a run rebuilds
that day and its month), and dbt's incremental run flags the statement and recomputes
its day without it."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import duckdb

from orchestration.landing.ledger import read_ledger
from orchestration.landing.xapi import land_xapi

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from dbt_runner import run_dbt  # noqa: E402

_spec = importlib.util.spec_from_file_location("landing_kit", Path(__file__).parents[2] / "unit" / "landing" / "conftest.py")
kit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kit)

LOGIN = {"id": "https://w3id.org/xapi/adl/verbs/logged-in"}
PLATFORM = {"id": f"{kit.HOME}/platform"}
VOIDED = {"id": "http://adlnet.gov/expapi/verbs/voided"}


def _activity(lake: Path) -> dict:
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        return {(p, str(d)): (logins, statements) for p, d, logins, statements in con.execute(
            "select person_sourced_id, local_date, logins, statements from intermediate.int_activity_daily").fetchall()}
    finally:
        con.close()


def test_a_later_voiding_removes_its_target_from_the_daily_models(tmp_path):
    lake = tmp_path / "lake"
    kit.roster_users(lake)
    first = kit.statement(1, verb=LOGIN, object=PLATFORM, result=None, context=None, timestamp="2021-10-01T02:00:00Z")
    other = kit.statement(2, verb=LOGIN, object=PLATFORM, result=None, context=None, timestamp="2021-10-01T03:00:00Z",
                          actor={"objectType": "Agent", "account": {"homePage": kit.HOME, "name": "stu-2"}})
    kit.write_lines(lake / "inbox/xapi/2021-10-01.jsonl", [first, other])
    land_xapi(lake)
    target = tmp_path / "target"
    models = ["run", "--select", "stg_xapi__statements", "int_activity_daily"]
    run_dbt(lake, models, target)
    assert _activity(lake) == {("stu-1", "2021-10-01"): (1, 1), ("stu-2", "2021-10-01"): (1, 1)}

    voiding = kit.statement(3, verb=VOIDED, actor={"objectType": "Agent", "account": {"homePage": kit.HOME, "name": "tch-1"}},
                            object={"objectType": "StatementRef", "id": first["id"]}, result=None, context=None,
                            timestamp="2021-11-02T02:00:00Z")
    kit.write_lines(lake / "inbox/xapi/2021-11-02.jsonl", [voiding])
    land_xapi(lake)
    row = {r["delivery_id"]: r for r in read_ledger(lake, "xapi")}["2021-11-02.jsonl"]
    assert [str(d) for d in row["local_dates"]] == ["2021-10-01", "2021-11-02"]

    run_dbt(lake, models, target)  # incremental: reads only the new file
    activity = _activity(lake)
    assert activity[("stu-1", "2021-10-01")] == (0, 0)  # the voided login counts nowhere
    assert activity[("stu-2", "2021-10-01")] == (1, 1)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    flagged = con.execute("select statement_id, is_voided from staging.stg_xapi__statements order by 1").fetchall()
    assert flagged == [(first["id"].lower(), True), (other["id"].lower(), False), (voiding["id"].lower(), False)]


def _statements(lake: Path) -> list[tuple]:
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        return con.execute("select statement_id, cast(local_date as varchar), verb, is_voided "
                           "from staging.stg_xapi__statements order by all").fetchall()
    finally:
        con.close()


def test_a_voided_statement_corrected_nights_later_stays_voided_as_a_full_build_says(tmp_path):
    """The incremental run looks up in the loaded table only the statements of its own
    batch and those it voids (stg_xapi__statements: held_rows), not every statement ever
    voided: a correction of a statement voided on an earlier night must still come out
    flagged, replace its earlier version, and leave the same tables as a full build."""
    lake = tmp_path / "lake"
    kit.roster_users(lake)
    tch = {"objectType": "Agent", "account": {"homePage": kit.HOME, "name": "tch-1"}}
    stu2 = {"objectType": "Agent", "account": {"homePage": kit.HOME, "name": "stu-2"}}
    target_ = kit.statement(1, verb=LOGIN, object=PLATFORM, result=None, context=None,
                            timestamp="2021-10-01T02:00:00Z", stored="2021-10-01T02:00:01Z")
    other = kit.statement(2, verb=LOGIN, object=PLATFORM, result=None, context=None, actor=stu2,
                          timestamp="2021-10-01T03:00:00Z")
    voiding = kit.statement(3, verb=VOIDED, actor=tch, object={"objectType": "StatementRef", "id": target_["id"]},
                            result=None, context=None, timestamp="2021-10-02T02:00:00Z")
    # night 3: the voided statement corrected onto 10-03 (recorded later: it wins), and a new login
    corrected = {**target_, "timestamp": "2021-10-03T02:00:00Z", "stored": "2021-10-03T02:00:01Z"}
    new = kit.statement(4, verb=LOGIN, object=PLATFORM, result=None, context=None, actor=stu2,
                        timestamp="2021-10-03T03:00:00Z")
    target = tmp_path / "target"
    models = ["run", "--select", "stg_xapi__statements", "int_activity_daily"]
    for night, lines in (("2021-10-01", [target_, other]), ("2021-10-02", [voiding]), ("2021-10-03", [corrected, new])):
        kit.write_lines(lake / f"inbox/xapi/{night}.jsonl", lines)
        land_xapi(lake)
        run_dbt(lake, models, target)  # after the first night, incremental: the night's file only

    full = tmp_path / "full"
    for folder in ("bronze", "ledger"):
        shutil.copytree(lake / folder, full / folder)
    run_dbt(full, models, tmp_path / "full_target")

    statements = _statements(lake)
    assert [s[1:] for s in statements if s[0] == target_["id"].lower()] == [("2021-10-03", "logged-in", True)]
    assert statements == _statements(full)
    activity = _activity(lake)
    assert activity == _activity(full)
    assert activity.get(("stu-1", "2021-10-03"), (0, 0)) == (0, 0)
    assert activity[("stu-2", "2021-10-03")] == (1, 1)
