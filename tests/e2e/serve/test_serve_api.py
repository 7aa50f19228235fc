"""`eduhouse serve` on 127.0.0.1 driven by a real HTTP client: every scope type the
district has, every grant state, purposes, masking, consent, hostile names and values,
the formats, pagination, report pages, one access event per request with gap-free seq
across a kill, and the loop: the next `eduhouse run` lands the server's events and the
audit finds exactly the probing it should and nothing of the clean traffic.

Expected rows are computed independently, with DuckDB over the restricted marts."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.serve.tokens import TokenStore

sys.path.insert(0, str(Path(__file__).parent))
from serve_client import APP, AS_OF, Server, events, get, get_json, issue  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(serve_lake):
    server = Server(serve_lake.lake)
    yield server
    if server.proc.poll() is None:
        server.stop()


def _q(lake, sql: str, *params):
    con = duckdb.connect()
    try:
        return con.execute(sql.replace("{r}", str(lake / "restricted")).replace("{m}", str(lake / "marts")),
                           list(params)).fetchall()
    finally:
        con.close()


def _key(lake, sourced_id: str) -> str:
    return _q(lake, "select student_key from '{r}/student_identity.parquet' where student_sourced_id = ?", sourced_id)[0][0]


def test_health_needs_no_token_and_data_needs_a_valid_one(api, serve_lake):
    lake = serve_lake.lake
    status, _, body = get_json(f"{api.url}/healthz")
    assert status == 200 and body["policy_ready"]
    token = issue(lake, serve_lake.world.teacher)
    token_id = token.split("_")[1]
    cases = {
        None: "token_missing",
        f"ehs_{token_id}_{'A' * 43}": "token_unknown",  # forged secret
        token[:-5]: "token_unknown",  # truncated
        "Basic dXNlcjpwYXNz": "token_unknown",
    }
    for presented, code in cases.items():
        status, _, body = get_json(f"{api.url}/v1/marts/student_exam", presented, "teaching")
        assert (status, body["error"]["code"]) == (401, code), presented
        assert events(lake)[-1]["principal_id"] == "unauthenticated"  # nobody's token
    TokenStore(lake).revoke(token_id, datetime.now(UTC))
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam", token, "teaching")
    assert (status, body["error"]["code"]) == (401, "token_revoked")
    # a revoked or expired token's use is its owner's, so the audit can tie it to them
    assert (events(lake)[-1]["principal_id"], events(lake)[-1]["decision"]) == (serve_lake.world.teacher, "denied")
    stale = TokenStore(lake).issue(serve_lake.world.teacher, None, 1, datetime.now(UTC) - timedelta(days=2))
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam", stale, "teaching")
    assert (status, body["error"]["code"]) == (401, "token_expired")
    assert events(lake)[-1]["principal_id"] == serve_lake.world.teacher
    # nothing about the data or other principals in an error
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}


def test_a_teacher_reads_the_classes_taught_and_nothing_else(api, serve_lake):
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.teacher)
    status, headers, body = get_json(f"{api.url}/v1/marts/student_exam?limit=10000&columns=exam_id,student_key",
                                     token, "teaching")
    assert status == 200 and headers["x-decision"] == "allowed"
    got = {(r["exam_id"], r["student_key"]) for r in body["rows"]}
    expected = set(_q(lake, """
        select e.exam_id, e.student_key from '{m}/student_exam.parquet' as e
        where e.student_key in (select student_key from '{r}/class_membership.parquet'
                                where list_contains(?, class_sourced_id)
                                  and cast(? as date) between effective_from and effective_to)""",
                      w.teacher_classes, AS_OF))
    assert got == expected and got
    # a class the teacher does not teach, and a student outside the classes: no rows
    other_class = _q(lake, "select class_sourced_id from '{r}/class_membership.parquet' "
                           "where not list_contains(?, class_sourced_id) limit 1", w.teacher_classes)[0][0]
    status, _, body = get_json(f"{api.url}/v1/marts/class_term?class_sourced_id={other_class}", token, "teaching")
    assert status == 200 and body["rows"] == []
    status, _, body = get_json(f"{api.url}/v1/marts/class_term", token, "teaching")
    assert {r["class_sourced_id"] for r in body["rows"]} <= set(w.teacher_classes) and body["rows"]
    outsider = _q(lake, "select student_key from '{r}/student_identity.parquet' where student_key not in "
                        "(select student_key from '{r}/class_membership.parquet' where list_contains(?, class_sourced_id)) "
                        "limit 1", w.teacher_classes)[0][0]
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?student_key={outsider}", token, "teaching")
    assert status == 200 and body["rows"] == []


def test_a_read_runs_under_the_grant_the_request_names(api, serve_lake):
    """A teacher holds two grants on student_exam: the simulator's (all classes taught,
    every column) and a planted one (one class, two columns). Without grant_id the first
    by id decides; with it, that grant alone, and someone else's grant is refused."""
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.teacher)
    members = """select student_key from '{r}/class_membership.parquet' where list_contains(?, class_sourced_id)
                 and cast(? as date) between effective_from and effective_to"""
    status, headers, body = get_json(f"{api.url}/v1/marts/student_exam?limit=10000", token, "teaching")
    assert status == 200 and headers["x-grant-id"] != "tst-one-class" and headers["x-decision"] == "allowed"
    assert {r["student_key"] for r in body["rows"]} == {k for (k,) in _q(lake, members, w.teacher_classes, AS_OF)}
    status, headers, body = get_json(f"{api.url}/v1/marts/student_exam?limit=10000&grant_id=tst-one-class",
                                     token, "teaching")
    assert status == 200 and headers["x-grant-id"] == "tst-one-class" and headers["x-decision"] == "masked"
    assert set(body["rows"][0]) == {"exam_id", "student_key"}
    one_class = {k for (k,) in _q(lake, members, w.teacher_classes[:1], AS_OF)}
    assert {r["student_key"] for r in body["rows"]} == one_class and one_class
    assert events(lake)[-1]["grant_id"] == "tst-one-class"
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?grant_id=tst-report-p", token, "teaching")
    assert status == 403 and body["error"]["code"] == "no_grant"


