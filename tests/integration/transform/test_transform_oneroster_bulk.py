"""OneRoster bulk and delta semantics, landed for real and modelled by dbt: a record a
newer bulk no longer holds has ended (a student who left a class stops being in it on
the day before that bulk, and keeps the months before), a
delta changes only what it holds, `tobedeleted` ends a record, and the newest bulk is
found by its record time when every bulk has one, by landing order when one has none,
never by its file name."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.landing.oneroster import land_roster

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from dbt_runner import run_dbt  # noqa: E402

HEAD = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n"


def _delivery(inbox: Path, name: str, mode: str, rows: list[str]) -> None:
    folder = inbox / name
    folder.mkdir(parents=True)
    (folder / "manifest.csv").write_text(
        "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
        f"file.enrollments,{mode}\nfile.orgs,absent\nfile.users,absent\nfile.classes,absent\n")
    (folder / "enrollments.csv").write_text(HEAD + "".join(r + "\n" for r in rows))


def test_a_newer_bulk_ends_what_it_no_longer_holds(tmp_path):
    lake = tmp_path / "lake"
    inbox = lake / "inbox" / "roster"
    # Named so that the newer bulk sorts first: order comes from dateLastModified.
    _delivery(inbox, "a-october-bulk", "bulk", [
        "e-1,,2021-10-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-3,,2021-10-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,",
    ])
    _delivery(inbox, "b-september-bulk", "bulk", [
        "e-1,,2021-09-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-2,,2021-09-01T00:00:00Z,c-1,s-1,stu-2,student,false,2021-09-01,",   # left by October
        "e-3,,2021-09-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,",
    ])
    _delivery(inbox, "c-delta", "delta", [
        "e-4,,2021-10-05T00:00:00Z,c-1,s-1,stu-4,student,false,2021-10-05,",    # joined after the bulk
        "e-3,tobedeleted,2021-10-06T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,",
    ])
    summary = land_roster(lake)
    assert all(d.status == "landed" for d in summary.deliveries), summary.deliveries
    target = tmp_path / "target"
    run_dbt(lake, ["run", "--select", "stg_roster__enrollments"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    current = con.execute("select enrollment_sourced_id, cast(end_date as varchar) "
                          "from staging.stg_roster__enrollments order by 1").fetchall()
    # e-2 left with the newer bulk (dated 2021-10-01T00:00Z, 08:00 in the district): it
    # ends the day before, kept; e-3's deletion (2021-10-06T00:00Z) ends it on the day
    # before, not from the start: it was in c-1 until then
    assert current == [("e-1", None), ("e-2", "2021-09-30"), ("e-3", "2021-10-05"), ("e-4", None)]


def _current(lake: Path, target: Path) -> list[str]:
    run_dbt(lake, ["run", "--select", "stg_roster__enrollments"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute("select enrollment_sourced_id from staging.stg_roster__enrollments "
                                          "where end_date is null order by 1").fetchall()]
    finally:
        con.close()


def test_an_undated_bulk_is_ordered_by_landing_not_against_record_times(tmp_path):
    """OneRoster bulk files may leave dateLastModified empty. Such a bulk's only time is
    its landing, which a history loaded years later puts after every record time: it
    once stayed the newest bulk for ever, so a later delta's new enrollment and a later
    bulk's removals were both lost."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _delivery(inbox, "r1-bulk", "bulk", [
        "e-1,,,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-2,,,c-1,s-1,stu-2,student,false,2021-09-01,",
    ])
    _delivery(inbox, "r2-delta", "delta", [
        "e-3,,2021-10-26T00:00:00Z,c-1,s-1,stu-3,student,false,2021-10-26,",    # joined
    ])
    land_roster(lake)
    assert _current(lake, target) == ["e-1", "e-2", "e-3"]
    _delivery(inbox, "r3-bulk", "bulk", [                                          # stu-2 left
        "e-1,,2021-11-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-3,,2021-11-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-10-26,",
    ])
    land_roster(lake)
    assert _current(lake, target) == ["e-1", "e-3"]
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        # e-2's last version is in the undated r1: it ended with the next bulk, r3
        # (2021-11-01T00:00Z, 08:00 in the district), on the day before
        assert con.execute("select cast(end_date as varchar) from staging.stg_roster__enrollments "
                           "where enrollment_sourced_id = 'e-2'").fetchall() == [("2021-10-31",)]
    finally:
        con.close()
    _delivery(inbox, "r4-delta", "delta", [                                         # undated delta
        "e-4,,,c-1,s-1,stu-4,student,false,2021-11-05,",
    ])
    land_roster(lake)
    assert _current(lake, target) == ["e-1", "e-3", "e-4"]


