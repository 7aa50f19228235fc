"""A hand-made bronze lake (the interfaces.md contracts) with known answers, so the dbt
models can be checked without the simulator or landing.

The district: city C1 > district D1 > schools S1 (junior) and S2 (senior); S3 is
deleted. st1 is in two S1 classes (counted once), st3 left S1 before October, nobody
at S2 is ever online, and st1's first login, 2021-09-30T16:30:00Z, is October locally.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

LANDED = datetime(2021, 11, 1, tzinfo=UTC)
LINEAGE = "_delivery VARCHAR, _file VARCHAR, _position BIGINT, _landed_at TIMESTAMPTZ"

LOGIN = "https://w3id.org/xapi/adl/verbs/logged-in"
VIEWED = "http://id.tincanapi.com/verb/viewed"
ASSIGN = "http://activitystrea.ms/schema/1.0/assign"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
NS = "https://slp.example.edu.cn"


def _write(con: duckdb.DuckDBPyConnection, path: Path, schema: str, rows: list[tuple]) -> None:
    """Write rows (contract columns then the lineage) as one bronze Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [c.strip().split(" ")[0] for c in f"{schema}, {LINEAGE}".split(",")]
    types = [" ".join(c.strip().split(" ")[1:]) for c in f"{schema}, {LINEAGE}".split(",")]
    con.execute(f"create or replace temp table t ({', '.join(f'{chr(34)}{n}{chr(34)} {t}' for n, t in zip(names, types, strict=True))})")
    if rows:
        con.executemany(f"insert into t values ({', '.join('?' for _ in names)})", rows)
    con.execute(f"copy t to '{path}' (format parquet, compression zstd)")


def _lineage(delivery: str, file: str, position: int, landed: datetime = LANDED) -> tuple:
    return (delivery, file, position, landed)


ROSTER_META = "sourcedId VARCHAR, status VARCHAR, dateLastModified TIMESTAMPTZ"
T0 = datetime(2021, 8, 1, tzinfo=UTC)
T1 = datetime(2021, 8, 15, tzinfo=UTC)