def test_a_parent_reads_their_child_and_never_another(api, serve_lake):
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.parent)
    child, other = _key(lake, w.child), _key(lake, w.other_student)
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam", token, "guardianship")
    assert status == 200 and body["rows"] and {r["student_key"] for r in body["rows"]} == {child}
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?student_key={other}", token, "guardianship")
    assert status == 200 and body["rows"] == []
    last = [e for e in events(lake) if e["principal_id"] == w.parent][-2:]
    assert last[0]["subject_ids"] == [w.child] and last[1]["subject_ids"] == [] and last[1]["rows_returned"] == 0


SCOPES = {
    # scope type: (role, mart, purpose, SQL of the rows the scope may see, by the mart's own columns)
    "self": ("student", "student_exam", "learning",
             "select student_key from '{r}/student_identity.parquet' where list_contains(?, student_sourced_id)"),
    "grade": ("grade_leader", "student_exam", "management",
              "select student_key from '{r}/student_identity.parquet' where list_contains(?, school_sourced_id || ':' || grade)"),
    "school": ("principal", "school_term", "management", None),
    "city": ("city_admin", "usage_monthly", "statistics", None),
}


@pytest.mark.parametrize("scope_type", sorted(SCOPES))
def test_each_scope_type_cuts_rows_to_its_scope(api, serve_lake, scope_type):
    lake = serve_lake.lake
    role, mart, purpose, students = SCOPES[scope_type]
    principal, ids = _q(lake, "select principal_id, scope_ids from '{r}/access_grants.parquet' where role = ? "
                              "and resource = ? and revoked_at is null order by grant_id limit 1", role, mart)[0]
    token = issue(lake, principal)
    status, _, body = get_json(f"{api.url}/v1/marts/{mart}?limit=10000", token, purpose)
    assert status == 200 and body["rows"], (scope_type, body)
    if students:
        allowed = {k for (k,) in _q(lake, students, ids)}
        assert {r["student_key"] for r in body["rows"]} <= allowed
    elif scope_type == "school":
        assert {r["school_sourced_id"] for r in body["rows"]} == set(ids)
    else:  # a city sees every organisation of the city: the whole mart here
        everything = _q(lake, "select count(*) from '{m}/" + mart + ".parquet'")[0][0]
        assert len(body["rows"]) == everything


def test_a_subject_researcher_reads_the_items_of_their_subjects_exams_only(api, serve_lake):
    """item_analysis has no subject column: its rows are cut by their exam's subject (a
    researcher of one subject read every subject's items)."""
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.researcher)
    status, _, body = get_json(f"{api.url}/v1/marts/item_analysis?limit=10000&grant_id=tst-items", token, "research")
    assert status == 200 and body["rows"], body
    subjects = {i.split(":", 1)[1] for i in w.extra["research_scope"].split(";")}
    by_exam = dict(_q(lake, "select exam_id, subject from '{m}/exam_summary.parquet'"))
    assert {by_exam[r["exam_id"]] for r in body["rows"]} == subjects
    assert len({r["exam_id"] for r in body["rows"]}) < len(by_exam)


def test_a_grade_leader_reads_the_grades_aggregates_and_not_another_grades(api, serve_lake):
    """scope_psych cut to a grade scope: the grade's row, its homerooms' and the school's
    and district's above it; another grade of the same school never (its school column
    alone would have let it through)."""
    lake, extra = serve_lake.lake, serve_lake.world.extra
    school, grade = extra["grade"].split(":")
    token = issue(lake, extra["grade_leader"])
    status, _, body = get_json(f"{api.url}/v1/marts/scope_psych?limit=10000", token, "management")
    assert status == 200 and body["rows"], body
    homerooms = {c for (c,) in _q(lake, "select distinct homeroom_class_sourced_id from '{r}/student_identity.parquet' "
                                        "where school_sourced_id = ? and grade = ?", school, grade)}
    district = _q(lake, "select district_sourced_id from '{r}/org_hierarchy.parquet' where school_sourced_id = ?",
                  school)[0][0]
    got = {r["scope_id"] for r in body["rows"]}
    assert extra["grade"] in got and got <= homerooms | {extra["grade"], school, district}
    others = {s for (s,) in _q(lake, "select distinct scope_id from '{r}/scope_psych.parquet' where scope_type = 'grade' "
                                     "and school_sourced_id = ? and scope_id <> ?", school, extra["grade"])}
    assert not got & others


