"""Hand-built tiny lakes: valid Parquet for every dataset a suite reads, and a way to break one.

Each table is written by a DuckDB ``COPY (SELECT ...)`` so types are exactly the bronze
contract's (docs/interfaces.md) and the marts' column types.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

LANDED = "TIMESTAMPTZ '2021-10-06 01:00:00+00'"
LINEAGE = f"'d1' AS _delivery, 'f.csv' AS _file, CAST(i + 1 AS BIGINT) AS _position, {LANDED} AS _landed_at"
UUID = "printf('%08d-0000-4000-8000-%012d', i, i)"


def xapi_sql(day: str, n: int = 6, actor_offset: int = 0) -> str:
    return f"""
    SELECT {UUID} || '' AS statement_id, 'stu-' || ((i % 3) + {actor_offset}) AS actor_name,
      'https://slp.example.edu.cn' AS actor_home_page,
      CASE WHEN i % 2 = 0 THEN 'https://w3id.org/xapi/adl/verbs/logged-in'
           ELSE 'http://adlnet.gov/expapi/verbs/answered' END AS verb_id,
      'https://slp.example.edu.cn/items/' || i AS object_id, NULL::VARCHAR AS object_type,
      NULL::VARCHAR AS object_definition_type, CAST(i % 2 = 1 AS BOOLEAN) AS result_success,
      NULL::BOOLEAN AS result_completion,
      CAST(CASE WHEN i % 2 = 1 THEN 3 END AS DOUBLE) AS result_score_raw,
      CAST(CASE WHEN i % 2 = 1 THEN 0 END AS DOUBLE) AS result_score_min,
      CAST(CASE WHEN i % 2 = 1 THEN 5 END AS DOUBLE) AS result_score_max,
      CAST(CASE WHEN i % 2 = 1 THEN 0.6 END AS DOUBLE) AS result_score_scaled,
      NULL::VARCHAR AS result_duration, NULL::VARCHAR AS context_registration,
      []::VARCHAR[] AS context_parent_ids, []::VARCHAR[] AS context_grouping_ids,
      []::VARCHAR[] AS knowledge_point_ids,
      TIMESTAMPTZ '{day} 02:00:00+00' + i * INTERVAL 1 MINUTE AS ts, '{day}T02:00:00Z' AS ts_raw,
      NULL::VARCHAR AS stored_raw, '1.0.3' AS version, DATE '{day}' AS local_date,
      'x-{day}' AS _delivery, 'x.jsonl' AS _file, CAST(i + 1 AS BIGINT) AS _position,
      TIMESTAMPTZ '{day} 23:00:00+00' AS _landed_at
    FROM range({n}) t(i)"""


def access_sql(day: str, n: int = 5) -> str:
    return f"""
    SELECT 'ev-' || i AS event_id, CAST(i AS BIGINT) AS seq,
      TIMESTAMPTZ '{day} 03:00:00+00' + i * INTERVAL 1 MINUTE AS event_time, '{day}T03:00:00Z' AS event_time_raw,
      'tch-1' AS principal_id, 'teacher' AS role, 'report-app' AS client_app, 'read' AS action,
      'usage_monthly' AS resource, ['online_rate']::VARCHAR[] AS columns, 'teaching' AS purpose,
      'allowed' AS decision, 'g-1' AS grant_id, CAST(i AS BIGINT) AS rows_returned,
      []::VARCHAR[] AS subject_ids, DATE '{day}' AS local_date,
      'a-{day}' AS _delivery, 'a.jsonl' AS _file, CAST(i + 1 AS BIGINT) AS _position,
      TIMESTAMPTZ '{day} 23:00:00+00' AS _landed_at
    FROM range({n}) t(i)"""


GOOD: dict[str, str] = {
    "bronze/roster/users/d1.parquet": f"""
      SELECT 'stu-' || i AS sourcedId, 'active' AS status, TIMESTAMPTZ '2021-09-01 00:00:00+00' AS dateLastModified,
        true AS enabledUser, ['sch-1']::VARCHAR[] AS orgSourcedIds, 'student' AS role, 'u' || i AS username,
        []::VARCHAR[] AS userIds, 'G' AS givenName, 'F' AS familyName, NULL::VARCHAR AS middleName,
        NULL::VARCHAR AS identifier, NULL::VARCHAR AS email, NULL::VARCHAR AS sms, NULL::VARCHAR AS phone,
        []::VARCHAR[] AS agentSourcedIds, ['07']::VARCHAR[] AS grades, {LINEAGE}
      FROM range(3) t(i)""",
    "bronze/roster/orgs/d1.parquet": f"""
      SELECT 'sch-1' AS sourcedId, 'active' AS status, TIMESTAMPTZ '2021-09-01 00:00:00+00' AS dateLastModified,
        'School 1' AS name, 'school' AS type, NULL::VARCHAR AS identifier, 'dist-1' AS parentSourcedId, {LINEAGE}
      FROM range(1) t(i)""",
    "bronze/roster/academic_sessions/d1.parquet": f"""
      SELECT sid AS sourcedId, 'active' AS status, TIMESTAMPTZ '2021-09-01 00:00:00+00' AS dateLastModified,
        title, kind AS type, s AS startDate, e AS endDate, parent AS parentSourcedId, '2022' AS schoolYear, {LINEAGE}
      FROM (VALUES (0, 'as-2021', '2021-2022', 'schoolyear', DATE '2021-09-01', DATE '2022-07-10', NULL::VARCHAR),
                   (1, 'term-1', '2021-2022 autumn', 'term', DATE '2021-09-01', DATE '2022-01-20', 'as-2021'))
        v(i, sid, title, kind, s, e, parent)""",
    "bronze/roster/courses/d1.parquet": f"""
      SELECT 'crs-' || (i + 1) AS sourcedId, 'active' AS status, TIMESTAMPTZ '2021-09-01 00:00:00+00' AS dateLastModified,
        'as-2021' AS schoolYearSourcedId, 'Math ' || (i + 7) AS title, 'MATH-0' || (i + 7) AS courseCode,
        ['0' || (i + 7)]::VARCHAR[] AS grades, 'sch-1' AS orgSourcedId, ['math']::VARCHAR[] AS subjects,
        []::VARCHAR[] AS subjectCodes, {LINEAGE}
      FROM range(2) t(i)""",
    "bronze/roster/demographics/d1.parquet": f"""
      SELECT 'stu-' || i AS sourcedId, 'active' AS status, TIMESTAMPTZ '2021-09-01 00:00:00+00' AS dateLastModified,
        DATE '2009-03-01' + CAST(i AS INTEGER) AS birthDate, CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END AS sex,
        NULL::VARCHAR AS americanIndianOrAlaskaNative, NULL::VARCHAR AS asian, NULL::VARCHAR AS blackOrAfricanAmerican,
        NULL::VARCHAR AS nativeHawaiianOrOtherPacificIslander, NULL::VARCHAR AS white,
        NULL::VARCHAR AS demographicRaceTwoOrMoreRaces, NULL::VARCHAR AS hispanicOrLatinoEthnicity,
        NULL::VARCHAR AS countryOfBirthCode, NULL::VARCHAR AS stateOfBirthAbbreviation, NULL::VARCHAR AS cityOfBirth,
        NULL::VARCHAR AS publicSchoolResidenceStatus, {LINEAGE}
      FROM range(3) t(i)""",
    "bronze/roster/staff_assignments/d1.parquet": f"""
      SELECT 'sa-' || i AS sourcedId, u AS userSourcedId, r AS role, o AS orgSourcedId, g AS grade, s AS subject,
        DATE '2021-09-01' AS beginDate, NULL::DATE AS endDate, {LINEAGE}
      FROM (VALUES (0, 'adm-1', 'principal', 'sch-1', NULL::VARCHAR, NULL::VARCHAR),
                   (1, 'tch-1', 'grade_leader', 'sch-1', '07', NULL),
                   (2, 'tch-2', 'subject_researcher', 'dist-1', NULL, 'math')) v(i, u, r, o, g, s)""",
    "bronze/roster/manifest/d1.parquet": f"""
      SELECT p AS propertyName, v AS value, {LINEAGE}
      FROM (VALUES (0, 'manifest.version', '1.0'), (1, 'oneroster.version', '1.1'), (2, 'file.orgs', 'bulk'),
                   (3, 'file.users', 'Bulk'), (4, 'file.resources', 'absent')) t(i, p, v)""",
    "bronze/roster/classes/d1.parquet": f"""
      SELECT 'cls-' || i AS sourcedId, 'active' AS status, TIMESTAMPTZ '2021-09-01 00:00:00+00' AS dateLastModified,
        'Class ' || i AS title, ['07']::VARCHAR[] AS grades, 'crs-1' AS courseSourcedId, NULL::VARCHAR AS classCode,
        CASE WHEN i = 0 THEN 'homeroom' ELSE 'scheduled' END AS classType, NULL::VARCHAR AS location,
        'sch-1' AS schoolSourcedId, ['term-1']::VARCHAR[] AS termSourcedIds, ['math']::VARCHAR[] AS subjects,
        []::VARCHAR[] AS subjectCodes, []::VARCHAR[] AS periods, {LINEAGE}
      FROM range(2) t(i)""",
    "bronze/roster/enrollments/d1.parquet": f"""
      SELECT 'enr-' || i AS sourcedId, 'active' AS status, TIMESTAMPTZ '2021-09-01 00:00:00+00' AS dateLastModified,
        'cls-0' AS classSourcedId, 'sch-1' AS schoolSourcedId, 'stu-' || i AS userSourcedId, 'student' AS role,
        false AS "primary", DATE '2021-09-01' AS beginDate, DATE '2022-07-10' AS endDate, {LINEAGE}
      FROM range(3) t(i)""",
    "bronze/exams/exams/d1.parquet": f"""
      SELECT 'ex-1' AS exam_id, 'Term math' AS name, 'term' AS kind, 'term-1' AS academic_session, '07' AS grade,
        'math' AS subject, DATE '2021-10-01' AS exam_date, 'dist-1' AS org_sourcedId, NULL::VARCHAR AS sitting_id, {LINEAGE}
      FROM range(1) t(i)""",
    "bronze/catalog/knowledge_points/d1.parquet": f"""
      SELECT 'kp-' || i AS kp_id, 'math' AS subject, '07' AS grade, 'Point ' || i AS name,
        CASE WHEN i > 0 THEN 'kp-0' END AS parent_kp_id, {LINEAGE}
      FROM range(3) t(i)""",
    "bronze/exams/exam_items/d1.parquet": f"""
      SELECT 'ex-1' AS exam_id, 'it-' || i AS item_id, CAST(10 AS DOUBLE) AS max_score,
        ['kp-1']::VARCHAR[] AS knowledge_point_ids, 'A1' AS ability, {LINEAGE}
      FROM range(2) t(i)""",
    "bronze/exams/exam_scores/d1.parquet": f"""
      SELECT 'ex-1' AS exam_id, 'stu-' || (i // 2) AS student_sourcedId, 'it-' || (i % 2) AS item_id,
        CAST(i AS DOUBLE) AS score, 'present' AS status, {LINEAGE}
      FROM range(6) t(i)""",
    "bronze/fitness/fitness_results/d1.parquet": f"""
      SELECT 'stu-' || i AS student_sourcedId, DATE '2021-10-01' AS test_date, CAST(150 + i AS DOUBLE) AS height_cm,
        CAST(40 AS DOUBLE) AS weight_kg, CAST(2500 AS DOUBLE) AS vital_capacity_ml, CAST(8.5 AS DOUBLE) AS run50m_s,
        CAST(10 AS DOUBLE) AS sit_reach_cm, CAST(180 AS DOUBLE) AS standing_jump_cm, CAST(85 AS DOUBLE) AS total_score,
        '良好' AS grade, {LINEAGE}
      FROM range(3) t(i)""",
    "bronze/psych/psych_screenings/d1.parquet": f"""
      SELECT 'stu-' || i AS student_sourcedId, DATE '2021-10-02' AS screen_date, 'MHT' AS instrument,
        'anxiety' AS scale, CAST(40 + i AS DOUBLE) AS score, 'none' AS risk_level, {LINEAGE}
      FROM range(3) t(i)""",
    "bronze/governance/grants/d1.parquet": f"""
      SELECT 'g-' || i AS grant_id, 'tch-' || i AS principal_id, 'user' AS principal_type, 'teacher' AS role,
        'class' AS scope_type, ['cls-0']::VARCHAR[] AS scope_ids, 'student_exam' AS resource,
        []::VARCHAR[] AS columns, ['read']::VARCHAR[] AS actions, ['teaching']::VARCHAR[] AS purposes,
        false AS sensitive, 'adm-1' AS granted_by, NULL::VARCHAR AS approved_by,
        TIMESTAMPTZ '2021-09-01 00:00:00+08' AS valid_from, TIMESTAMPTZ '2022-07-10 00:00:00+08' AS valid_to,
        NULL::TIMESTAMPTZ AS revoked_at, {LINEAGE}
      FROM range(2) t(i)""",
    "bronze/governance/consents/d1.parquet": f"""
      SELECT 'cns-' || i AS consent_id, 'stu-' || i AS student_sourcedId, 'par-' || i AS guardian_sourcedId,
        'research' AS purpose, CASE WHEN i = 2 THEN 'Sensitive_Health' ELSE 'learning' END AS data_category,
        'given' AS status, TIMESTAMPTZ '2021-08-01 00:00:00+08' AS given_at, NULL::TIMESTAMPTZ AS withdrawn_at,
        {LINEAGE}
      FROM range(3) t(i)""",
    "bronze/xapi/statements/local_date=2021-10-04/x-2021-10-04.parquet": xapi_sql("2021-10-04"),
    "bronze/access/events/local_date=2021-10-04/a-2021-10-04.parquet": access_sql("2021-10-04"),
    "marts/usage_monthly.parquet": """
      SELECT '2021-10' AS month, 'sch-1' AS org_sourced_id, 'school' AS org_type, 'School 1' AS org_name,
        seg AS segment, pop AS population, CAST(10 AS BIGINT) AS on_roster, CAST(4 AS BIGINT) AS online,
        CAST(0.4 AS DOUBLE) AS online_rate, CAST(9 AS BIGINT) AS logins, CAST(2.25 AS DOUBLE) AS logins_per_online,
        CAST(3 AS BIGINT) AS resource_viewers, CAST(0.3 AS DOUBLE) AS resource_view_rate, false AS suppressed
      FROM (VALUES ('junior', 'student'), ('junior', 'teacher')) v(seg, pop)""",
    "marts/microtest_monthly.parquet": """
      SELECT '2021-10' AS month, 'sch-1' AS org_sourced_id, 'school' AS org_type, 'School 1' AS org_name,
        seg AS segment, CAST(2 AS BIGINT) AS microtests_assigned, CAST(10 AS BIGINT) AS students_assigned,
        CAST(ans AS BIGINT) AS students_answering, CAST(ans / 10 AS DOUBLE) AS answer_rate,
        CAST(ans * 3 AS BIGINT) AS answers, false AS suppressed
      FROM (VALUES ('junior', 4), ('senior', 0)) v(seg, ans)""",
    "marts/student_exam.parquet": """
      WITH s AS (SELECT 'ex-' || (i % 2) AS exam_id, 'k' || i AS student_key, CAST(40 + i * 7 % 50 AS DOUBLE) AS score
                 FROM range(10) t(i))
      SELECT exam_id, student_key, 'term' AS kind, 'math' AS subject, '07' AS grade, '2021-2022' AS academic_session,
        DATE '2021-11-01' AS exam_date, 'sch-1' AS school_sourced_id, score, CAST(100 AS DOUBLE) AS max_score,
        score / 100 AS score_rate,
        coalesce((score - avg(score) OVER w) / nullif(stddev_pop(score) OVER w, 0), 0) AS z_score,
        CAST(rank() OVER (PARTITION BY exam_id ORDER BY score DESC) AS BIGINT) AS district_rank,
        CAST(percent_rank() OVER (PARTITION BY exam_id ORDER BY score) AS DOUBLE) AS percentile
      FROM s WINDOW w AS (PARTITION BY exam_id)""",
    "marts/exam_summary.parquet": """
      SELECT 'ex-' || i AS exam_id, 'Exam' AS name, 'term' AS kind, 'math' AS subject, '07' AS grade,
        '2021-2022' AS academic_session, DATE '2021-11-01' AS exam_date, 'dist-1' AS org_sourced_id,
        CAST(100 AS DOUBLE) AS max_score, CAST(5 AS BIGINT) AS students_present, CAST(0 AS BIGINT) AS students_absent,
        CAST(0 AS BIGINT) AS students_exempt, CAST(60 AS DOUBLE) AS mean_score, CAST(10 AS DOUBLE) AS sd_score,
        false AS suppressed
      FROM range(2) t(i)
      UNION ALL  -- an exam of three students: published without its figures
      SELECT 'ex-small', 'Make-up', 'unit', 'math', '07', '2021-2022', DATE '2021-11-02', 'dist-1', 100, NULL, NULL,
        NULL, NULL, NULL, true""",
    "restricted/student_identity.parquet": """
      SELECT 'k' || i AS student_key, 'stu-' || i AS student_sourced_id, 'sch-1' AS school_sourced_id,
        '07' AS grade, 'cls-0' AS homeroom_class_sourced_id, DATE '2009-03-01' AS birth_date,
        []::VARCHAR[] AS guardian_sourced_ids
      FROM range(3) t(i)""",
}


def write_parquet(lake: Path, rel: str, sql: str) -> Path:
    path = Path(lake) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def break_table(lake: Path, rel: str, sql_over_t: str) -> None:
    """Rewrite ``rel`` as ``sql_over_t`` evaluated over its current rows (named ``t``)."""
    path = Path(lake) / rel
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{path}')")
    con.execute(f"COPY ({sql_over_t}) TO '{path}' (FORMAT parquet)")
    con.close()


@pytest.fixture
def good_lake(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    for rel, sql in GOOD.items():
        write_parquet(lake, rel, sql)
    return lake


@pytest.fixture
def lakekit():
    """The helpers above, for tests (conftest is not importable under --import-mode=importlib)."""
    import types

    return types.SimpleNamespace(write_parquet=write_parquet, break_table=break_table,
                                 xapi_sql=xapi_sql, access_sql=access_sql, GOOD=GOOD)