FILES = {
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "users": ("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
              "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password"),
    "classes": ("sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
                "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"),
    "enrollments": HEAD.strip(),
}


def _roster(inbox: Path, name: str, mode: str, files: dict[str, list[str]]) -> None:
    """A delivery of several files, each `mode` (bulk or delta); the rest absent."""
    folder = inbox / name
    folder.mkdir(parents=True)
    manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
    for table in ("orgs", "users", "classes", "enrollments", "academicSessions", "courses", "demographics"):
        manifest += f"file.{table},{mode if table in files else 'absent'}\n"
    (folder / "manifest.csv").write_text(manifest)
    for table, rows in files.items():
        (folder / f"{table}.csv").write_text(FILES[table] + "\n" + "".join(r + "\n" for r in rows))


def _two_students_in_a_class(inbox: Path) -> None:
    """A bulk roster: school s-1, homeroom c-1, students stu-1 (e-1) and stu-2 (e-2)."""
    _roster(inbox, "r1-bulk", "bulk", {
        "orgs": ["s-1,,2021-09-01T00:00:00Z,School,school,,"],
        "users": ["stu-1,,2021-09-01T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,,07,",
                  "stu-2,,2021-09-01T00:00:00Z,true,s-1,student,u2,,B,B,,,,,,,07,"],
        "classes": ["c-1,,2021-09-01T00:00:00Z,7A,07,,,homeroom,,s-1,,,,"],
        "enrollments": ["e-1,,2021-09-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
                        "e-2,,2021-09-01T00:00:00Z,c-1,s-1,stu-2,student,false,2021-09-01,"],
    })


