"""Reports on a simulated tiny district run through the whole pipeline (simulate →
land → dbt marts → reports), checked against independent DuckDB queries over the marts
and bronze, plus a scope check for every role."""

import json
import os
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.reporting.on_demand import OnDemandPages
from orchestration.reporting.render import render_reports
from orchestration.reporting.scopes import ON_DEMAND_ROLES

pytestmark = pytest.mark.e2e
MARTS = ("student_exam", "usage_monthly", "quality_map", "student_identity", "staff_scope")


@pytest.fixture(scope="module")
def lake(pipeline) -> Path:
    """The shared tiny district, built by `eduhouse run` (reports included); or a lake the
    pipeline already built, named by EDUHOUSE_E2E_LAKE (faster when iterating)."""
    given = os.environ.get("EDUHOUSE_E2E_LAKE")
    root = Path(given) if given else pipeline.lake
    missing = [m for m in MARTS if not any((root / d / f"{m}.parquet").exists() for d in ("marts", "restricted"))]
    assert not missing, f"marts not built: {', '.join(missing)}"
    assert any((root / "reports").rglob("*.html")), "the run rendered no reports"
    return root


def con(lake: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    for folder in ("marts", "restricted"):
        for f in (lake / folder).glob("*.parquet"):
            c.execute(f"create view {f.stem} as select * from read_parquet('{f}')")
    return c


_ON_DEMAND: dict[Path, OnDemandPages] = {}


def read(lake: Path, rel: str) -> str:
    """A page as its reader gets it: one of ON_DEMAND_ROLES rendered on demand (as
    `eduhouse serve` does), any other the file the run wrote."""
    role = rel.split("/")[0]
    if role in ON_DEMAND_ROLES:
        page_id = next(p["page_id"] for p in listed(lake, role) if p["relpath"] == rel)  # the file name is path-safe
        html = _ON_DEMAND.setdefault(lake, OnDemandPages(lake)).html(role, page_id)
        assert html is not None, rel
        return html
    return (lake / "reports" / rel).read_text(encoding="utf-8")


def listed(lake: Path, role: str) -> list[dict]:
    return [p for p in json.loads((lake / "reports" / "pages.json").read_text(encoding="utf-8")) if p["role"] == role]


def shown(html: str) -> set[str]:
    """Every table cell, chart label and heading text of a page (where names would be)."""
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html) + re.findall(r"<text[^>]*>([^<]*)</text>", html)
    cells += re.findall(r"<h1>([^<]*)</h1>", html) + re.findall(r"<title>([^<]*)</title>", html)
    return {c.strip() for c in cells}


def only_outside(everyone: dict[str, str], inside_keys: set[str]) -> set[str]:
    """Names carried only by students outside the scope (namesakes inside are allowed)."""
    inside = {everyone[k] for k in inside_keys if k in everyone}
    return {n for k, n in everyone.items() if k not in inside_keys} - inside


def names(c) -> dict[str, str]:
    return dict(c.execute("select student_key, family_name || given_name from student_identity").fetchall())


def test_student_page_numbers(lake):
    c = con(lake)
    key, = c.execute("select student_key from student_exam group by 1 order by count(*) desc, 1 limit 1").fetchone()
    html = read(lake, f"student/{key}.html")
    for z, p in c.execute(f"select z_score, percentile from student_exam where student_key = '{key}'").fetchall():
        as_shown = round(z, 2) + 0.0  # as the page shows it: -0.001 is "+0.00", never "-0.00"
        assert f"{as_shown:+.2f}" in html and f"{p * 100:.1f}%" in html
    everyone = names(c)
    assert everyone[key] in html
    assert not only_outside(everyone, {key}) & shown(html)


def test_parent_page_only_own_child(lake):
    c = con(lake)
    everyone = names(c)
    pages = sorted(p["page_id"] for p in listed(lake, "parent"))[:5]
    assert pages
    for key in pages:
        html = read(lake, f"parent/{key}.html")
        assert everyone[key] in html
        assert not only_outside(everyone, {key}) & shown(html)