def test_every_grant_state_and_purpose_is_enforced(api, serve_lake):
    token = issue(serve_lake.lake, APP, app="dashboard")
    cases = [
        ("usage_monthly", "app_service", 200, None),
        ("school_term", "app_service", 403, "grant_expired"),
        ("district_term", "app_service", 403, "grant_revoked"),
        ("quality_map", "app_service", 403, "grant_not_yet_valid"),
        ("student_exam", "app_service", 403, "grant_exceeds_policy"),
        ("usage_monthly", "statistics", 403, "purpose_not_granted"),
        ("usage_monthly", "curiosity", 403, "purpose_unknown"),
        ("usage_monthly", None, 400, "purpose_missing"),
        ("item_analysis", "app_service", 403, "no_grant"),
    ]
    for mart, purpose, status, code in cases:
        got, _, body = get_json(f"{api.url}/v1/marts/{mart}", token, purpose)
        assert got == status and (code is None or body["error"]["code"] == code), (mart, purpose, body)
    # the app's district scope: its district's rows and the city above, no other district
    _, _, body = get_json(f"{api.url}/v1/marts/usage_monthly?org_type=district", token, "app_service")
    assert {r["org_sourced_id"] for r in body["rows"]} == {serve_lake.world.extra["district"]}
    mine = [e for e in events(serve_lake.lake) if e["client_app"] == "dashboard"]
    assert [e["decision"] for e in mine[:5]] == ["allowed", "denied", "denied", "denied", "denied"]
    assert mine[1]["grant_id"] == "tst-expired" and mine[2]["grant_id"] == "tst-revoked"


def test_sensitive_data_needs_a_sensitive_grant_and_columns_are_masked(api, serve_lake):
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.bare_parent)
    status, _, body = get_json(f"{api.url}/v1/marts/student_fitness", token, "guardianship")
    assert (status, body["error"]["code"]) == (403, "sensitive_not_granted")
    status, headers, body = get_json(f"{api.url}/v1/marts/student_term_profile", token, "guardianship")
    assert status == 200 and headers["x-decision"] == "masked"
    assert body["rows"] and all(set(r) == {"student_key", "academic_session", "exams_taken"} for r in body["rows"])
    status, _, body = get_json(f"{api.url}/v1/marts/student_term_profile?mean_z_score=0", token, "guardianship")
    assert (status, body["error"]["code"]) == (403, "filter_not_granted")
    event = [e for e in events(lake) if e["principal_id"] == w.bare_parent][1]
    assert event["decision"] == "masked" and event["columns"] == ["student_key", "academic_session", "exams_taken"]


def test_research_reads_only_students_with_consent_in_force(api, serve_lake):
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.researcher)
    got, cursor = set(), ""
    while True:  # pages of 150 rows: a researcher's ordinary reads, not a bulk export
        status, _, body = get_json(f"{api.url}/v1/marts/student_knowledge?columns=student_key&limit=150{cursor}",
                                   token, "research")
        assert status == 200
        got |= {r["student_key"] for r in body["rows"]}
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert got
    consented = {r[0] for r in _q(lake, """
        select student_key from '{r}/access_consents.parquet' where purpose = 'research'
          and (coalesce(status, 'given') = 'given' or (status = 'withdrawn' and withdrawn_at is not null))
          and given_at <= cast(? as timestamptz) and (withdrawn_at is null or withdrawn_at > cast(? as timestamptz))""",
        f"{AS_OF}T12:00:00+08:00", f"{AS_OF}T12:00:00+08:00")}
    assert got <= consented
    assert _key(lake, w.withdrawn_student) not in got
    # a consent whose status the contract does not name covers nothing (it did: not refused)
    assert _key(lake, w.extra["maybe_student"]) not in got


