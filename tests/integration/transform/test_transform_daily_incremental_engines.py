"""The next night's delivery corrects a statement onto another day and voids one of an
earlier day; on either engine, the incremental run leaves the daily models as a full
build over the same bronze does.

DuckDB replaces statements by id and recomputes the groups (a person's day) of the
statements it reloaded. Spark cannot delete rows from a Parquet table: it rewrites whole
dates, and must find the dates such a delivery reaches beyond its own
(macros/incremental_dates.sql: xapi_dates_sharing_statements, drop_dates_to_reread).
The reference is a DuckDB full build of a copy of the lake, so an engine-specific
mistake cannot hide in both sides of the comparison.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.landing.ledger import read_ledger
from orchestration.landing.xapi import land_xapi

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from dbt_runner import run_dbt  # noqa: E402

_spec = importlib.util.spec_from_file_location("landing_kit", Path(__file__).parents[2] / "unit" / "landing" / "conftest.py")
kit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kit)

pytestmark = pytest.mark.e2e

LOGIN = {"id": "https://w3id.org/xapi/adl/verbs/logged-in"}
PLATFORM = {"id": f"{kit.HOME}/platform"}
VOIDED = {"id": "http://adlnet.gov/expapi/verbs/voided"}
MODELS = ["run", "--select", "stg_xapi__statements", "int_activity_daily"]


def _login(n: int, person: str, timestamp: str, stored: str | None = None) -> dict:
    return kit.statement(n, verb=LOGIN, object=PLATFORM, result=None, context=None, timestamp=timestamp,
                         stored=stored, actor={"objectType": "Agent", "account": {"homePage": kit.HOME, "name": person}})


def _daily(lake: Path, engine: str) -> dict[str, list[tuple]]:
    """What the two models say, read from the engine's own tables."""
    queries = {
        "statements": "select statement_id, cast(local_date as varchar), verb, is_voided from {stg} order by all",
        "activity": "select person_sourced_id, cast(local_date as varchar), logins, statements from {act} order by all",
    }
    if engine == "duckdb":
        con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
        tables = {"stg": "staging.stg_xapi__statements", "act": "intermediate.int_activity_daily"}
    else:  # Spark's tables are Parquet folders partitioned by local_date
        con = duckdb.connect()
        spark = lake / "warehouse" / "spark"
        tables = {name: f"read_parquet('{spark}/{schema}.db/{table}/*/*.parquet', hive_partitioning = true)"
                  for name, schema, table in (("stg", "staging", "stg_xapi__statements"),
                                              ("act", "intermediate", "int_activity_daily"))}
    try:
        return {name: con.execute(sql.format(**tables)).fetchall() for name, sql in queries.items()}
    finally:
        con.close()


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_corrections_and_voidings_reaching_other_days_equal_a_full_build(tmp_path, engine):
    lake = tmp_path / "lake"
    kit.roster_users(lake)
    first = _login(1, "stu-1", "2021-10-01T02:00:00Z")
    moved = _login(2, "stu-2", "2021-10-01T03:00:00Z", stored="2021-10-01T03:00:01Z")
    alone = _login(6, "stu-1", "2021-09-29T02:00:00Z", stored="2021-09-29T02:00:01Z")  # the only one that day
    # stu-2's 09-28 keeps one of its two logins: a day before any the next night's
    # statements are for, which only the left group's date brings into the recomputation
    left = _login(8, "stu-2", "2021-09-28T03:00:00Z", stored="2021-09-28T03:00:01Z")
    kit.write_lines(lake / "inbox/xapi/2021-10-02.jsonl",
                    [first, moved, _login(3, "stu-1", "2021-10-02T02:00:00Z"), alone,
                     _login(7, "stu-2", "2021-09-28T02:00:00Z"), left])
    land_xapi(lake)
    target = tmp_path / "target"
    run_dbt(lake, MODELS, target, engine=engine)

    # The next night: statement 2 corrected onto 10-02 (recorded later, so it wins),
    # statement 6 corrected onto 10-03 (leaving 09-29 with no statement at all),
    # statement 8 corrected onto 10-03 (leaving one of stu-2's two 09-28 logins),
    # statement 1 voided, and a new login on 10-03.
    voiding = kit.statement(4, verb=VOIDED, result=None, context=None, timestamp="2021-10-03T02:00:00Z",
                            actor={"objectType": "Agent", "account": {"homePage": kit.HOME, "name": "tch-1"}},
                            object={"objectType": "StatementRef", "id": first["id"]})
    kit.write_lines(lake / "inbox/xapi/2021-10-03.jsonl",
                    [_login(2, "stu-2", "2021-10-02T03:00:00Z", stored="2021-10-03T01:00:00Z"), voiding,
                     _login(5, "stu-2", "2021-10-03T04:00:00Z"),
                     _login(6, "stu-1", "2021-10-03T05:00:00Z", stored="2021-10-03T05:00:01Z"),
                     _login(8, "stu-2", "2021-10-03T06:00:00Z", stored="2021-10-03T06:00:01Z")])
    land_xapi(lake)
    row = {r["delivery_id"]: r for r in read_ledger(lake, "xapi")}["2021-10-03.jsonl"]
    dates = sorted(str(d)[:10] for d in row["local_dates"])
    run_dbt(lake, MODELS, target, engine=engine,
            partitions={"partition_dates": {"start": dates[0], "end": dates[-1]}})
    incremental = _daily(lake, engine)

    full = tmp_path / "full"
    for folder in ("bronze", "ledger"):
        shutil.copytree(lake / folder, full / folder)
    run_dbt(full, MODELS, tmp_path / "full_target")
    reference = _daily(full, "duckdb")

    # statements 2 and 6 once, on their corrected days; statement 1 flagged
    assert [(s[1], s[3]) for s in reference["statements"] if s[0] == moved["id"].lower()] == [("2021-10-02", False)]
    assert [s[1] for s in reference["statements"] if s[0] == alone["id"].lower()] == ["2021-10-03"]
    assert not [a for a in reference["activity"] if a[1] == "2021-09-29" or a[:2] == ("stu-2", "2021-10-01")]
    assert [s[3] for s in reference["statements"] if s[0] == first["id"].lower()] == [True]
    assert [a[2:] for a in reference["activity"] if a[:2] == ("stu-2", "2021-09-28")] == [(1, 1)]
    assert incremental == reference
