"""xAPI landing: every rule, where each record went and why."""

from __future__ import annotations

import gzip
import json

import pytest

from orchestration.landing.xapi import land_xapi

H = "https://slp.example.edu.cn"

# (name, statement changes or raw line, expected reason)
VERB = "http://adlnet.gov/expapi/verbs/answered"
BAD = [
    ("malformed", '{"id": "x", "actor": ', "malformed_json"),
    ("array", "[1, 2, 3]", "not_an_object"),
    ("scalar", '"just a string"', "not_an_object"),
    ("no_id", {"id": None}, "missing_required"),
    ("bad_uuid", {"id": "not-a-uuid"}, "invalid_uuid"),
    ("numeric_id", {"id": 12345}, "invalid_uuid"),
    ("no_actor", {"actor": None}, "missing_required"),
    ("actor_mbox", {"actor": {"objectType": "Agent", "mbox": "mailto:a@b.c"}}, "invalid_actor"),
    ("actor_group", {"actor": {"objectType": "Group", "account": {"homePage": H, "name": "stu-1"}}},
     "invalid_actor"),
    ("actor_home_not_iri", {"actor": {"account": {"homePage": "slp", "name": "stu-1"}}}, "invalid_actor"),
    ("actor_name_number", {"actor": {"account": {"homePage": H, "name": 7}}}, "invalid_actor"),
    ("actor_two_ifis", {"actor": {"mbox": "mailto:a@b.c", "account": {"homePage": H, "name": "stu-1"}}},
     "invalid_actor"),
    ("no_verb", {"verb": None}, "missing_required"),
    ("verb_no_id", {"verb": {"display": {"en": "answered"}}}, "missing_required"),
    ("verb_not_iri", {"verb": {"id": "answered"}}, "invalid_iri"),
    ("verb_space", {"verb": {"id": "http://x/verbs/answered it"}}, "invalid_iri"),
    ("no_object", {"object": None}, "missing_required"),
    ("object_not_iri", {"object": {"id": "item 1"}}, "invalid_iri"),
    ("object_no_id", {"object": {"definition": {"type": f"{H}/t"}}}, "missing_required"),
    ("object_bad_type", {"object": {"id": f"{H}/x", "objectType": "Thing"}}, "invalid_value"),
    ("no_timestamp", {"timestamp": None}, "missing_required"),
    ("ts_slashes", {"timestamp": "2021/10/15 14:06"}, "invalid_timestamp"),
    ("ts_no_offset", {"timestamp": "2021-10-01T10:00:00"}, "invalid_timestamp"),
    ("ts_bad_month", {"timestamp": "2021-13-01T10:00:00Z"}, "invalid_timestamp"),
    ("ts_number", {"timestamp": 1633053600}, "invalid_timestamp"),
    ("raw_above_max", {"result": {"score": {"raw": 7, "min": 0, "max": 5}}}, "score_out_of_range"),
    ("raw_below_min", {"result": {"score": {"raw": -1, "min": 0, "max": 5}}}, "score_out_of_range"),
    ("scaled_big", {"result": {"score": {"scaled": 1.5}}}, "score_out_of_range"),
    ("min_above_max", {"result": {"score": {"min": 5, "max": 1}}}, "score_out_of_range"),
    ("raw_string", {"result": {"score": {"raw": "3"}}}, "invalid_type"),
    ("success_string", {"result": {"success": "yes"}}, "invalid_type"),
    ("registration_bad", {"context": {"registration": "nope"}}, "invalid_uuid"),
    ("display_string", {"verb": {"id": VERB, "display": "answered"}}, "invalid_type"),
    ("display_number_value", {"verb": {"id": VERB, "display": {"en-US": 5}}}, "invalid_type"),
    ("name_string", {"object": {"id": f"{H}/x", "definition": {"name": "Quiz 1"}}}, "invalid_type"),
    ("description_list", {"object": {"id": f"{H}/x", "definition": {"description": ["a"]}}}, "invalid_type"),
    ("version_2", {"version": "2.0.0"}, "invalid_value"),
    ("version_number", {"version": 1.0}, "invalid_value"),
    ("unknown_actor", {"actor": {"objectType": "Agent", "account": {"homePage": H, "name": "stu-404"}}},
     "unknown_reference"),
]


def test_language_maps_and_versions_of_the_spec_land(lake, kit):
    kit.roster_users(lake)
    good = [
        kit.statement(1, verb={"id": VERB, "display": {"en-US": "answered", "zh-CN": "作答"}}, version="1.0.3"),
        kit.statement(2, object={"id": f"{H}/x", "definition": {"name": {"zh-CN": "小测"}, "description": {}}},
                      version="1.0"),
        kit.statement(3, verb={"id": VERB, "display": None}),  # null is an absent property
    ]
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", good)
    summary = land_xapi(lake)
    assert (summary.landed, summary.quarantined) == (3, 0), kit.quarantine(lake, "xapi")
    assert {("1.0",), ("1.0.3",)} <= set(kit.bronze(lake, "xapi", "statements", "version"))