def test_a_homeroom_psych_count_does_not_reveal_the_students_withheld_beside_it(api, serve_lake):
    """Differencing: the head teacher reads the homeroom's psych counts (class_psych,
    scope_psych) and its students' screenings (student_psych) without the under-14s whose
    consent is missing; the counts told those students' level. Under min_cell of them in
    the homeroom, its counts are left out for a reader who holds student-level psych
    data; the grade leader, who holds none, still reads them."""
    lake, w = serve_lake.lake, serve_lake.world
    (withheld,), = _q(lake, """
        select count(distinct m.student_key) from '{r}/class_membership.parquet' as m
        join '{r}/student_identity.parquet' as i using (student_key)
        where m.class_sourced_id = ? and m.class_type = 'homeroom'
          and (i.birth_date is null or i.birth_date > date '2021-10-07' - interval 14 year)
          and m.student_key not in (
              select student_key from '{r}/access_consents.parquet' where purpose = 'pastoral_care'
                and data_category in ('sensitive_psych', 'all') and covers
                and covers_from <= timestamptz '2021-10-07 12:00:00+08'
                and (withdrawn_at is null or withdrawn_at > timestamptz '2021-10-07 12:00:00+08'))""", w.homeroom)
    assert 1 <= withheld < 10, withheld  # the withdrawn consent at least, a homeroom's few
    (published,), = _q(lake, "select count(*) from '{r}/scope_psych.parquet' where scope_type = 'class' "
                             "and scope_id = ?", w.homeroom)
    assert published
    token = issue(lake, w.head_teacher)
    status, _, body = get_json(f"{api.url}/v1/marts/class_psych?limit=10000", token, "pastoral_care")
    assert status == 200 and body["rows"] == [], body
    leader = issue(lake, w.extra["grade_leader"])
    status, _, body = get_json(f"{api.url}/v1/marts/scope_psych?limit=10000&grant_id=tst-grade-psych", leader,
                               "management")
    assert status == 200 and {r["scope_type"] for r in body["rows"]} >= {"class", "grade"}


def test_psych_is_read_for_pastoral_care_only_and_an_under_14s_needs_consent(api, serve_lake):
    """Psych screening serves pastoral care (role_policy.yaml category_purposes): the head
    teacher's sensitive grant lists teaching too, and a read for teaching is refused (it
    was served: the surveys probe); the attention list read for teaching comes without
    its psych flag. Pastoral care is not exempt from consent: the homeroom's under-14
    whose consent was withdrawn is withheld."""
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.head_teacher)
    withdrawn = _key(lake, w.pastoral_withdrawn)
    status, _, body = get_json(f"{api.url}/v1/marts/student_psych?columns=student_key&limit=10000", token,
                               "pastoral_care")
    assert status == 200 and body["rows"], body
    assert withdrawn not in {r["student_key"] for r in body["rows"]}
    status, _, body = get_json(f"{api.url}/v1/marts/student_psych?columns=student_key", token, "teaching")
    assert (status, body["error"]["code"]) == (403, "purpose_not_allowed")
    attention = f"{api.url}/v1/marts/students_needing_attention?grant_id=tst-attention&limit=10000"
    status, headers, body = get_json(attention, token, "pastoral_care")
    assert status == 200 and headers["x-decision"] == "allowed" and all("psych_risk_high" in r for r in body["rows"])
    status, headers, body = get_json(attention, token, "teaching")
    assert status == 200 and body["rows"] and headers["x-decision"] == "masked"
    assert all("psych_risk_high" not in r for r in body["rows"])
    status, _, body = get_json(attention + "&psych_risk_high=true", token, "teaching")
    assert (status, body["error"]["code"]) == (403, "filter_not_granted")
    # a filter on the flag reveals it as reading it does: consent applies, and the access
    # event lists the column (the API probe: the filter picked out the withdrawn under-14)
    status, _, body = get_json(attention + "&columns=student_key&psych_risk_high=true", token, "pastoral_care")
    got = {r["student_key"] for r in body["rows"]}
    assert status == 200 and _key(lake, w.extra["psych_high_consenting"]) in got and withdrawn not in got
    assert events(lake)[-1]["columns"] == ["student_key", "psych_risk_high"]


def test_hostile_names_and_values_change_nothing(api, serve_lake):
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.teacher)
    quoted = urllib.parse.quote
    for path in ("..%2F..%2Fops%2Fsecrets%2Fpseudonym.key", quoted("student_exam; drop table x"), "student_identity%00"):
        status, _, body = get_json(f"{api.url}/v1/marts/{path}", token, "teaching")
        assert status in (403, 404) and "error" in body, path
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?student_key={quoted(chr(39) + ' or 1=1 --')}",
                               token, "teaching")
    assert status == 200 and body["rows"] == []
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?columns={quoted('score, 1 as x')}", token, "teaching")
    assert (status, body["error"]["code"]) == (400, "unknown_column")
    # a crafted cursor far past any table (it was a 500 with no access event)
    given = get_json(f"{api.url}/v1/marts/student_exam?limit=1", token, "teaching")[2]["next_cursor"]
    crafted = {**json.loads(base64.urlsafe_b64decode(given + "==")), "o": 1e30}  # this query's, far out
    huge = base64.urlsafe_b64encode(json.dumps(crafted).encode()).decode().rstrip("=")
    before = len(events(lake))
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?limit=1&cursor={huge}", token, "teaching")
    assert (status, body["error"]["code"]) == (400, "bad_cursor") and len(events(lake)) == before + 1
    # an unknown route and a method the API does not serve: refused, and recorded
    before = len(events(lake))
    status, _, body = get_json(f"{api.url}/v1/admin", token, "teaching")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam", token, "teaching", method="DELETE")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")
    probes = events(lake)[before:]
    assert [(e["principal_id"], e["resource"], e["action"], e["decision"]) for e in probes] == [
        (w.teacher, "/v1/admin", "read", "denied"), (w.teacher, "/v1/marts/student_exam", "delete", "denied")]
    # a filter given twice is refused, not read as its last value
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?exam_id=a&exam_id=b", token, "teaching")
    assert (status, body["error"]["code"]) == (400, "repeated_filter")
    # nor a limit or columns given twice (the last one won), and a HEAD is not a read of
    # rows it never sends (it was audited as one): the API probe, stop 56
    for query in ("limit=1&limit=2", "columns=exam_id&columns=score&limit=1"):
        status, _, body = get_json(f"{api.url}/v1/marts/student_exam?{query}", token, "teaching")
        assert (status, body["error"]["code"]) == (400, "repeated_parameter"), query
    before = len(events(lake))
    status, headers, body = get(f"{api.url}/v1/marts/student_exam?limit=1", token, "teaching", method="HEAD")
    assert (status, body) == (405, b"")
    assert [(e["resource"], e["action"], e["decision"], e["rows_returned"]) for e in events(lake)[before:]] == [
        ("/v1/marts/student_exam", "head", "denied", 0)]
    status, _, body = get_json(f"{api.url}/v1/reports/teacher/..%2F..%2Fops%2Fsecrets%2Fpseudonym.key", token, "teaching")
    assert status in (403, 404)
    assert b"pseudonym" not in get(f"{api.url}/v1/reports/teacher/%2e%2e", token, "teaching")[2].lower().replace(
        b"pseudonym.key", b"")


