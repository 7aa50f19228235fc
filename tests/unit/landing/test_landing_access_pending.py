"""Access events (lenient landing), ``pending_dates`` and ``head_dates``."""

from __future__ import annotations

import gzip
import json

from orchestration.landing.access import land_access
from orchestration.landing.pending import HEAD_BYTES, head_dates, pending_dates
from orchestration.landing.xapi import land_xapi

EVENT = {"event_id": "ev-1", "seq": 1, "event_time": "2021-09-30T16:30:00Z", "principal_id": "tch-1",
         "role": "teacher", "client_app": "report-portal", "action": "read", "resource": "student_exam",
         "columns": ["score"], "purpose": "teaching", "decision": "allowed", "grant_id": "g1",
         "rows_returned": 30, "subject_ids": ["stu-1", "stu-2"]}


def ev(**changes):
    e = dict(EVENT)
    for k, v in changes.items():
        if v is None:
            e.pop(k)
        else:
            e[k] = v
    return e


def test_access_keeps_what_the_audit_needs(lake, kit):
    kit.write_lines(lake / "inbox/access/a.jsonl", [
        ev(), ev(),                      # a duplicate event id is kept
        ev(event_id="ev-2", grant_id=None, purpose=None),  # missing fields kept
        ev(event_id="ev-3", event_time="yesterday"),        # 4
        ev(event_id="ev-4", seq="seven"),                   # 5
        ev(event_id="ev-5", subject_ids="stu-1"),           # 6
        "{not json",                                        # 7
        ev(event_id="ev-6", event_time=None),               # 8
        ev(event_id="ev-7", seq="8"),                       # integer text is typable
        ev(event_id="ev-8", role="Teacher", action="READ", decision="DENIED", rows_returned=-3),  # lands
    ])
    summary = land_access(lake)
    assert [q[2:] for q in kit.quarantine(lake, "access")] == [
        (4, "invalid_timestamp"), (5, "invalid_type"), (6, "invalid_type"), (7, "malformed_json"),
        (8, "missing_required")]
    got = kit.bronze(lake, "access", "events", "event_id, seq, grant_id, local_date::VARCHAR, subject_ids")
    assert got == [("ev-1", 1, "g1", "2021-10-01", ["stu-1", "stu-2"]), ("ev-1", 1, "g1", "2021-10-01", ["stu-1", "stu-2"]),
                   ("ev-2", 1, None, "2021-10-01", ["stu-1", "stu-2"]), ("ev-7", 8, "g1", "2021-10-01", ["stu-1", "stu-2"]),
                   ("ev-8", 1, "g1", "2021-10-01", ["stu-1", "stu-2"])]
    # enums in any letter case are lower-cased in bronze, as every source's; an impossible
    # count lands (the audit reads it; the bronze check warns)
    assert kit.bronze(lake, "access", "events", "role, action, decision, rows_returned")[-1] == (
        "teacher", "read", "denied", -3)
    assert summary.records_in == 10


def test_pending_dates_reads_only_unlanded_deliveries(lake, kit):
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/2021-10-01.jsonl", [
        kit.statement(1, timestamp="2021-09-30T16:30:00Z"), kit.statement(2, timestamp="2021-09-30T15:00:00Z")])
    (lake / "inbox/xapi/2021-10-03.jsonl.gz").write_bytes(gzip.compress(
        (json.dumps(kit.statement(3, timestamp="2021-10-03T01:00:00+08:00")) + "\n").encode()))
    (lake / "inbox/xapi/broken.jsonl.gz").write_bytes(b"nope")
    assert pending_dates(lake, "xapi") == ["2021-09-30", "2021-10-01", "2021-10-03"]
    land_xapi(lake)
    assert pending_dates(lake, "xapi") == []
    kit.write_lines(lake / "inbox/access/x.jsonl", [ev(event_time="2021-10-07T23:59:00+08:00")])
    assert pending_dates(lake, "access") == ["2021-10-07"]


def test_an_overlong_access_line_is_quarantined_alone(lake, kit):
    kit.write_lines(lake / "inbox/access/a.jsonl", [
        ev(), ev(event_id="ev-2", subject_ids=[f"stu-{i:07d}" for i in range(200_000)]), ev(event_id="ev-3")])
    summary = land_access(lake)
    assert [q[2:] for q in kit.quarantine(lake, "access")] == [(2, "line_too_long")]
    assert (summary.records_in, summary.landed, summary.quarantined) == (3, 2, 1)


def test_the_runner_scans_pending_dates_in_the_lakes_time_zone(lake, kit, monkeypatch):
    """`eduhouse run` plans the daily landing run over the days of the lake's time zone
    (EDUHOUSE_TZ), scanned in the background while the code location loads."""
    from orchestration.runner.run import _scan_inbox

    kit.write_lines(lake / "inbox/access/x.jsonl", [ev(event_time="2021-10-07T20:00:00Z")])
    scan = _scan_inbox(lake)
    assert scan.changed_sources.result(timeout=60) == ["access"]
    assert scan.pending_dates.result(timeout=60)["access"] == ["2021-10-08"]  # Asia/Shanghai
    monkeypatch.setenv("EDUHOUSE_TZ", "UTC")
    assert _scan_inbox(lake).pending_dates.result(timeout=60) == {"xapi": [], "access": ["2021-10-07"]}


def test_head_dates_are_the_days_the_deliveries_are_for(lake, kit):
    """The runner's landing range comes from each delivery's first records: a stray record
    further in is not read (it lands all the same, as a partition beside the range), a
    broken file gives nothing, and deliveries whose heads name no date fall back to every
    line (pending_dates)."""
    kit.roster_users(lake)
    day = [kit.statement(i, timestamp="2021-10-05T09:00:00+08:00") for i in range(1, 2001)]
    stray = kit.statement(9999, timestamp="2021-04-13T09:00:00+08:00")
    kit.write_lines(lake / "inbox/xapi/2021-10-05.jsonl", [*day, stray])
    assert (lake / "inbox/xapi/2021-10-05.jsonl").stat().st_size > 2 * HEAD_BYTES  # the stray is past the head
    (lake / "inbox/xapi/2021-10-06.jsonl.gz").write_bytes(gzip.compress(
        (json.dumps(kit.statement(3, timestamp="2021-10-06T01:00:00+08:00")) + "\n").encode()))
    (lake / "inbox/xapi/broken.jsonl.gz").write_bytes(b"nope")
    assert head_dates(lake, "xapi") == ["2021-10-05", "2021-10-06"]
    assert pending_dates(lake, "xapi") == ["2021-04-13", "2021-10-05", "2021-10-06"]

    kit.write_lines(lake / "inbox/access/x.jsonl", ["{not json"] * 5 + [ev(event_time="2021-10-07T23:59:00+08:00")])
    assert head_dates(lake, "access") == ["2021-10-07"]  # the head holds the event
    kit.write_lines(lake / "inbox/access/x.jsonl", ["{not json " + "x" * 1000] * 400
                    + [ev(event_time="2021-10-08T09:00:00+08:00")])
    assert head_dates(lake, "access") == ["2021-10-08"]  # no date in the head: every line