def write_roster(con, bronze: Path, delivery: str = "roster_2021-08-15") -> None:
    def rows(items, file):
        return [(*item, *_lineage(delivery, file, i + 2)) for i, item in enumerate(items)]

    r = bronze / "roster"
    _write(con, r / "orgs" / f"{delivery}.parquet",
           f"{ROSTER_META}, name VARCHAR, type VARCHAR, identifier VARCHAR, parentSourcedId VARCHAR",
           rows([
               ("C1", "active", T0, "Test City", "local", "c1", None),
               ("D1", "active", T0, "Test District", "district", "d1", "C1"),
               ("S1", "active", T0, "Old Name S1", "school", "s1", "D1"),
               ("S1", "active", T1, "Junior School 1", "school", "s1", "D1"),
               ("S2", "", T0, "Senior School 2", "school", "s2", "D1"),
               ("S3", "active", T0, "Closed School 3", "school", "s3", "D1"),
               ("S3", "tobedeleted", T1, "Closed School 3", "school", "s3", "D1"),
           ], "orgs.csv"))
    _write(con, r / "academic_sessions" / f"{delivery}.parquet",
           f"{ROSTER_META}, title VARCHAR, type VARCHAR, startDate DATE, endDate DATE, parentSourcedId VARCHAR, schoolYear VARCHAR",
           rows([("Y2022", "active", T0, "2021-2022", "schoolyear", "2021-09-01", "2022-07-15", None, "2022"),
                 ("T2021A", "active", T0, "Autumn 2021", "term", "2021-09-01", "2022-01-20", "Y2022", "2022")],
                "academicSessions.csv"))
    _write(con, r / "courses" / f"{delivery}.parquet",
           f"{ROSTER_META}, schoolYearSourcedId VARCHAR, title VARCHAR, courseCode VARCHAR, grades VARCHAR[], "
           "orgSourcedId VARCHAR, subjects VARCHAR[], subjectCodes VARCHAR[]",
           rows([("CM7", "active", T0, "Y2022", "Math 7", "m7", ["07"], "S1", ["math"], ["MA"])], "courses.csv"))
    _write(con, r / "classes" / f"{delivery}.parquet",
           f"{ROSTER_META}, title VARCHAR, grades VARCHAR[], courseSourcedId VARCHAR, classCode VARCHAR, classType VARCHAR, "
           "location VARCHAR, schoolSourcedId VARCHAR, termSourcedIds VARCHAR[], subjects VARCHAR[], subjectCodes VARCHAR[], periods VARCHAR[]",
           rows([
               ("H7A", "active", T0, "Grade 7 Class A", ["07"], None, "h7a", "homeroom", None, "S1", ["T2021A"], [], [], []),
               ("M7A", "active", T0, "Math 7A", ["7"], "CM7", "m7a", "Scheduled", None, "S1", ["T2021A"], ["math"], ["MA"], []),
               ("H10A", "active", T0, "Grade 10 Class A", ["10"], None, "h10a", "homeroom", None, "S2", ["T2021A"], [], [], []),
           ], "classes.csv"))
    _write(con, r / "users" / f"{delivery}.parquet",
           f"{ROSTER_META}, enabledUser BOOLEAN, orgSourcedIds VARCHAR[], role VARCHAR, username VARCHAR, userIds VARCHAR[], "
           "givenName VARCHAR, familyName VARCHAR, middleName VARCHAR, identifier VARCHAR, email VARCHAR, sms VARCHAR, "
           "phone VARCHAR, agentSourcedIds VARCHAR[], grades VARCHAR[]",
           rows([
               ("st1", "active", T0, True, ["S1"], "student", "st1", [], "Mei", "Li", None, "st1", None, None, None, ["p1"], ["07"]),
               ("st2", "active", T0, True, ["S1"], "student", "st2", [], "Lei", "Wang", None, "st2", None, None, None, [], ["07"]),
               ("st3", "active", T0, True, ["S1"], "student", "st3", [], "Jun", "Zhao", None, "st3", None, None, None, [], ["07"]),
               ("st4", "active", T0, True, ["S2"], "student", "st4", [], "Hua", "Chen", None, "st4", None, None, None, [], ["10"]),
               ("t1", "active", T0, True, ["S1"], "teacher", "t1", [], "Ping", "Liu", None, "t1", None, None, None, [], []),
               ("t2", "active", T0, True, ["S2"], "teacher", "t2", [], "Fang", "Yang", None, "t2", None, None, None, [], []),
               ("p1", "active", T0, True, ["S1"], "parent", "p1", [], "Qiang", "Li", None, "p1", None, None, None, ["st1"], []),
               ("pr1", "active", T0, True, ["S1"], "administrator", "pr1", [], "Min", "Sun", None, "pr1", None, None, None, [], []),
               ("rs1", "active", T0, True, ["D1"], "administrator", "rs1", [], "Tao", "Zhou", None, "rs1", None, None, None, [], []),
           ], "users.csv"))
    _write(con, r / "enrollments" / f"{delivery}.parquet",
           f"{ROSTER_META}, classSourcedId VARCHAR, schoolSourcedId VARCHAR, userSourcedId VARCHAR, role VARCHAR, "
           "primary BOOLEAN, beginDate DATE, endDate DATE",
           rows([
               ("e1", "active", T0, "H7A", "S1", "st1", "student", False, "2021-09-01", None),
               ("e2", "active", T0, "M7A", "S1", "st1", "student", False, "2021-09-01", None),
               ("e3", "active", T0, "H7A", "S1", "st2", "student", False, "2021-09-01", None),
               ("e4", "active", T0, "H7A", "S1", "st3", "student", False, "2021-09-01", "2021-09-20"),
               ("e5", "active", T0, "H7A", "S1", "t1", "teacher", True, "2021-09-01", None),
               ("e6", "active", T0, "M7A", "S1", "t1", "teacher", False, "2021-09-01", None),
               ("e7", "active", T0, "H10A", "S2", "st4", "student", False, "2021-09-01", None),
               ("e8", "active", T0, "H10A", "S2", "t2", "teacher", True, "2021-09-01", None),
               ("e9", "active", T0, "H10A", "S2", "st4", "student", False, "2021-09-01", None),
               ("e9", "tobedeleted", T1, "H10A", "S2", "st4", "student", False, "2021-09-01", None),
           ], "enrollments.csv"))
    _write(con, r / "demographics" / f"{delivery}.parquet",
           f"{ROSTER_META}, birthDate DATE, sex VARCHAR",
           rows([("st1", "active", T0, "2008-05-01", "female"), ("st4", "active", T0, "2005-01-01", "male")],
                "demographics.csv"))
    _write(con, r / "staff_assignments" / f"{delivery}.parquet",
           "sourcedId VARCHAR, userSourcedId VARCHAR, role VARCHAR, orgSourcedId VARCHAR, grade VARCHAR, subject VARCHAR, "
           "beginDate DATE, endDate DATE",
           rows([("sa1", "pr1", "principal", "S1", None, None, "2021-08-01", None),
                 ("sa2", "rs1", "subject_researcher", "D1", None, "math", "2021-08-01", None),
                 ("sa3", "t1", "grade_leader", "S1", "07", None, "2021-08-01", None)],
                "x_staff_assignments.csv"))