def test_what_the_api_probe_found_is_refused_and_recorded(api, serve_lake):
    """The API probe's findings: a column named twice was a 500 with no access event; a
    trailing slash was redirected before any handler (no event); a limit in full-width
    or signed digits was read as a number; a cursor the client made itself was served.
    And a request the server fails on is still an error in the API's shape and one
    event (a mart file broken under the running server)."""
    import time

    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.teacher)
    before = len(events(lake))
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?columns=student_key,student_key", token, "teaching")
    assert (status, body["error"]["code"]) == (400, "repeated_column")
    for limit in ("%EF%BC%91", "+5", "1_0", "%D9%A1"):
        status, _, body = get_json(f"{api.url}/v1/marts/student_exam?limit={limit}", token, "teaching")
        assert (status, body["error"]["code"]) == (400, "bad_limit"), limit
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam/", token, "teaching")
    assert (status, body["error"]["code"]) == (404, "not_found")
    given = json.loads(base64.urlsafe_b64decode(
        get_json(f"{api.url}/v1/marts/student_exam?limit=1", token, "teaching")[2]["next_cursor"] + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**given, "o": 5}).encode()).decode().rstrip("=")
    status, _, body = get_json(f"{api.url}/v1/marts/student_exam?limit=1&cursor={forged}", token, "teaching")
    assert (status, body["error"]["code"]) == (400, "bad_cursor")
    assert len(events(lake)) == before + 8  # one event per request, the read included

    mart = lake / "marts" / "student_exam.parquet"
    saved = mart.read_bytes()
    try:
        mart.write_bytes(b"PAR1 not a parquet file PAR1")
        time.sleep(1.2)  # the server looks at a mart's mtime at most once a second
        before = len(events(lake))
        status, _, body = get_json(f"{api.url}/v1/marts/student_exam?limit=1", token, "teaching")
        assert (status, body["error"]["code"]) == (500, "internal_error")
        [event] = events(lake)[before:]
        assert (event["principal_id"], event["decision"], event["rows_returned"]) == (w.teacher, "denied", 0)
    finally:
        mart.write_bytes(saved)
    time.sleep(1.2)
    assert get_json(f"{api.url}/v1/marts/student_exam?limit=1", token, "teaching")[0] == 200


