"""xAPI fast path (one ``json_transform`` per line) against the detailed rules.

Landing passes a line on its typed struct only when it is sure; everything else is
judged by ``validated_sql``. These lines are the shapes the struct could misjudge (a
number coerced to text, a non-object coerced to a struct of NULLs, JSON null): the
landed values and the reasons must be exactly what the detailed rules alone give.
"""

from __future__ import annotations

import json

from orchestration.landing.core import connect
from orchestration.landing.xapi import _prepare, land_xapi
from orchestration.landing.xapi_rules import COLUMNS, validated_sql

H = "https://slp.example.edu.cn"
KP = f"{H}/extensions/knowledge-points"


def _tricky(kit) -> list:
    s = kit.statement
    return [
        s(1),
        s(2, actor={"objectType": "Agent", "account": {"homePage": H, "name": 7}}),  # roster has '7'
        s(3, result={}),
        s(4, result="done"),
        s(5, result={"score": "high"}),
        s(6, result={"success": 1}),
        s(7, result={"completion": "true"}),
        s(8, object={"objectType": "Agent", "account": {"homePage": H, "name": "stu-2"}}),
        s(9, object={"objectType": "StatementRef", "id": "6f1c1a38-9d5a-4b9e-8f55-2b6a3c1d0eff"}),
        s(10, object={"objectType": "StatementRef", "id": f"{H}/x"}),
        s(11, stored=None, version=None) | {"stored": None, "version": None},
        s(12, object={"objectType": None, "id": f"{H}/items/3"}),
        s(13, context={"contextActivities": {"parent": {"id": f"{H}/mt/1"}, "grouping": [{"id": f"{H}/c/1"}]},
                       "extensions": {KP: "kp-3"}}),
        s(14, context={"extensions": {"https://other.example/extensions/knowledge-points": ["k1", None, 2]}}),
        s(15, context={"extensions": "not an object"}),
        s(16, actor={"objectType": "Agent", "mbox": None, "account": {"homePage": H, "name": "stu-1"}}),
        s(17, timestamp="2021-10-01T10:00:00.5+0800"),
        s(18, id="6F1C1A38-9D5A-4B9E-8F55-00000000ABCD"),
        "  " + json.dumps(s(19)),
        s(20, verb={"id": 42}),
        s(21, actor={"objectType": "Agent", "account": "stu-1"}),
        s(22, actor=["stu-1"]),
        s(23, result={"score": {"raw": 1e400}}),
        s(24, context={"registration": 5}),
        s(3, result={"duration": "PT1M"}),  # same id as a line only the detailed rules pass
        "null",
        "[]",
        '{"id": "6f1c1a38-9d5a-4b9e-8f55-000000000030",}',
        # contextActivities: an Activity or an array of them, each with an IRI id
        s(29, context={"contextActivities": {"grouping": [{"id": f"{H}/c/1"}, {}]}}),
        s(30, context={"contextActivities": {"parent": {"definition": {"type": f"{H}/t"}}}}),
        s(31, context={"contextActivities": {"category": f"{H}/profile"}}),
        s(32, context={"contextActivities": {"other": [{"id": "not an iri"}]}}),
        s(33, context={"contextActivities": {"other": [], "category": [{"id": f"{H}/profile"}]}}),
        s(34, context={"contextActivities": {"parent": None}}),
        s(35, context={"contextActivities": {"grouping": [{"id": 5}]}}),
        # an Agent object is identified by an account of a roster user, alone (the xAPI probe)
        s(36, object={"objectType": "Agent"}),
        s(37, object={"objectType": "Agent", "mbox": "mailto:a@b.c"}),
        s(38, object={"objectType": "Agent", "account": {"homePage": H, "name": "stu-9"}}),
        s(39, object={"objectType": "Agent", "account": {"homePage": H, "name": "stu-2"}, "mbox": "mailto:a@b.c"}),
        s(40, object={"objectType": "Agent", "account": {"homePage": H, "name": 7}}),
        # stored: a timestamp with a UTC offset, or absent
        s(41, stored="yesterday"),
        s(42, stored="2021-10-02T02:00:05"),
        s(43, stored="2021-10-02T02:00:05+08:00"),
        s(44, stored=5),
        # a voiding statement's object is a StatementRef; extensions are objects keyed by IRIs
        s(45, verb={"id": "http://adlnet.gov/expapi/verbs/voided"}),
        s(46, context={"extensions": [{KP: ["kp-1"]}]}),
        s(47, context={"extensions": {"kp": ["kp-1"]}}),
        s(48, result={"extensions": {"score-band": "A"}}),
        s(49, object={"id": f"{H}/items/4", "definition": {"extensions": {f"{H}/x": [1, {"a": None}]}}}),
        s(50, context={"extensions": "{}"}),
        s(51, context={"extensions": None}, result={"extensions": {}}),
        s(52, verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
          object={"objectType": "StatementRef", "id": "6f1c1a38-9d5a-4b9e-8f55-2b6a3c1d0eff"}),
    ]