XAPI_SCHEMA = (
    "statement_id VARCHAR, actor_name VARCHAR, actor_home_page VARCHAR, verb_id VARCHAR, object_id VARCHAR, "
    "object_type VARCHAR, object_definition_type VARCHAR, result_success BOOLEAN, result_completion BOOLEAN, "
    "result_score_raw DOUBLE, result_score_min DOUBLE, result_score_max DOUBLE, result_score_scaled DOUBLE, "
    "result_duration VARCHAR, context_registration VARCHAR, context_parent_ids VARCHAR[], context_grouping_ids VARCHAR[], "
    "knowledge_point_ids VARCHAR[], ts TIMESTAMPTZ, ts_raw VARCHAR, stored_raw VARCHAR, version VARCHAR, "
    "local_date DATE"
)

# (id, actor, verb, object, parent ids, grouping ids, ts (UTC), local date)
STATEMENTS = [
    ("00000000-0000-4000-8000-000000000001", "st1", LOGIN, f"{NS}/platform", [], [], "2021-09-30T16:30:00Z", "2021-10-01"),
    ("00000000-0000-4000-8000-000000000002", "st1", LOGIN, f"{NS}/platform", [], [], "2021-10-05T02:00:00Z", "2021-10-05"),
    ("00000000-0000-4000-8000-000000000003", "st2", VIEWED, f"{NS}/resources/r1", [], [], "2021-10-06T03:00:00Z", "2021-10-06"),
    ("00000000-0000-4000-8000-000000000004", "t1", LOGIN, f"{NS}/platform", [], [], "2021-10-02T01:00:00Z", "2021-10-02"),
    ("00000000-0000-4000-8000-000000000005", "t1", ASSIGN, f"{NS}/microtests/mt1", [], [f"{NS}/classes/H7A"], "2021-10-03T01:00:00Z", "2021-10-03"),
    ("00000000-0000-4000-8000-000000000006", "st1", ANSWERED, f"{NS}/items/i1", [f"{NS}/microtests/mt1"], [], "2021-10-04T01:00:00Z", "2021-10-04"),
    ("00000000-0000-4000-8000-000000000007", "st1", ANSWERED, f"{NS}/items/i2", [f"{NS}/microtests/mt1"], [], "2021-10-04T01:01:00Z", "2021-10-04"),
    ("00000000-0000-4000-8000-000000000008", "st3", LOGIN, f"{NS}/platform", [], [], "2021-10-03T01:00:00Z", "2021-10-03"),
    ("00000000-0000-4000-8000-000000000009", "st1", LOGIN, f"{NS}/platform", [], [], "2021-09-29T10:00:00Z", "2021-09-29"),
    ("00000000-0000-4000-8000-000000000010", "st3", LOGIN, f"{NS}/platform", [], [], "2021-09-10T01:00:00Z", "2021-09-10"),
]


def write_xapi(con, lake: Path, statements: list[tuple], delivery: str, landed: datetime, finished: datetime) -> None:
    """One xAPI delivery: bronze files per local date and its ledger row."""
    by_date: dict[str, list[tuple]] = {}
    for position, (sid, actor, verb, obj, parents, groupings, ts, day) in enumerate(statements, start=1):
        row = (sid, actor, NS, verb, obj, "Activity", None, None, None, None, None, None, None, None, None,
               parents, groupings, [], datetime.fromisoformat(ts.replace("Z", "+00:00")), ts, None, "1.0.3", day,
               *_lineage(delivery, f"{delivery}.jsonl", position, landed))
        by_date.setdefault(day, []).append(row)
    for day, rows in by_date.items():
        _write(con, lake / "bronze" / "xapi" / "statements" / f"local_date={day}" / f"{delivery}.parquet", XAPI_SCHEMA, rows)
    ledger = lake / "ledger" / "xapi"
    ledger.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"copy (select 'xapi' as source, ? as delivery_id, ? as records_in, ? as landed, 0 as quarantined, "
        f"'landed' as status, ?::varchar[] as local_dates, ?::timestamptz as started_at, ?::timestamptz as finished_at) "
        f"to '{ledger / (delivery + '.parquet')}' (format parquet)",
        [delivery, len(statements), len(statements), sorted(by_date), landed, finished],
    )


def build_fixture_lake(lake: Path) -> Path:
    """Write the whole fixture lake (roster + two xAPI deliveries, one repeating a statement)."""
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    write_roster(con, lake / "bronze")
    write_xapi(con, lake, STATEMENTS, "xapi_2021-10-31", LANDED, LANDED)
    # A later delivery repeats statement 1 (same id): it must count once.
    later = datetime(2021, 11, 1, 1, tzinfo=UTC)
    write_xapi(con, lake, STATEMENTS[:1], "xapi_2021-11-01_resend", later, later)
    con.close()
    return lake