def test_formats_and_cursor_pages_agree(api, serve_lake):
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.teacher)
    url = f"{api.url}/v1/marts/student_exam?columns=exam_id,student_key,score"
    _, _, whole = get_json(url + "&limit=10000", token, "teaching")
    rows, cursor, pages = [], None, 0
    while True:
        status, headers, body = get_json(url + "&limit=7" + (f"&cursor={cursor}" if cursor else ""), token, "teaching")
        assert status == 200
        rows += body["rows"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert rows == whole["rows"] and pages > 1
    _, _, csv_body = get(url + "&limit=10000", token, "teaching", accept="text/csv")
    assert csv_body.decode().splitlines()[0] == "exam_id,student_key,score"
    assert len(csv_body.decode().splitlines()) == len(rows) + 1
    _, _, parquet_body = get(url + "&limit=10000", token, "teaching", accept="application/vnd.apache.parquet")
    assert pq.read_table(io.BytesIO(parquet_body)).to_pylist() == rows
    _, _, arrow_body = get(url + "&limit=10000", token, "teaching", accept="application/vnd.apache.arrow.stream")
    assert pa.ipc.open_stream(arrow_body).read_all().to_pylist() == rows
    status, _, body = get_json(url + "&cursor=not-a-cursor", token, "teaching")
    assert (status, body["error"]["code"]) == (400, "bad_cursor")
    # a cursor belongs to its query: with other columns, a filter or a purpose it is refused
    # (as an offset it gave a page of another answer, silently); the page size may change
    _, _, first = get_json(url + "&limit=7", token, "teaching")
    cursor = first["next_cursor"]
    assert get_json(url + f"&limit=3&cursor={cursor}", token, "teaching")[0] == 200
    for other in (url.replace(",score", ""), url + "&exam_id=x"):
        status, _, body = get_json(other + f"&cursor={cursor}", token, "teaching")
        assert (status, body["error"]["code"]) == (400, "bad_cursor"), other
    _, headers, _ = get(url, token, "teaching", accept="TEXT/CSV;q=0.9, application/json;q=0.1")
    assert headers["content-type"].startswith("text/csv")
    status, _, body = get_json(url, token, "teaching", accept="application/xml")
    assert (status, body["error"]["code"]) == (406, "not_acceptable")


def test_a_filter_compares_in_its_columns_type(api, serve_lake):
    """?score=90 finds a score of 90.0 (compared as text, only '90.0' did), a date and a
    whole number compare as such, and a value not of the column's type is a 400 with its
    event, not an empty page. Expected rows: the caller's unfiltered page, filtered here."""
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.teacher)
    url = f"{api.url}/v1/marts/student_exam?columns=exam_id,student_key,score,exam_date,district_rank&limit=10000"
    _, _, whole = get_json(url, token, "teaching")
    scored = [r for r in whole["rows"] if r["score"] is not None and float(r["score"]).is_integer()]
    assert scored, "the tiny district has whole-number scores"
    score = int(scored[0]["score"])
    _, _, body = get_json(f"{url}&score={score}", token, "teaching")
    assert body["rows"] == [r for r in whole["rows"] if r["score"] == score] and body["rows"]
    day = whole["rows"][0]["exam_date"]
    _, _, body = get_json(f"{url}&exam_date={day}", token, "teaching")
    assert body["rows"] == [r for r in whole["rows"] if r["exam_date"] == day]
    rank = next(r["district_rank"] for r in whole["rows"] if r["district_rank"] is not None)
    _, _, body = get_json(f"{url}&district_rank=%20{rank}", token, "teaching")
    assert body["rows"] == [r for r in whole["rows"] if r["district_rank"] == rank]
    for bad in ("score=ninety", "exam_date=21%2F10%2F2021", "district_rank=1.5"):
        before = len(events(lake))
        status, _, body = get_json(f"{url}&{bad}", token, "teaching")
        assert (status, body["error"]["code"]) == (400, "bad_filter"), bad
        assert [e["decision"] for e in events(lake)[before:]] == ["denied"]