def test_pages_on_demand_are_the_pages_the_batch_would_write(lake, tmp_path):
    """The run lists student, parent, teacher, head teacher, grade leader and principal
    pages and writes none of them; rendered on demand, every one of them is the page a
    batch render of the same marts writes (byte for byte, but for the time it was
    generated)."""
    assert set(ON_DEMAND_ROLES) == {"student", "parent", "teacher", "head_teacher", "grade_leader", "principal"}
    assert all(listed(lake, r) for r in ON_DEMAND_ROLES)
    assert all(p["on_demand"] for r in ON_DEMAND_ROLES for p in listed(lake, r))
    assert not [f for r in ON_DEMAND_ROLES for f in (lake / "reports" / r).glob("*.html") if f.name != "index.html"]
    copy = tmp_path / "lake"
    copy.mkdir()
    for folder in ("marts", "restricted"):
        (copy / folder).symlink_to(lake / folder)
    batch = render_reports(copy, roles=ON_DEMAND_ROLES, workers=1)
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    pages = OnDemandPages(lake)
    assert len(batch.pages) == sum(len(listed(lake, r)) for r in ON_DEMAND_ROLES)
    for page in batch.pages:
        written = (copy / "reports" / page.relpath).read_text(encoding="utf-8")
        assert stamp.sub("", pages.html(page.role, page.page_id)) == stamp.sub("", written), page.relpath


def test_staff_pages_hold_only_their_students(lake):
    c = con(lake)
    everyone = names(c)
    ident = dict(c.execute("select student_key, homeroom_class_sourced_id from student_identity").fetchall())
    homerooms = listed(lake, "head_teacher")
    assert homerooms
    for page in homerooms:
        html = read(lake, page["relpath"])
        leaked = only_outside(everyone, {k for k, hr in ident.items() if hr == page["page_id"]}) & shown(html)
        assert not leaked, (page["relpath"], sorted(leaked)[:3])
    enrollments = lake / "bronze" / "roster" / "enrollments"
    teachers = c.execute("select distinct person_sourced_id from staff_scope where role = 'teacher' and subject is not null").fetchall()
    for (person,) in teachers[:10]:
        html = read(lake, f"teacher/{re.sub(r'[^A-Za-z0-9._-]', '_', person)}.html")
        # the teacher's students, straight from the landed roster (independent of the report code)
        inside = {k for (k,) in c.execute(f"""
            select i.student_key
            from read_parquet('{enrollments}/**/*.parquet', union_by_name=true, hive_partitioning=false) e
            join student_identity i on i.student_sourced_id = e."userSourcedId"
            where lower(e.role) = 'student' and e."classSourcedId" in (
                select class_sourced_id from staff_scope where role = 'teacher' and person_sourced_id = '{person}')
            """).fetchall()}
        assert inside
        leaked = only_outside(everyone, inside) & shown(html)
        assert not leaked, (person, sorted(leaked)[:3])
    for role in ("grade_leader", "principal", "subject_researcher", "district_admin", "city_admin"):
        pages = listed(lake, role)
        assert pages, role
        for page in pages:
            leaked = set(everyone.values()) & shown(read(lake, page["relpath"]))
            assert not leaked, (role, page["relpath"], sorted(leaked)[:3])


def test_district_publication_matches_usage_monthly(lake):
    c = con(lake)
    district, = c.execute("select org_sourced_id from usage_monthly where org_type = 'district' limit 1").fetchone()
    html = read(lake, f"district_admin/{district}.html")
    rows = c.execute(f"""select month, segment, population, online, online_rate from usage_monthly
                        where org_sourced_id = '{district}' and on_roster >= 10""").fetchall()
    assert rows
    for _, _, _, _online, rate in rows:
        assert f"{rate * 100:.1f}%" in html
    small = c.execute("select count(*) from usage_monthly where org_type = 'school' and on_roster between 1 and 9").fetchone()[0]
    assert small == 0 or "—*" in html


def test_principal_row_equals_published_row(lake):
    c = con(lake)
    school, name = c.execute("select org_sourced_id, org_name from usage_monthly where org_type = 'school' limit 1").fetchone()
    district, = c.execute("select org_sourced_id from usage_monthly where org_type = 'district' limit 1").fetchone()
    pr = read(lake, f"principal/{school}.html")
    da = read(lake, f"district_admin/{district}.html")
    rows = re.findall(rf'<tr>\s*<td class="txt" data-sort="{re.escape(name)}">.*?</tr>', pr, re.S)
    assert rows and all(r in da for r in rows)