@pytest.mark.parametrize("name,change,reason", BAD, ids=[b[0] for b in BAD])
def test_each_rule_quarantines_with_its_reason(lake, kit, name, change, reason):
    kit.roster_users(lake)
    bad = change if isinstance(change, str) else kit.statement(2, **change)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1), bad, kit.statement(3)])
    summary = land_xapi(lake)
    assert kit.quarantine(lake, "xapi") == [("d1.jsonl", "d1.jsonl", 2, reason)]
    assert kit.bronze(lake, "xapi", "statements", "_position") == [(1,), (3,)]
    assert (summary.records_in, summary.landed, summary.quarantined) == (3, 2, 1)


def test_allowed_properties_are_kept_and_extracted(lake, kit):
    kit.roster_users(lake)
    s = kit.statement(
        1, stored="2021-10-01T02:00:01Z", authority={"objectType": "Agent", "account": {"homePage": H, "name": "lrs"}},
        object={"id": f"{H}/mt/1"},  # no objectType: an Activity
        context={"registration": "6f1c1a38-9d5a-4b9e-8f55-2b6a3c1d0eff",
                 "contextActivities": {"grouping": {"id": f"{H}/classes/c-1"}},
                 "extensions": {f"{H}/extensions/knowledge-points": ["kp-9"],
                                f"{H}/extensions/device": {"os": ["android", 12], "x": None}}},
        result={"score": {"raw": 1, "max": 1, "scaled": -1.0}, "completion": True, "duration": "PT5M"},
    )
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", ["", s])
    land_xapi(lake)
    got = kit.bronze(lake, "xapi", "statements",
                     "object_type, knowledge_point_ids, context_grouping_ids, context_registration, "
                     "stored_raw, version, result_completion, result_score_scaled")
    assert got == [("Activity", ["kp-9"], [f"{H}/classes/c-1"], "6f1c1a38-9d5a-4b9e-8f55-2b6a3c1d0eff",
                    "2021-10-01T02:00:01Z", "1.0.3", True, -1.0)]
    assert kit.quarantine(lake, "xapi") == []
    # The original text is not copied into bronze: the lineage addresses it in the
    # (immutable) inbox.
    ((delivery, file, position),) = kit.bronze(lake, "xapi", "statements", "_delivery, _file, _position")
    assert (lake / "inbox/xapi" / file).read_text().splitlines()[position - 1] == json.dumps(s)
    assert (delivery, position) == ("d1.jsonl", 2)


def test_time_zone_boundary_and_late_arrival(lake, kit):
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/2021-10-05.jsonl", [
        kit.statement(1, timestamp="2021-09-30T15:59:59Z"),   # 23:59:59 local: Sep 30
        kit.statement(2, timestamp="2021-09-30T16:30:00Z"),   # 00:30 local: Oct 1
        kit.statement(3, timestamp="2021-10-01T00:30:00+08:00"),  # Sep 30 16:30Z: Oct 1 local
        kit.statement(4, timestamp="2021-10-05T09:00:00Z"),
        kit.statement(5, timestamp="2021-10-05T17:00+08:00"),  # ISO 8601 without seconds
        kit.statement(6, timestamp="2021-09-30T16:00Z"),       # 00:00 local: Oct 1
    ])
    summary = land_xapi(lake, "Asia/Shanghai")
    assert summary.quarantined == 0, kit.quarantine(lake, "xapi")
    assert summary.rows_by_date == {"2021-09-30": 1, "2021-10-01": 3, "2021-10-05": 2}
    files = sorted(p.relative_to(lake / "bronze/xapi/statements").as_posix()
                   for p in (lake / "bronze/xapi/statements").rglob("*.parquet"))
    assert files == ["local_date=2021-09-30/2021-10-05.jsonl.parquet",
                     "local_date=2021-10-01/2021-10-05.jsonl.parquet",
                     "local_date=2021-10-05/2021-10-05.jsonl.parquet"]
    assert kit.ledger(lake, "xapi")["2021-10-05.jsonl"]["local_dates"] == ["2021-09-30", "2021-10-01", "2021-10-05"]


GOOD_TS = "2021-10-01T02:00:00Z"


def test_duplicate_ids_within_a_delivery_keep_the_first(lake, kit):
    kit.roster_users(lake)
    s = kit.statement(1)
    upper = dict(s, id=s["id"].upper())
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [s, kit.statement(2), s, upper])
    land_xapi(lake)
    assert kit.quarantine(lake, "xapi") == [("d1.jsonl", "d1.jsonl", 3, "duplicate_id"),
                                            ("d1.jsonl", "d1.jsonl", 4, "duplicate_id")]
    assert kit.bronze(lake, "xapi", "statements", "_position") == [(1,), (2,)]