def test_the_catalogue_lists_what_the_caller_may_read(api, serve_lake):
    token = issue(serve_lake.lake, APP)
    status, _, body = get_json(f"{api.url}/v1/marts", token, "app_service")
    assert status == 200 and [m["name"] for m in body["marts"]] == ["usage_monthly"]
    # a listing is a request like any other: one event, metadata only (no grant, no subjects)
    event = events(serve_lake.lake)[-1]
    assert (event["action"], event["resource"], event["decision"], event["rows_returned"], event["subject_ids"],
            event["grant_id"]) == ("list", "catalog", "allowed", 1, [], None)
    entry = body["marts"][0]
    assert entry["last_built"] and {c["name"]: c["classification"] for c in entry["columns"]}["online"] == "aggregate"
    status, headers, text = get(f"{api.url}/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    metrics = text.decode()
    assert 'eduhouse_requests_total{route="/v1/marts/{name}",status="200"}' in metrics
    assert 'eduhouse_policy_decisions_total{decision="denied"}' in metrics
    assert 'eduhouse_request_seconds_bucket{route="/v1/marts/{name}",le="+Inf"}' in metrics


def test_report_pages_open_only_to_whom_they_belong(api, serve_lake):
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.teacher)
    # their own teacher page, and the homeroom and grade pages the roster gives them today
    # (the simulator grants role_report for every role a person holds), each listed for
    # its role's report purpose: a head teacher's page is composed for pastoral care, a
    # grade leader's for management (the API probe: both opened for teaching)
    scopes = _q(lake, "select role, scope_id from '{r}/staff_scope.parquet' where person_sourced_id = ? "
                      "and role in ('head_teacher', 'grade_leader', 'teacher') and cast(? as date) between "
                      "coalesce(begin_date, date '0001-01-01') and coalesce(end_date, date '9999-12-31')",
                w.teacher, AS_OF)
    held = {(role, scope_id.replace(":", "_", 1)) for role, scope_id in scopes if role != "teacher"}
    purpose_of = {"teacher": "teaching", "head_teacher": "pastoral_care", "grade_leader": "management"}
    assert {"grade_leader"} <= {role for role, _ in held}, held
    listed = []
    for purpose in ("teaching", "pastoral_care", "management"):
        status, _, body = get_json(f"{api.url}/v1/reports", token, purpose)
        assert status == 200 and {purpose_of[p["role"]] for p in body["reports"]} <= {purpose}, (purpose, body)
        listed += [(p["role"], p["scope_id"]) for p in body["reports"]]
        # teacher, head teacher and grade pages are rendered when asked for: every listed page opens
        for p in body["reports"]:
            status, headers, page = get(f"{api.url}{p['href']}", token, purpose)
            assert status == 200 and headers["content-type"].startswith("text/html") and b"<html" in page.lower(), p
            assert headers["x-decision"] == "allowed" and headers["x-grant-id"], headers
            if p["role"] != "teacher":  # ... and for no other purpose
                status, _, refused = get_json(f"{api.url}{p['href']}", token, "teaching")
                assert (status, refused["error"]["code"]) == (403, "purpose_not_allowed"), p
    assert set(listed) == {("teacher", w.teacher)} | held and len(listed) == len(set(listed))
    # the same pages by the scope ids the grants name (`<school>:<grade>`, a class taught)
    granted = {(role, i) for role, ids in _q(lake, "select role, scope_ids from '{r}/access_grants.parquet' "
                                                   "where principal_id = ? and resource = 'role_report' "
                                                   "and revoked_at is null", w.teacher) for i in ids}
    by_scope = [(role, scope_id) for role, scope_id in scopes if (role, scope_id) in granted]
    assert {"grade_leader", "teacher"} <= {role for role, _ in by_scope}, (scopes, granted)
    for role, scope_id in by_scope:
        quoted = urllib.parse.quote(scope_id, safe="")
        status, _, page = get(f"{api.url}/v1/reports/{role}/{quoted}", token, purpose_of[role])
        assert status == 200 and b"<html" in page.lower(), (role, scope_id)
    # the teacher's page shows every class they teach: a grant of one of them does not open it
    assert len(w.teacher_classes) > 1, w.teacher_classes
    status, _, refused = get_json(f"{api.url}/v1/reports/teacher/{w.teacher}?grant_id=tst-report-t-one", token,
                                  "teaching")
    assert (status, refused["error"]["code"]) == (403, "not_in_scope")
    other = next(p for p in _q(lake, "select distinct person_sourced_id from '{r}/staff_scope.parquet' "
                                     "where role = 'teacher'") if p[0] != w.teacher)[0]
    status, _, _ = get(f"{api.url}/v1/reports/teacher/{other}", token, "teaching")
    assert status == 403
    others_class = _q(lake, "select scope_id from '{r}/staff_scope.parquet' where role = 'teacher' "
                            "and person_sourced_id = ? limit 1", other)[0][0]
    if others_class not in {scope_id for _, scope_id in granted}:
        assert get(f"{api.url}/v1/reports/teacher/{others_class}", token, "teaching")[0] == 403
    parent = issue(lake, w.parent)
    status, _, body = get_json(f"{api.url}/v1/reports", parent, "guardianship")
    assert [(p["role"], p["scope_id"]) for p in body["reports"]] == [("parent", _key(lake, w.child))]
    event = events(lake)[-1]
    assert (event["principal_id"], event["action"], event["resource"], event["decision"], event["rows_returned"],
            event["subject_ids"]) == (w.parent, "list", "role_report", "allowed", 1, [])
    status, _, _ = get(f"{api.url}{body['reports'][0]['href']}", parent, "guardianship")
    assert status == 200
    event = events(lake)[-1]
    assert (event["resource"], event["decision"], event["subject_ids"]) == ("role_report", "allowed", [w.child])
    # by the child's sourcedId, the scope id of the parent's grant: the same page; another
    # student's answers as an unknown page does
    by_key = get(f"{api.url}{body['reports'][0]['href']}", parent, "guardianship")[2]
    status, _, page = get(f"{api.url}/v1/reports/parent/{w.child}", parent, "guardianship")
    assert status == 200 and page == by_key
    assert (events(lake)[-1]["decision"], events(lake)[-1]["subject_ids"]) == ("allowed", [w.child])
    assert get(f"{api.url}/v1/reports/parent/{w.other_student}", parent, "guardianship")[0] == 403
    assert get(f"{api.url}/v1/reports/student/{w.child}", parent, "guardianship")[0] == 403


def test_a_page_showing_psych_needs_a_sensitive_grant_and_each_under_14s_consent(api, serve_lake):
    """The head teacher's page shows the homeroom's psych screening: under a role_report
    grant not marked sensitive it is refused, as the psych marts are; under the sensitive
    one, a student screened at high risk is flagged by name only with the consent pastoral
    care needs for an under-14 (the API probe: the page named a student whose consent was
    withdrawn, where `student_psych` withheld them)."""
    lake, w = serve_lake.lake, serve_lake.world
    token = issue(lake, w.head_teacher)
    url = f"{api.url}/v1/reports/head_teacher/{w.homeroom}"
    status, _, body = get_json(url + "?grant_id=grt-a-report-ht-plain", token, "pastoral_care")
    assert (status, body["error"]["code"]) == (403, "sensitive_not_granted")
    # unnamed, the sensitive grant opens it, though the plain one comes first by id; and
    # the listing shows it (it hid the page: the pages probe)
    status, headers, page = get(url, token, "pastoral_care")
    assert status == 200 and headers["x-grant-id"] != "grt-a-report-ht-plain"
    status, _, body = get_json(f"{api.url}/v1/reports", token, "pastoral_care")
    assert ("head_teacher", w.homeroom) in {(p["role"], p["scope_id"]) for p in body["reports"]}
    flag = "最近一次心理筛查为高风险"
    rows = page.decode().split("<tr")
    names = dict(_q(lake, "select student_sourced_id, family_name || given_name from '{r}/student_identity.parquet' "
                          "where student_sourced_id in (?, ?)", w.pastoral_withdrawn, w.extra["psych_high_consenting"]))
    consenting = [r for r in rows if f">{names[w.extra['psych_high_consenting']]}<" in r]
    assert consenting and any(flag in r for r in consenting), "the consented high-risk student is flagged"
    assert not any(flag in r for r in rows if f">{names[w.pastoral_withdrawn]}<" in r), "no consent: no flag"