def test_subject_researcher_item_analysis(lake):
    c = con(lake)
    pages = [p for p in (lake / "reports" / "subject_researcher").glob("*.html") if p.name != "index.html"]
    assert pages
    html = pages[0].read_text(encoding="utf-8")
    district, subject = pages[0].stem.rsplit("_", 1)
    rows = c.execute(f"""select difficulty, discrimination from item_analysis i join exam_summary e using (exam_id)
                         where e.subject = '{subject}' and i.difficulty is not null""").fetchall()
    assert rows
    for dif, _disc in rows[:20]:
        assert f"{dif:,.2f}" in html


def test_the_page_manifest_names_no_student(lake):
    """pages.json lists every page by key; a title with the child's name would map each
    pseudonymous key back to a name."""
    import json

    everyone = names(con(lake))
    text = (lake / "reports" / "pages.json").read_text(encoding="utf-8")
    entries = json.loads(text)
    assert any(p["role"] == "student" for p in entries)
    leaked = sorted(n for n in set(everyone.values()) if n in text)
    assert not leaked, leaked[:5]


def test_head_teacher_class_figures_are_the_class_marts(lake):
    """The head teacher's class figures (micro-test share, engagement means, fitness grades,
    psych levels) come from class_engagement, class_fitness and class_psych, and those
    marts equal an independent recomputation from the student-level marts."""
    c = con(lake)
    got = c.execute("""select class_sourced_id, academic_session, students, students_answering, mean_active_days
                       from class_engagement where class_type = 'homeroom' order by 1, 2""").fetchall()
    exp = c.execute("""
        with m as (select class_sourced_id, student_key from class_membership where class_type = 'homeroom'),
             s as (select distinct m.class_sourced_id, p.academic_session
                   from m join student_term_profile p using (student_key))
        select s.class_sourced_id, s.academic_session, count(*),
               count(*) filter (where coalesce(p.microtests_answered, 0) > 0), avg(coalesce(p.active_days, 0))
        from s join m using (class_sourced_id)
        left join student_term_profile p on p.student_key = m.student_key and p.academic_session = s.academic_session
        group by 1, 2 order by 1, 2""").fetchall()
    assert got and [g[:4] for g in got] == [e[:4] for e in exp]
    assert all(abs(g[4] - e[4]) < 1e-9 for g, e in zip(got, exp, strict=True))
    fitness = c.execute("""
        with last as (select * from student_fitness where homeroom_class_sourced_id is not null
                      qualify row_number() over (partition by student_key, academic_session order by test_date desc) = 1)
        select homeroom_class_sourced_id, academic_session, fitness_grade, count(*) from last group by all order by all""").fetchall()
    # the mart has a row for every grade of every class, 0 where none (a hidden class's
    # rows must not name its students' grades): the grades the students have, then the rest
    assert fitness == c.execute("""select homeroom_class_sourced_id, academic_session, fitness_grade, students
                                   from class_fitness where students <> 0 order by all""").fetchall()
    assert {n for (n,) in c.execute("""select count(*) from class_fitness
                                      group by homeroom_class_sourced_id, academic_session""").fetchall()} == {4}
    cls = got[0][0]
    html = read(lake, f"head_teacher/{cls}.html")
    session = max(s for k, s, *_ in got if k == cls)
    share, = c.execute(f"""select answer_share from class_engagement
                           where class_sourced_id = '{cls}' and academic_session = '{session}'""").fetchone()
    assert f"{share * 100:.1f}%" in html
    for grade, n in c.execute(f"""select fitness_grade, students from class_fitness
                                  where homeroom_class_sourced_id = '{cls}' and academic_session = (
                                      select max(academic_session) from class_fitness
                                      where homeroom_class_sourced_id = '{cls}')""").fetchall():
        assert f'data-sort="{grade}">{grade}</td><td data-sort="{float(n)}">{n} 人</td>' in html
    levels = c.execute(f"""
        with last as (select student_key, max(case risk_level when 'high' then 3 when 'watch' then 2 else 1 end) as r
                      from student_psych where homeroom_class_sourced_id = '{cls}'
                      group by student_key, screen_date
                      qualify row_number() over (partition by student_key order by screen_date desc) = 1)
        select r, count(*) from last group by 1 order by 1""").fetchall()
    published = c.execute(f"""select case risk_level when 'high' then 3 when 'watch' then 2 else 1 end, students
                              from class_psych where homeroom_class_sourced_id = '{cls}' order by 1""").fetchall()
    assert levels == [(r, n) for r, n in published if n != 0] and len(published) == 3