def test_what_a_new_school_year_bulk_leaves_out_ends_and_keeps_its_past(tmp_path):
    """A new school year's bulk leaves out last year's class (c-old), a student who left
    (stu-2) and a parent no longer linked (par-2): they ended there, they did not never
    exist. Dropped, they took last year's memberships with them, so last year's months
    and exams lost their students when this year's roster landed."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    orgs = ["d-1,,2021-06-01T00:00:00Z,District,district,,", "s-1,,2021-06-01T00:00:00Z,School,school,,d-1"]
    students = ("stu-1,,2021-06-01T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,par-1,07,",
                "stu-2,,2021-06-01T00:00:00Z,true,s-1,student,u2,,B,B,,,,,,par-2,07,")
    _roster(inbox, "y2020-bulk", "bulk", {
        "orgs": orgs,
        "users": [*students,
                  "par-1,,2021-06-01T00:00:00Z,true,s-1,parent,p1,,P,P,,,,,,stu-1,,",
                  "par-2,,2021-06-01T00:00:00Z,true,s-1,parent,p2,,Q,Q,,,,,,stu-2,,"],
        "classes": ["c-old,,2021-06-01T00:00:00Z,7A,07,,,homeroom,,s-1,,,,"],
        "enrollments": ["e-1,,2021-06-01T00:00:00Z,c-old,s-1,stu-1,student,false,2020-09-01,",
                        "e-2,,2021-06-01T00:00:00Z,c-old,s-1,stu-2,student,false,2020-09-01,"],
    })
    # dated 2021-08-31T16:00Z = 2021-09-01 00:00 in the district: the new year's first day
    _roster(inbox, "y2021-bulk", "bulk", {
        "orgs": [o.replace("2021-06-01T00:00:00Z", "2021-08-31T16:00:00Z") for o in orgs],
        "users": ["stu-1,,2021-08-31T16:00:00Z,true,s-1,student,u1,,A,A,,,,,,par-1,08,",
                  "par-1,,2021-08-31T16:00:00Z,true,s-1,parent,p1,,P,P,,,,,,stu-1,,"],
        "classes": ["c-new,,2021-08-31T16:00:00Z,8A,08,,,homeroom,,s-1,,,,"],
        "enrollments": ["e-3,,2021-08-31T16:00:00Z,c-new,s-1,stu-1,student,false,2021-09-01,"],
    })
    summary = land_roster(lake)
    assert all(d.status == "landed" for d in summary.deliveries), summary.deliveries
    run_dbt(lake, ["run", "--select", "+int_enrollments_effective", "+student_identity"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    users = con.execute("select user_sourced_id, cast(roster_end_date as varchar) from staging.stg_roster__users "
                        "order by 1").fetchall()
    assert users == [("par-1", None), ("par-2", "2021-08-31"), ("stu-1", None), ("stu-2", "2021-08-31")]
    classes = con.execute("select class_sourced_id, cast(roster_end_date as varchar) from staging.stg_roster__classes "
                          "order by 1").fetchall()
    assert classes == [("c-new", None), ("c-old", "2021-08-31")]
    memberships = con.execute(
        "select enrollment_sourced_id, cast(effective_from as varchar), cast(effective_to as varchar), "
        "cast(end_date as varchar) from intermediate.int_enrollments_effective order by 1").fetchall()
    assert memberships == [("e-1", "2020-09-01", "2021-08-31", "2021-08-31"),
                           ("e-2", "2020-09-01", "2021-08-31", "2021-08-31"),
                           ("e-3", "2021-09-01", "9999-12-31", None)]
    identity = dict(con.execute("select student_sourced_id, guardian_sourced_ids "
                                "from restricted.student_identity").fetchall())
    # stu-2 keeps the key its past rows carry; no guardian is linked to a student who left,
    # and par-2 (left out too) is nobody's guardian now
    assert identity == {"stu-1": ["par-1"], "stu-2": []}


def test_a_membership_ends_with_its_person_deleted_by_a_delta(tmp_path):
    """A delta deletes a student but not their membership: the membership ends with them
    (the day before the deletion), not open for ever, and the student keeps their past."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _roster(inbox, "r1-bulk", "bulk", {
        "orgs": ["s-1,,2021-09-01T00:00:00Z,School,school,,"],
        "users": ["stu-1,,2021-09-01T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,,07,"],
        "classes": ["c-1,,2021-09-01T00:00:00Z,7A,07,,,homeroom,,s-1,,,,"],
        "enrollments": ["e-1,,2021-09-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,"],
    })
    _roster(inbox, "r2-delta", "delta", {
        "users": ["stu-1,tobedeleted,2021-10-06T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,,07,"],
    })
    land_roster(lake)
    run_dbt(lake, ["run", "--select", "+int_enrollments_effective"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    assert con.execute("select enrollment_sourced_id, cast(effective_to as varchar) "
                       "from intermediate.int_enrollments_effective").fetchall() == [("e-1", "2021-10-05")]


def test_a_delta_deleting_a_person_but_not_their_membership_builds_the_months(tmp_path):
    """A delta deletes a student and sends nothing about their membership (many systems
    do): the roster denominator check recomputes the months' students with the same rule
    as the models (a membership ends with its person), so the monthly build passes. It
    counted the open membership into November, failed, and held back every mart (the
    roster probe)."""
    import gzip
    import json

    from orchestration.landing.xapi import land_xapi

    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _two_students_in_a_class(inbox)
    _roster(inbox, "r2-delta", "delta", {
        "users": ["stu-1,tobedeleted,2021-10-06T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,,07,"],
    })
    land_roster(lake)
    home = "https://slp.example.edu.cn"
    lines = [json.dumps({"id": f"00000000-0000-4000-8000-00000000000{n}",
                         "actor": {"account": {"homePage": home, "name": "stu-2"}},
                         "verb": {"id": "https://w3id.org/xapi/adl/verbs/logged-in"},
                         "object": {"id": f"{home}/platform"}, "timestamp": ts})
             for n, ts in enumerate(("2021-10-03T01:00:00Z", "2021-11-02T01:00:00Z"), 1)]
    (lake / "inbox" / "xapi").mkdir(parents=True)
    (lake / "inbox" / "xapi" / "logs.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    land_xapi(lake)
    run_dbt(lake, ["build", "--select", "+assert_roster_denominator_matches_enrollments",
                   "--exclude-resource-type", "unit_test"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    assert con.execute("select month, on_roster from intermediate.int_usage_monthly where org_type = 'school' "
                       "and population = 'student' order by month").fetchall() == [("2021-10", 2), ("2021-11", 1)]


def test_a_deletion_carrying_only_its_key_ends_the_record_as_it_last_was(tmp_path):
    """OneRoster 1.1 asks a delta's `tobedeleted` row for its key alone: the other
    columns come empty. Such rows were quarantined (missing_required: role), so the
    deletion was lost and the student stayed on the roster for ever; landed with their
    empty columns, the record would lose its role, school and class. They land, and the
    record ends as its previous version was (the roster probe)."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _two_students_in_a_class(inbox)
    _roster(inbox, "r2-delta", "delta", {
        "users": ["stu-1,tobedeleted,2021-10-06T00:00:00Z" + "," * 15],
        "enrollments": ["e-2,tobedeleted,2021-10-08T00:00:00Z" + "," * 7],
    })
    summary = land_roster(lake)
    assert [(d.delivery_id, d.records_in, d.landed) for d in summary.deliveries if d.delivery_id == "r2-delta"] == [
        ("r2-delta", 11, 11)], summary.deliveries  # 9 manifest rows, the two deletions
    run_dbt(lake, ["run", "--select", "+int_enrollments_effective", "+student_identity"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    assert con.execute("select user_sourced_id, status, role, org_sourced_ids, given_name, "
                       "cast(roster_end_date as varchar) from staging.stg_roster__users order by 1").fetchall() == [
        ("stu-1", "tobedeleted", "student", ["s-1"], "A", "2021-10-05"),
        ("stu-2", "active", "student", ["s-1"], "B", None)]
    assert con.execute("select enrollment_sourced_id, class_sourced_id, person_sourced_id, "
                       "cast(effective_to as varchar) from intermediate.int_enrollments_effective "
                       "order by 1").fetchall() == [
        ("e-1", "c-1", "stu-1", "2021-10-05"), ("e-2", "c-1", "stu-2", "2021-10-07")]
    # both keep their past: the months before count them
    assert con.execute("select count(*) from restricted.student_identity").fetchall() == [(2,)]


def test_a_disabled_account_holds_no_scope_from_the_day_it_was_disabled(tmp_path):
    """OneRoster's enabledUser false: the account may not sign in. Its scopes kept
    running (the roster probe), so the API served a disabled teacher and a disabled
    parent their classes and child. Every scope now ends the day before the account was
    disabled, dated by the first disabled version: a later unrelated change (a new
    phone) does not move it, and enabling the account again opens the scopes again."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _roster(inbox, "r1-bulk", "bulk", {
        "orgs": ["s-1,,2021-09-01T00:00:00Z,School,school,,"],
        "users": ["stu-1,,2021-09-01T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,par-1,07,",
                  "par-1,,2021-09-01T00:00:00Z,true,s-1,parent,p1,,P,P,,,,,,stu-1,,",
                  "tch-1,,2021-09-01T00:00:00Z,true,s-1,teacher,t1,,T,T,,,,,,,,",
                  "tch-2,,2021-09-01T00:00:00Z,true,s-1,teacher,t2,,V,V,,,,,,,,"],
        "classes": ["c-1,,2021-09-01T00:00:00Z,7A,07,,,homeroom,,s-1,,,,"],
        "enrollments": ["e-1,,2021-09-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
                        "e-2,,2021-09-01T00:00:00Z,c-1,s-1,tch-1,teacher,true,2021-09-01,",
                        "e-3,,2021-09-01T00:00:00Z,c-1,s-1,tch-2,teacher,false,2021-09-01,"],
    })
    _roster(inbox, "r2-delta", "delta", {  # 2021-10-06 in the district
        "users": ["tch-1,,2021-10-06T02:00:00Z,false,s-1,teacher,t1,,T,T,,,,,,,,",
                  "par-1,,2021-10-06T02:00:00Z,false,s-1,parent,p1,,P,P,,,,,,stu-1,,",
                  "tch-2,,2021-10-06T02:00:00Z,false,s-1,teacher,t2,,V,V,,,,,,,,"],
    })
    _roster(inbox, "r3-delta", "delta", {
        "users": ["tch-1,,2021-10-20T02:00:00Z,false,s-1,teacher,t1,,T,T,,,,,139,,,",  # still disabled
                  "tch-2,,2021-10-20T02:00:00Z,true,s-1,teacher,t2,,V,V,,,,,,,,"],       # enabled again
    })
    land_roster(lake)
    run_dbt(lake, ["run", "--select", "+staff_scope"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    assert con.execute("select user_sourced_id, enabled_user, cast(disabled_since as varchar) "
                       "from staging.stg_roster__users order by 1").fetchall() == [
        ("par-1", False, "2021-10-06"), ("stu-1", True, None), ("tch-1", False, "2021-10-06"),
        ("tch-2", True, None)]
    assert con.execute("select person_sourced_id, role, scope_id, cast(end_date as varchar) "
                       "from restricted.staff_scope order by 1, 2").fetchall() == [
        ("par-1", "parent", "stu-1", "2021-10-05"),
        ("stu-1", "student", "stu-1", None),
        ("tch-1", "head_teacher", "c-1", "2021-10-05"),
        ("tch-1", "teacher", "c-1", "2021-10-05"),
        ("tch-2", "teacher", "c-1", None)]


def test_an_old_bulk_landed_late_ends_nothing(tmp_path):
    """A copy of September's bulk landed after October's deliveries. It holds records a
    delta deleted (e-2) or a newer bulk left out (e-3): their end days stay those of the
    deletion and of that bulk. The bulks after a delta's version were taken by landing,
    so the late old bulk's time (September) ended both a month early, and e-3 before it
    began (the roster probe: a mover left his old class on 09-30 and was placed at his
    new school for exams sat before the move)."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    september = ["e-1,,2021-09-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
                 "e-2,,2021-09-01T00:00:00Z,c-1,s-1,stu-2,student,false,2021-09-01,"]
    _delivery(inbox, "r1-bulk", "bulk", september)
    _delivery(inbox, "r2-delta", "delta", [
        "e-2,tobedeleted,2021-10-05T02:00:00Z,c-1,s-1,stu-2,student,false,2021-09-01,",
        "e-3,,2021-10-06T02:00:00Z,c-1,s-1,stu-3,student,false,2021-10-06,",
    ])
    _delivery(inbox, "r3-bulk", "bulk", ["e-1,,2021-10-20T02:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,"])
    land_roster(lake)
    ends = "select enrollment_sourced_id, cast(end_date as varchar) from staging.stg_roster__enrollments order by 1"

    def current() -> list[tuple]:
        run_dbt(lake, ["run", "--select", "stg_roster__enrollments"], target)
        con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
        try:
            return con.execute(ends).fetchall()
        finally:
            con.close()

    want = [("e-1", None), ("e-2", "2021-10-04"), ("e-3", "2021-10-19")]
    assert current() == want
    _delivery(inbox, "r0-september-again", "bulk", september)  # landed last, dated first
    with open(inbox / "r0-september-again" / "manifest.csv", "a") as fh:
        fh.write("source.systemCode,export-2\n")  # other bytes: not the same delivery again
    summary = land_roster(lake)
    assert [d.status for d in summary.deliveries] == ["landed"], summary.deliveries
    assert current() == want


STAFF_HEAD = "sourcedId,userSourcedId,role,orgSourcedId,grade,subject,beginDate,endDate"


def _staff(inbox: Path, name: str, mode: str, users: list[str], staff: list[str]) -> None:
    """A delivery of users (delta) and x_staff_assignments (``mode``)."""
    folder = inbox / name
    folder.mkdir(parents=True)
    manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
    for table in ("orgs", "classes", "enrollments", "academicSessions", "courses", "demographics"):
        manifest += f"file.{table},absent\n"
    (folder / "manifest.csv").write_text(manifest + f"file.users,delta\nfile.x_staff_assignments,{mode}\n")
    (folder / "users.csv").write_text(FILES["users"] + "\n" + "".join(r + "\n" for r in users))
    (folder / "x_staff_assignments.csv").write_text(STAFF_HEAD + "\n" + "".join(r + "\n" for r in staff))


def test_staff_assignments_follow_record_time_newer_bulks_and_their_person(tmp_path):
    """x_staff_assignments rows carry no dateLastModified: a version takes its delivery's
    record time, so September's bulk landed late does not reopen the grade leadership
    October ended (sa-1); an assignment a newer bulk no longer holds has ended the day
    before it (sa-2, kept for ever before); and a principal deleted from the roster holds
    the school no longer (sa-3): the roster probe's three leaks."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _roster(inbox, "r1-bulk", "bulk", {
        "orgs": ["s-1,,2021-09-01T00:00:00Z,School,school,,"],
        "users": [f"{u},,2021-09-01T00:00:00Z,true,s-1,teacher,{u},,T,T,,,,,,,," for u in ("tch-1", "tch-2")]
        + ["adm-1,,2021-09-01T00:00:00Z,true,s-1,administrator,adm-1,,A,A,,,,,,,,"],
    })
    september = ["sa-1,tch-1,grade_leader,s-1,08,,2021-09-01,", "sa-2,tch-2,grade_leader,s-1,09,,2021-09-01,",
                 "sa-3,adm-1,principal,s-1,,,2021-09-01,"]
    users_sept = ["tch-1,,2021-09-01T00:00:00Z,true,s-1,teacher,tch-1,,T,T,,,,,,,,"]
    _staff(inbox, "r2-staff", "bulk", users_sept, september)
    _staff(inbox, "r3-staff", "bulk", ["tch-1,,2021-10-20T02:00:00Z,true,s-1,teacher,tch-1,,T,T,,,,,139,,,"],
           ["sa-1,tch-1,grade_leader,s-1,08,,2021-09-01,2021-10-14", "sa-3,adm-1,principal,s-1,,,2021-09-01,"])
    _staff(inbox, "r4-leave", "delta", ["adm-1,tobedeleted,2021-10-22T02:00:00Z,,,,,,,,,,,,,,,"], [])
    land_roster(lake)
    _staff(inbox, "r0-september-again", "bulk", users_sept, september)  # landed last, dated first
    with open(inbox / "r0-september-again" / "manifest.csv", "a") as fh:
        fh.write("source.systemCode,export-2\n")  # other bytes: not the same delivery again
    summary = land_roster(lake)
    assert [d.status for d in summary.deliveries] == ["landed"], summary.deliveries
    run_dbt(lake, ["run", "--select", "+staff_scope"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        assert con.execute("select staff_assignment_sourced_id, cast(end_date as varchar) "
                           "from staging.stg_roster__staff_assignments order by 1").fetchall() == [
            ("sa-1", "2021-10-14"), ("sa-2", "2021-10-19"), ("sa-3", None)]
        assert con.execute("select person_sourced_id, scope_id, cast(end_date as varchar) from restricted.staff_scope "
                           "where granted_by_source = 'staff_assignment' order by 1").fetchall() == [
            ("adm-1", "s-1", "2021-10-21"), ("tch-1", "s-1:08", "2021-10-14"), ("tch-2", "s-1:09", "2021-10-19")]
    finally:
        con.close()


@pytest.mark.spark
def test_ended_roster_records_keep_their_past_on_spark(tmp_path):
    """The same ends on Spark (make test-spark): oneroster_current's keep_ended and
    roster_end_date are one text for both engines, and the simulated district, which
    sends one bulk, never leaves a record out."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _roster(inbox, "r1-bulk", "bulk", {
        "orgs": ["s-1,,2021-09-01T00:00:00Z,School,school,,"],
        "users": ["stu-1,,2021-09-01T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,,07,",
                  "stu-2,,2021-09-01T00:00:00Z,true,s-1,student,u2,,B,B,,,,,,,07,",
                  "stu-3,,2021-09-01T00:00:00Z,true,s-1,student,u3,,C,C,,,,,,,07,"],
        "classes": ["c-1,,2021-09-01T00:00:00Z,7A,07,,,homeroom,,s-1,,,,"],
        "enrollments": ["e-1,,2021-09-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
                        "e-2,,2021-09-01T00:00:00Z,c-1,s-1,stu-2,student,false,2021-09-01,",
                        "e-3,,2021-09-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,"],
    })
    _roster(inbox, "r2-bulk", "bulk", {  # stu-2 and e-2 left out: ended with this bulk
        "users": ["stu-1,,2021-10-01T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,,07,",
                  "stu-3,,2021-10-01T00:00:00Z,true,s-1,student,u3,,C,C,,,,,,,07,"],
        "enrollments": ["e-1,,2021-10-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
                        "e-3,,2021-10-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,"],
    })
    _roster(inbox, "r3-delta", "delta", {  # stu-3 deleted, not their membership; e-1 by its key alone
        "users": ["stu-3,tobedeleted,2021-10-06T00:00:00Z,true,s-1,student,u3,,C,C,,,,,,,07,"],
        "enrollments": ["e-1,tobedeleted,2021-10-08T00:00:00Z" + "," * 7],
    })
    land_roster(lake)
    run_dbt(lake, ["run", "--select", "+int_enrollments_effective"], target, engine="spark", timeout=900)
    table = lake / "warehouse" / "spark" / "intermediate.db" / "int_enrollments_effective"
    rows = duckdb.execute(f"select enrollment_sourced_id, cast(effective_to as varchar), cast(end_date as varchar) "
                          f"from read_parquet('{table}/*.parquet') order by 1").fetchall()
    assert rows == [("e-1", "2021-10-07", "2021-10-07"), ("e-2", "2021-09-30", "2021-09-30"),
                    ("e-3", "2021-10-05", "2021-10-05")]