def test_fast_path_agrees_with_the_detailed_rules(lake, kit):
    kit.roster_users(lake, ids=("stu-1", "stu-2", "7"))
    path = kit.write_lines(lake / "inbox/xapi/d1.jsonl", _tricky(kit))

    con = connect("Asia/Shanghai")
    _prepare(con, lake)
    con.execute("CREATE TEMP TABLE l AS SELECT ordinality AS pos, line FROM read_csv(?, columns={'line': "
                "'VARCHAR'}, delim='\\x01', quote='', escape='', header=false, auto_detect=false) "
                "WITH ORDINALITY", [str(path)])
    con.execute(f"CREATE TEMP TABLE v AS {validated_sql('SELECT pos, line FROM l', 'Asia/Shanghai')}")
    want_quarantine = con.execute("SELECT pos, reason FROM v WHERE reason IS NOT NULL ORDER BY pos").fetchall()
    first_valid = con.execute(
        "SELECT pos, s FROM v WHERE reason IS NULL QUALIFY row_number() OVER (PARTITION BY s.statement_id "
        "ORDER BY pos) = 1 ORDER BY pos").fetchall()
    dups = con.execute(
        "SELECT pos, 'duplicate_id' FROM v WHERE reason IS NULL QUALIFY row_number() OVER "
        "(PARTITION BY s.statement_id ORDER BY pos) > 1").fetchall()
    con.close()

    summary = land_xapi(lake)

    got_quarantine = [(p, r) for _, _, p, r in kit.quarantine(lake, "xapi")]
    assert got_quarantine == sorted(want_quarantine + dups)
    assert dups == [(25, "duplicate_id")]
    got = kit.bronze(lake, "xapi", "statements", f"_position, {', '.join(COLUMNS)}")
    assert got == [(p, *s.values()) for p, s in first_valid]
    assert summary.records_in == 52 and summary.landed + summary.quarantined == 52
    assert [(p, r) for p, r in got_quarantine if p > 28] == [
        (29, "invalid_iri"), (30, "invalid_iri"), (31, "invalid_iri"), (32, "invalid_iri"), (35, "invalid_iri"),
        (36, "invalid_actor"), (37, "invalid_actor"), (38, "unknown_reference"), (39, "invalid_actor"), (40, "invalid_actor"),
        (41, "invalid_timestamp"), (42, "invalid_timestamp"), (44, "invalid_timestamp"),
        (45, "invalid_value"), (46, "invalid_type"), (47, "invalid_type"), (48, "invalid_type"),
        (50, "invalid_type")]
    assert (15, "invalid_type") in got_quarantine


def test_fast_path_values(lake, kit):
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", _tricky(kit))
    land_xapi(lake)
    rows = {r[0]: r[1:] for r in kit.bronze(
        lake, "xapi", "statements",
        "_position, object_type, knowledge_point_ids, context_parent_ids, context_grouping_ids, "
        "stored_raw, version, statement_id")}
    assert rows[12][0] == "Activity"  # objectType null reads as absent: the default
    assert rows[13][1:4] == (["kp-3"], [f"{H}/mt/1"], [f"{H}/c/1"])
    assert rows[14][1] == ["k1", "2"]
    assert 15 not in rows  # extensions that are not an object are not xAPI
    assert rows[49][0] == "Activity" and rows[51][1] == [] and rows[52][0] == "StatementRef"
    assert rows[11][4:6] == (None, None)
    assert rows[18][6] == "6f1c1a38-9d5a-4b9e-8f55-00000000abcd"
    assert 2 not in rows  # a number is not an actor name, even one the roster holds as text