def test_two_versions_in_one_delivery_the_later_stored_lands(lake, kit):
    """As between deliveries, the later `stored` (else `timestamp`) wins within one: the
    first line won whatever its times, so a login corrected to the next day stayed on the
    first (the xAPI probe). Equal times keep the earlier line."""
    kit.roster_users(lake)
    first = kit.statement(1, stored="2021-10-02T01:00:00Z", timestamp="2021-10-01T02:00:00Z")
    later = kit.statement(1, stored="2021-10-03T01:00:00Z", timestamp="2021-10-02T02:00:00Z")
    ts_only = [kit.statement(2, timestamp="2021-10-05T02:00:00Z"), kit.statement(2, timestamp="2021-10-06T02:00:00Z")]
    same = [kit.statement(3), kit.statement(3)]
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [first, later, *ts_only, *same])
    land_xapi(lake)
    assert [(p, r) for _, _, p, r in kit.quarantine(lake, "xapi")] == [
        (1, "duplicate_id"), (3, "duplicate_id"), (6, "duplicate_id")]
    assert kit.bronze(lake, "xapi", "statements", "_position, ts_raw") == [
        (2, "2021-10-02T02:00:00Z"), (4, "2021-10-06T02:00:00Z"), (5, GOOD_TS)]


def test_blank_lines_crlf_and_gzip(lake, kit):
    kit.roster_users(lake)
    body = "\r\n".join([
        json.dumps(kit.statement(1)), "", "   ", json.dumps(kit.statement(2))])
    (lake / "inbox/xapi").mkdir(parents=True)
    (lake / "inbox/xapi/d1.jsonl.gz").write_bytes(gzip.compress(body.encode()))
    summary = land_xapi(lake)
    assert summary.records_in == 2
    assert kit.bronze(lake, "xapi", "statements", "_position, _delivery, _file") == [
        (1, "d1.jsonl.gz", "d1.jsonl.gz"), (4, "d1.jsonl.gz", "d1.jsonl.gz")]


def test_unreadable_deliveries_are_quarantined_whole_and_the_run_goes_on(lake, kit):
    kit.roster_users(lake)
    inbox = lake / "inbox/xapi"
    blob = gzip.compress(("\n".join(json.dumps(kit.statement(i)) for i in range(50))).encode())
    inbox.mkdir(parents=True)
    (inbox / "a-truncated.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    (inbox / "b-latin1.jsonl").write_bytes('{"note": "caf\xe9"}\n'.encode("latin-1"))
    (inbox / "c-not-gzip.jsonl.gz").write_bytes(b"plain text, not gzip")
    kit.write_lines(inbox / "d-good.jsonl", [kit.statement(1)])
    summary = land_xapi(lake)
    assert {d.delivery_id: d.status for d in summary.deliveries} == {
        "a-truncated.jsonl.gz": "unreadable", "b-latin1.jsonl": "unreadable",
        "c-not-gzip.jsonl.gz": "unreadable", "d-good.jsonl": "landed"}
    assert kit.quarantine(lake, "xapi") == [
        ("a-truncated.jsonl.gz", "a-truncated.jsonl.gz", None, "truncated_gzip"),
        ("b-latin1.jsonl", "b-latin1.jsonl", None, "not_utf8"),
        ("c-not-gzip.jsonl.gz", "c-not-gzip.jsonl.gz", None, "truncated_gzip"),
    ]
    led = kit.ledger(lake, "xapi")
    assert led["a-truncated.jsonl.gz"]["status"] == "unreadable" and led["a-truncated.jsonl.gz"]["landed"] == 0
    assert kit.bronze(lake, "xapi", "statements", "_delivery") == [("d-good.jsonl",)]


def test_same_bytes_twice_land_once(lake, kit):
    kit.roster_users(lake)
    first = kit.write_lines(lake / "inbox/xapi/2021-10-01.jsonl", [kit.statement(1), kit.statement(2)])
    land_xapi(lake)
    (lake / "inbox/xapi/2021-10-01-resend.jsonl").write_bytes(first.read_bytes())
    summary = land_xapi(lake)
    assert [(d.delivery_id, d.status, d.duplicate_of) for d in summary.deliveries] == [
        ("2021-10-01-resend.jsonl", "duplicate", "2021-10-01.jsonl")]
    assert len(kit.bronze(lake, "xapi", "statements", "statement_id")) == 2
    assert land_xapi(lake).deliveries == []  # nothing new: nothing happens


def test_kill_after_bronze_before_ledger_then_rerun(lake, kit, monkeypatch):
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1), kit.statement(2), "{bad"])
    from orchestration.landing import core

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(core.ledger, "write_row", crash)
    with pytest.raises(KeyboardInterrupt):
        land_xapi(lake)
    assert len(kit.bronze(lake, "xapi", "statements", "statement_id")) == 2  # written, unledgered
    monkeypatch.undo()
    summary = land_xapi(lake)
    assert summary.landed == 2 and summary.quarantined == 1
    assert len(kit.bronze(lake, "xapi", "statements", "statement_id")) == 2
    assert len(kit.quarantine(lake, "xapi")) == 1


def test_no_roster_means_wait_not_reject(lake, kit):
    from orchestration.landing.references import RosterMissing

    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1)])
    with pytest.raises(RosterMissing):
        land_xapi(lake)
    assert kit.ledger(lake, "xapi") == {}
