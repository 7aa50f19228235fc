"""A statement ahead of the roster (an LRS export names a student the roster export does
not hold yet) is quarantined as `unknown_reference`. Once the roster holds the person,
`eduhouse status` names those records and the re-landing that lands them, and that
re-landing does."""

from __future__ import annotations

from orchestration.automation.status import known_now
from orchestration.landing.xapi import land_xapi


def test_a_statement_ahead_of_the_roster_lands_once_the_roster_holds_its_actor(lake, kit):
    kit.roster_users(lake, ids=("stu-1",))
    newcomer = {"objectType": "Agent", "account": {"homePage": kit.HOME, "name": "stu-9"}}
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1), kit.statement(2, actor=newcomer)])
    land_xapi(lake)
    assert kit.quarantine(lake, "xapi") == [("d1.jsonl", "d1.jsonl", 2, "unknown_reference")]
    assert known_now(lake) == []  # nobody on the roster is named: nothing to do

    kit.roster_users(lake, ids=("stu-1", "stu-9"))  # the roster export catches up
    assert known_now(lake) == [{
        "source": "xapi", "records": 1, "deliveries": ["d1.jsonl"], "days": ["2021-10-01"],
        "land_them": "eduhouse backfill --from 2021-10-01 --to 2021-10-01 --rebuild"}]

    land_xapi(lake, rebuild=["d1.jsonl"])  # what that backfill's landing does
    assert kit.quarantine(lake, "xapi") == []
    assert kit.bronze(lake, "xapi", "statements", "actor_name") == [("stu-1",), ("stu-9",)]
    assert known_now(lake) == []