def test_every_request_is_one_event_in_order_even_across_a_kill(api, serve_lake):
    lake = serve_lake.lake
    token = issue(lake, serve_lake.world.teacher, app="load")
    before = len(events(lake))
    urls = [f"{api.url}/v1/marts/class_term?limit=5"] * 30 + [f"{api.url}/v1/marts/district_term"] * 10

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda u: get(u, token, "teaching")[0], urls))
    assert sorted(set(statuses)) == [200, 403]
    # killed without a goodbye, then started again: numbering continues with no gap
    api.stop(signal.SIGKILL)
    again = Server(lake)
    try:
        for _ in range(5):
            assert get(f"{again.url}/v1/marts/class_term?limit=1", token, "teaching")[0] == 200
    finally:
        again.stop()  # SIGTERM: a graceful stop seals the open segment into a delivery
    assert not list((lake / "inbox" / "access").glob("*.part"))
    mine = [e for e in events(lake)[before:] if e["client_app"] == "load"]
    assert len(mine) == len(urls) + 5
    assert [e["seq"] for e in mine] == list(range(mine[0]["seq"], mine[0]["seq"] + len(mine)))
    required = ("event_id", "seq", "event_time", "principal_id", "role", "client_app", "action", "resource", "purpose",
                "decision")
    assert all(all(e[f] is not None for f in required) for e in mine)
    assert all(e["event_time"].endswith("+08:00") and e["event_time"].startswith(AS_OF) for e in mine)


def test_the_next_run_lands_the_events_and_the_audit_sees_exactly_the_probing(serve_lake):
    """The loop: the events of every test above land with the next `eduhouse run`, and the
    audit's findings about them are the ones predicted from the events alone: a burst of
    denials for each principal that was refused at least the policy's threshold within an
    hour, and no finding on any request the server allowed."""
    import subprocess

    from orchestration.governance.policy import load_policy

    lake = serve_lake.lake
    served = events(lake)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    done = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--lake", str(lake)],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    landed = {r[0] for r in _q(lake, "select event_id from read_parquet(?)",
                              str(lake / "bronze" / "access" / "events" / "**" / "*.parquet"))}
    assert {e["event_id"] for e in served} <= landed  # nothing lost on the way
    findings = _q(lake, "select \"check\", principal_id, event_ids from '{r}/access_audit_findings.parquet'")
    ids = {e["event_id"]: e for e in served}
    about_served = [(check, principal, [i for i in event_ids if i in ids])
                    for check, principal, event_ids in findings if set(event_ids or []) & set(ids)]
    threshold = int(load_policy()["thresholds"]["denials_per_hour"])
    denials: dict[str, list] = {}
    for e in served:
        if e["decision"] == "denied":
            denials.setdefault(e["principal_id"], []).append(e)
    probing = {p for p, d in denials.items() if len(d) >= threshold}  # all within minutes
    assert probing
    assert sorted((c, p) for c, p, _ in about_served) == sorted(("repeated_denials", p) for p in probing)
    for _, principal, found in about_served:
        assert sorted(found) == sorted(e["event_id"] for e in denials[principal])
    gaps = [f for f in findings if f[0] == "log_sequence_gap"]
    assert not [g for g in gaps if set(g[2] or []) & set(ids)]


def test_a_token_cannot_take_the_name_of_an_app_with_its_own_access_log(serve_lake):
    """The server numbers events per client_app; an app that sends its own log under the
    same name would share seqs with it (seq 1, 2, 3 twice) and hide gaps."""
    import subprocess

    lake, w = serve_lake.lake, serve_lake.world
    external = _q(lake, "select any_value(client_app) from read_parquet(?) where not starts_with(_delivery, "
                        "'eduhouse-serve-')", str(lake / "bronze" / "access" / "**" / "*.parquet"))[0][0]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    cli = [sys.executable, "-m", "orchestration.cli", "token", "issue", "--lake", str(lake), "--principal", w.teacher]
    refused = subprocess.run([*cli, "--app", external], capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "own access log" in refused.stderr and not refused.stdout
    issued = subprocess.run([*cli, "--app", "eduhouse-test-console"], capture_output=True, text=True, timeout=120,
                            env=env)
    assert issued.returncode == 0 and issued.stdout.strip(), issued.stderr
