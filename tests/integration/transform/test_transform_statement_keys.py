"""stg_xapi__statements finds and replaces loaded versions by `_statement_key`, the id as a
UUID value (macros/statement_keys.sql). A lake whose table was built before that column
existed gets it computed on its next run (pre-hook), before any row is looked up by it:
added empty, it would find nothing, and a correction would be held beside its original."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import duckdb

from orchestration.landing.xapi import land_xapi

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from dbt_runner import run_dbt  # noqa: E402

_spec = importlib.util.spec_from_file_location("landing_kit", Path(__file__).parents[2] / "unit" / "landing" / "conftest.py")
kit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kit)

LOGIN = {"id": "https://w3id.org/xapi/adl/verbs/logged-in"}
LOGOUT = {"id": "https://w3id.org/xapi/adl/verbs/logged-out"}
PLATFORM = {"id": f"{kit.HOME}/platform"}
MODELS = ["run", "--select", "stg_xapi__statements", "int_activity_daily"]


def _tables(lake: Path) -> tuple[list[tuple], list[tuple]]:
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        statements = con.execute(
            "select statement_id, cast(_statement_key as varchar), cast(local_date as varchar), verb, is_voided "
            "from staging.stg_xapi__statements order by all").fetchall()
        activity = con.execute("select person_sourced_id, cast(local_date as varchar), logins, statements "
                               "from intermediate.int_activity_daily order by all").fetchall()
        return statements, activity
    finally:
        con.close()


def test_a_table_built_before_the_key_gets_it_and_a_correction_replaces_its_original(tmp_path):
    lake = tmp_path / "lake"
    kit.roster_users(lake)
    # upper case in the delivery: the key is the same UUID as the lower-cased id
    first = kit.statement(1, verb=LOGIN, object=PLATFORM, result=None, context=None,
                          timestamp="2021-10-01T02:00:00Z", stored="2021-10-01T02:00:01Z")
    first["id"] = first["id"].upper()
    other = kit.statement(2, verb=LOGIN, object=PLATFORM, result=None, context=None, timestamp="2021-10-01T03:00:00Z")
    kit.write_lines(lake / "inbox/xapi/2021-10-01.jsonl", [first, other])
    land_xapi(lake)
    target = tmp_path / "target"
    run_dbt(lake, MODELS, target)

    # the table as an earlier version of the model left it: no key column
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"))
    con.execute("alter table staging.stg_xapi__statements drop column _statement_key")
    con.close()

    # the next night: the first statement corrected (a logout, recorded later: it wins)
    corrected = {**first, "id": first["id"].lower(), "verb": LOGOUT, "stored": "2021-10-02T02:00:01Z"}
    kit.write_lines(lake / "inbox/xapi/2021-10-02.jsonl", [corrected])
    land_xapi(lake)
    run_dbt(lake, MODELS, target)  # incremental: the new file only

    full = tmp_path / "full"
    for folder in ("bronze", "ledger"):
        shutil.copytree(lake / folder, full / folder)
    run_dbt(full, MODELS, tmp_path / "full_target")

    statements, activity = _tables(lake)
    assert all(key == statement_id for statement_id, key, *_ in statements)  # every row keyed, old ones too
    assert [s[3] for s in statements if s[0] == first["id"].lower()] == ["logged-out"]  # replaced, not held twice
    assert (statements, activity) == _tables(full)