def _iso_seconds(text) -> float:
    """ISO 8601 duration in seconds, parsed here independently of the dbt macro."""
    m = re.fullmatch(r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?", text or "")
    if not m:
        return 0.0
    d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def test_platform_use_monthly_matches_bronze_statements(lake):
    """Linze's indicators of every shown school row, recomputed from the bronze xAPI
    statements and roster (voided statements removed, local month, the actor's school and
    role): UV, homework and evaluations published, check-ins done, training hours."""
    c = con(lake)
    st = c.execute(f"""
        with s as (
            select distinct on (lower(statement_id)) lower(statement_id) as id, actor_name, verb_id, object_id, object_type,
                   object_definition_type, result_duration,
                   strftime(timezone('Asia/Shanghai', ts), '%Y-%m') as month
            from read_parquet('{lake}/bronze/xapi/statements/**/*.parquet', union_by_name=true)
        ),
        voided as (select lower(object_id) as id from s where verb_id like '%/voided' and object_type = 'StatementRef')
        select s.*, u.role, u.school
        from s join (select "sourcedId" as sourced_id, lower(role) as role, "orgSourcedIds"[1] as school
                     from read_parquet('{lake}/bronze/roster/users/**/*.parquet', union_by_name=true)) u
             on u.sourced_id = s.actor_name
        where s.id not in (select id from voided) and (s.verb_id like '%/verbs/evaluated' or s.verb_id in (
            'https://w3id.org/xapi/adl/verbs/logged-in', 'https://w3id.org/xapi/adl/verbs/logged-out',
            'http://id.tincanapi.com/verb/viewed', 'http://activitystrea.ms/schema/1.0/assign',
            'http://adlnet.gov/expapi/verbs/answered', 'http://adlnet.gov/expapi/verbs/completed',
            'http://activitystrea.ms/schema/1.0/submit', 'http://adlnet.gov/expapi/verbs/registered',
            'http://adlnet.gov/expapi/verbs/attended'))""").df()
    st["population"] = st.role.map({"student": "student", "teacher": "teacher"})
    st["hours"] = [(_iso_seconds(d) / 3600 if v.endswith("/attended") else 0.0) for d, v in zip(st.result_duration, st.verb_id, strict=True)]
    st["homework"] = st.verb_id.str.endswith("/assign") & st.object_definition_type.fillna("").str.endswith("/activitytypes/homework")
    st["checkin_done"] = st.verb_id.str.endswith("/completed") & st.object_definition_type.fillna("").str.endswith("/activitytypes/check-in")
    st["evaluation"] = st.verb_id.str.endswith("/verbs/evaluated")
    exp = st.groupby(["month", "school", "population"]).agg(
        active_users=("actor_name", "nunique"), homework_published=("homework", "sum"), checkins_done=("checkin_done", "sum"),
        evaluations_published=("evaluation", "sum"), training_hours=("hours", "sum"))
    got = c.execute("""select month, org_sourced_id, population, active_users, homework_published, checkins_done,
                              evaluations_published, training_hours
                       from platform_use_monthly where org_type = 'school' and not suppressed""").fetchall()
    assert got, "the tiny district publishes some school rows"
    for month, school, population, uv, hw, done, ev, hours in got:
        e = exp.loc[(month, school, population)] if (month, school, population) in exp.index else None
        want = (0, 0, 0, 0, 0.0) if e is None else (int(e.active_users), int(e.homework_published), int(e.checkins_done),
                                                     int(e.evaluations_published), float(e.training_hours))
        assert (uv, hw, done, ev) == want[:4], (month, school, population)
        assert abs(hours - want[4]) < 1e-9
    assert sum(r[4] + r[6] for r in got) + sum(r[5] for r in got) > 0, "the shown rows carry platform events"


def test_time_on_task_matches_bronze_durations(lake):
    """student_term_profile.time_on_task_minutes: each student's live statements' own
    result.duration (training excepted) within the session's roster dates, summed from
    bronze, and the student's page shows it."""
    c = con(lake)
    dates = {sid: (start, end) for sid, start, end in c.execute(f"""
        select "sourcedId", "startDate", "endDate"
        from read_parquet('{lake}/bronze/roster/academic_sessions/**/*.parquet', union_by_name=true)""").fetchall()}
    st = c.execute(f"""
        with s as (
            select distinct on (lower(statement_id)) lower(statement_id) as id, actor_name, verb_id, object_id,
                   object_type, result_duration, local_date
            from read_parquet('{lake}/bronze/xapi/statements/**/*.parquet', union_by_name=true, hive_partitioning=false)
        ),
        voided as (select lower(object_id) as id from s where verb_id like '%/voided' and object_type = 'StatementRef')
        select actor_name, verb_id, result_duration, cast(local_date as date) as local_date from s
        where s.id not in (select id from voided) and result_duration is not null""").fetchall()
    key = dict(c.execute("select student_sourced_id, student_key from student_identity").fetchall())
    seconds: dict[str, list] = {}
    for actor, verb, duration, day in st:
        if actor in key and not verb.endswith("/attended"):
            seconds.setdefault(key[actor], []).append((day, _iso_seconds(duration)))
    got = c.execute("select student_key, academic_session, time_on_task_minutes from student_term_profile").fetchall()
    assert got and any(m > 0 for _, _, m in got), "the tiny district reports durations"
    for k, session, minutes in got:
        start, end = dates.get(session, (None, None))
        want = 0.0 if start is None else sum(x for day, x in seconds.get(k, []) if start <= day <= end) / 60
        assert abs(minutes - want) < 1e-6, (k, session)
    k, _, minutes = max(got, key=lambda r: r[2])
    assert f"{minutes:,.0f} 分钟" in read(lake, f"student/{k}.html")


def test_the_batch_load_leaves_unread_only_what_its_pages_do_not_read(lake):
    """The pipeline renders the district and city pages from a load that leaves the marts
    of the pages below a district unread (render.unread_marts) and lists the others: every
    such page's inputs (its context, what its digest hashes) and every listed page's title
    are the same as from a full load."""
    from orchestration.pages.env import make_env
    from orchestration.reporting.data import load_report_data
    from orchestration.reporting.render import _title, page_context, unread_marts
    from orchestration.reporting.scopes import ROLES, resolve_scopes

    batch = {r for r in ROLES if r not in ON_DEMAND_ROLES}
    unread = unread_marts(batch)
    full, narrow = load_report_data(lake), load_report_data(lake, unread=unread)
    # the narrowed load did leave marts with rows unread, so the comparison means something
    assert {"student_term_profile", "students_needing_attention", "class_weak_points", "student_exam"} <= set(unread)
    assert all(len(full.store.table(m)) for m in ("student_term_profile", "students_needing_attention", "student_exam"))
    # student_exam's distinct (school, subject, exam): asked of the file, or of the loaded mart
    assert len(narrow.exams_sat)
    assert narrow.exams_sat.astype(str).values.tolist() == full.exams_sat.astype(str).values.tolist()
    assert not any(len(narrow.store.table(m)) for m in unread)
    env = make_env("zh")
    scopes = resolve_scopes(full.store.table("staff_scope"), full.ident, full.orgs, full.as_of, ROLES)
    rendered = [s for s in scopes if s.role in batch]
    assert {"district_admin", "subject_researcher"} <= {s.role for s in rendered}
    for s in rendered:
        assert repr(page_context(env, narrow, s)) == repr(page_context(env, full, s)), s.relpath
    t = env.globals["t"]
    for s in scopes:
        if s.role not in batch:
            assert _title(t, s, None, narrow) == _title(t, s, None, full), s.relpath
