"""Each role's report on the sample lake: its numbers against independent DuckDB queries
over the mart Parquet (not the report's own code), and its scope (no other scope's
names or ids on the page)."""

import re
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from eduhouse_dev.sample_lake import build_sample_lake
from orchestration.lake import LakePaths
from orchestration.reporting.render import render_reports

MIN_CELL = 10


def q(lake: Path, sql: str) -> list[tuple]:
    con = duckdb.connect()
    for name in ("student_exam", "student_knowledge", "usage_monthly", "microtest_monthly", "quality_map", "item_analysis",
                 "top_students", "exam_summary"):
        con.execute(f"create view {name} as select * from read_parquet('{lake}/marts/{name}.parquet')")
    for name in ("student_identity", "staff_scope", "student_fitness", "org_hierarchy", "students_needing_attention"):
        con.execute(f"create view {name} as select * from read_parquet('{lake}/restricted/{name}.parquet')")
    # class rosters in OneRoster terms, rebuilt from the restricted mart the sample writes
    con.execute(f"""create view enrollments as
        select i.student_sourced_id as "userSourcedId", m.class_sourced_id as "classSourcedId", 'student' as role
        from read_parquet('{lake}/restricted/class_membership.parquet') m
        join student_identity i using (student_key)""")
    return con.execute(sql).fetchall()


def page(lake: Path, role: str, page_id: str) -> str:
    return (lake / "reports" / role / f"{page_id}.html").read_text(encoding="utf-8")


def all_names(lake: Path) -> dict[str, str]:
    return dict(q(lake, "select student_key, family_name || given_name from student_identity"))


def pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def test_every_role_has_pages_and_an_index(sample_reports):
    lake, summary = sample_reports
    counts = {r: summary.count(r) for r in ("student", "parent", "teacher", "head_teacher", "grade_leader", "principal",
                                            "subject_researcher", "district_admin", "city_admin")}
    n_students = q(lake, "select count(*) from student_identity")[0][0]
    assert counts["student"] == counts["parent"] == n_students
    assert counts["teacher"] == q(lake, "select count(distinct person_sourced_id) from staff_scope where role = 'teacher'")[0][0]
    assert counts["head_teacher"] == q(lake, "select count(*) from staff_scope where role = 'head_teacher'")[0][0]
    assert counts["district_admin"] == 2 and counts["city_admin"] == 1
    index = (lake / "reports" / "index.html").read_text(encoding="utf-8")
    assert "district_admin/index.html" in index and "orgs/" in index
    for role, n in counts.items():
        listing = (lake / "reports" / role / "index.html").read_text(encoding="utf-8")
        assert listing.count(f'href="../{role}/') == n


# ------------------------------------------------------------------ student and parent
def test_student_numbers_match_student_exam(sample_reports):
    lake, _ = sample_reports
    key = "k0005"
    html = page(lake, "student", key)
    rows = q(lake, f"select score, z_score, percentile, district_rank from student_exam where student_key = '{key}'")
    assert rows
    for score, z, p, rank in rows:
        assert f"{score:,.1f} 分" in html
        assert f"{z:+.2f}" in html
        assert pct(p) in html
        assert re.search(rf">{rank} / \d+<", html)
    weak = q(lake, f"""select kp_name from student_knowledge where student_key = '{key}' and mastery_level = 'weak'
                       order by score_rate limit 3""")
    for (name,) in weak:
        assert "需要加强：" in html and name in html
    assert "<svg" in html and "polygon" in html  # trend line and ability radar


def test_strengths_are_the_mastered_points_or_a_line_saying_there_are_none(sample_reports):
    """The focus list names up to three mastered points as strengths; a student with none
    gets a line saying so, where the list just ended (the reports probe)."""
    from orchestration.pages.i18n import load_catalogue

    lake, _ = sample_reports
    none_strong = load_catalogue("zh")["focus.none_strong"]
    mastered = dict(q(lake, """select i.student_key, count(k.kp_id) from student_identity i
                               left join student_knowledge k on k.student_key = i.student_key
                                and k.mastery_level = 'mastered' group by 1"""))
    without = [k for k, n in mastered.items() if n == 0 and (lake / "reports" / "student" / f"{k}.html").exists()]
    with_some = [k for k, n in mastered.items() if n > 0]
    assert without and with_some
    assert all(none_strong in page(lake, "student", k) for k in without[:5])
    assert not any(none_strong in page(lake, "student", k) for k in with_some[:5])
    assert "优势：" in page(lake, "student", with_some[0])


@pytest.mark.parametrize("role", ["student", "parent"])
def test_student_and_parent_pages_hold_only_that_child(sample_reports, role):
    lake, _ = sample_reports
    names = all_names(lake)
    for key in ("k0001", "k0030", "k0057"):
        html = page(lake, role, key)
        assert names[key] in html
        others = [n for k, n in names.items() if k != key]
        assert not [n for n in others if n in html]
        assert not [k for k in names if k != key and k in html]


def test_parent_page_plain_language_and_fitness(sample_reports):
    lake, _ = sample_reports
    key = "k0010"
    html = page(lake, "parent", key)
    (grade, score), = q(lake, f"select fitness_grade, total_score from student_fitness where student_key = '{key}'")
    assert f"最近一次体质健康测试等级：{grade}" in html and f"{score:,.1f}" in html
    (p,), = q(lake, f"select percentile from student_exam where student_key = '{key}' order by exam_date desc, subject desc limit 1")
    assert f"高于全区约 {p * 100:.0f}%" in html


def test_psych_only_where_the_governance_policy_allows(sample_reports):
    """Default deny: a page shows psych data only where the policy grants its role
    student_psych (the head teacher's own class) or scope_psych (the suppressed
    aggregates of the grade leader, principal and district admin) for its purpose."""
    from orchestration.reporting.data import _aggregate_grants, _psych_grants

    lake, _ = sample_reports
    aggregates = _aggregate_grants()
    assert {r for (r, res), ok in aggregates.items() if ok and res == "scope_psych"} == {
        "grade_leader", "principal", "district_admin"}
    for role, allowed in _psych_grants().items():
        shown = (allowed and role != "teacher") or aggregates[(role, "scope_psych")]
        for path in (lake / "reports" / role).glob("*.html"):
            if path.name == "index.html":
                continue
            assert ("心理" in path.read_text(encoding="utf-8")) == shown, (role, path.name)


def test_wellbeing_aggregates_as_the_marts_publish_them(sample_reports):
    """The principal of sch-1 sees its fitness shares and psych counts, its grade beside
    it, as scope_fitness / scope_psych publish them; sch-2, hidden to protect sch-3 in
    their district's line, shows no figure."""
    lake, _ = sample_reports
    html = page(lake, "principal", "sch-1")
    psych = html.split("心理筛查风险分布</h2>")[1].split("</section>")[0]
    (high,), = q(lake, "select students from read_parquet('" + str(lake) + "/restricted/scope_psych.parquet') "
                       "where scope_type = 'school' and scope_id = 'sch-1' and risk_level = 'high'")
    assert high == 1 and ">1 人<" in psych
    fitness = html.split("体质健康等级分布</h2>")[1].split("</section>")[0]
    shares = q(lake, "select fitness_grade, share from read_parquet('" + str(lake) + "/restricted/scope_fitness.parquet') "
                     "where scope_type = 'school' and scope_id = 'sch-1'")
    for _, share in shares:
        assert f"{share * 100:.1f}%" in fitness
    hidden = page(lake, "principal", "sch-2").split("体质健康等级分布</h2>")[1].split("</section>")[0]
    assert "—*" in hidden and "%" not in hidden.split("<tbody>")[1]


def test_psych_only_where_the_policy_allows(monkeypatch):
    """The role policy decides (default deny): of the nine roles only the head teacher's
    template holds student_psych for its purpose; a policy that grants nothing shows none."""
    from orchestration.reporting import data
    from orchestration.reporting.scopes import ROLES

    assert data._psych_grants() == {role: role == "head_teacher" for role in ROLES}
    monkeypatch.setattr(data, "allows", lambda role, resource, purpose: False)
    assert not any(data._psych_grants().values())


# ------------------------------------------------------------------ teacher
def test_teacher_class_means_and_scope(sample_reports):
    lake, _ = sample_reports
    teacher = "tch-math-sch-1"
    html = page(lake, "teacher", teacher)
    classes = [c for (c,) in q(lake, f"select class_sourced_id from staff_scope where role='teacher' and person_sourced_id='{teacher}'")]
    assert len(classes) == 2
    means = q(lake, f"""
        select e."classSourcedId", x.exam_id, avg(x.score), count(*)
        from enrollments e join student_identity i on i.student_sourced_id = e."userSourcedId"
        join student_exam x on x.student_key = i.student_key and x.subject = 'math'
        where e."classSourcedId" in ({",".join(f"'{c}'" for c in classes)})
        group by all""")
    assert means
    for _, _, mean, n in means:
        assert (f"{mean:,.1f} 分" in html) == (n >= MIN_CELL)
    inside = {n for (n,) in q(lake, f"""
        select i.family_name || i.given_name from enrollments e join student_identity i on i.student_sourced_id = e."userSourcedId"
        where e."classSourcedId" in ({",".join(f"'{c}'" for c in classes)})""")}
    outside = set(all_names(lake).values()) - inside
    assert not [n for n in outside if n in html]
    # students needing attention: latest math z <= -1, by an independent query
    low = {n for (n,) in q(lake, f"""
        with m as (select x.*, i.family_name || i.given_name as name,
                          max(x.exam_date) over () as last_date
                   from student_exam x join student_identity i using (student_key)
                   join enrollments e on e."userSourcedId" = i.student_sourced_id
                   where e."classSourcedId" in ({",".join(f"'{c}'" for c in classes)}) and x.subject = 'math')
        select name from m where exam_date = last_date and z_score <= -1""")}
    attention = "".join(part.split("</section>")[0] for part in html.split("需要关注的学生</h2>")[1:])
    for name in low:
        assert name in attention


def test_teacher_small_class_is_suppressed(sample_reports):
    lake, _ = sample_reports
    (teacher,), = q(lake, "select person_sourced_id from staff_scope where role='teacher' and school_sourced_id='sch-3' and subject='math'")
    html = page(lake, "teacher", teacher)
    assert "—*" in html
    means = q(lake, "select avg(score) from student_exam where school_sourced_id='sch-3' group by exam_id")
    for (m,) in means:
        # the class is the whole exam here, so the district mean must be hidden too
        assert f"{m:,.1f} 分</td>" not in html


# ------------------------------------------------------------------ head teacher
def test_head_teacher_homeroom_subjects_fitness_and_scope(sample_reports):
    lake, _ = sample_reports
    hr = "sch-1-hr-07-2"
    html = page(lake, "head_teacher", hr)
    rows = q(lake, f"""
        with m as (select x.* from student_exam x join student_identity i using (student_key)
                   where i.homeroom_class_sourced_id = '{hr}'),
             l as (select * from m where exam_date = (select max(exam_date) from m m2 where m2.subject = m.subject))
        select subject, avg(score), count(*) from l group by subject""")
    for _, mean, n in rows:
        assert n >= MIN_CELL and f"{mean:,.1f} 分" in html
    fit = q(lake, f"""select fitness_grade, count(*) from student_fitness f join student_identity i using (student_key)
                      where i.homeroom_class_sourced_id = '{hr}' group by 1""")
    for grade, n in fit:
        assert f"<td class=\"txt\" data-sort=\"{grade}\">{grade}</td><td data-sort=\"{float(n)}\">{n} 人</td>" in html
    names = dict(q(lake, "select family_name || given_name, homeroom_class_sourced_id from student_identity"))
    assert all(n in html for n, c in names.items() if c == hr)
    assert not [n for n, c in names.items() if c != hr and n in html]


# ------------------------------------------------------------------ grade leader
def test_grade_leader_class_comparison(sample_reports):
    lake, _ = sample_reports
    html = page(lake, "grade_leader", "sch-1_07")
    rows = q(lake, """
        with m as (select x.*, i.homeroom_class_sourced_id as hr from student_exam x join student_identity i using (student_key)
                   where i.school_sourced_id = 'sch-1' and i.grade = '07'),
             l as (select * from m where exam_date = (select max(exam_date) from m m2 where m2.subject = m.subject))
        select hr, subject, avg(score), avg(z_score), count(*) from l group by all""")
    assert len(rows) == 4
    for _, _, mean, z, n in rows:
        assert n >= MIN_CELL
        assert f"{mean:,.1f} 分" in html and f"{z:+.2f}" in html
    assert not [n for n in all_names(lake).values() if n in html]
    assert "第二中学" not in html and "北山中学" not in html


# ------------------------------------------------------------------ principal
def test_principal_usage_row_as_published_and_scope(sample_reports):
    lake, _ = sample_reports
    html = page(lake, "principal", "sch-1")
    rows = q(lake, "select month, population, online, online_rate from usage_monthly where org_sourced_id = 'sch-1'")
    for _, pop, _online, rate in rows:
        if pop == "student":  # 25 students: published; 7 teachers: suppressed
            assert pct(rate) in html
    assert "—*" in html
    qm = q(lake, "select mean_z from quality_map where school_sourced_id = 'sch-1'")
    for (z,) in qm:
        assert f"{z:+.2f}" in html
    for other in ("第二中学", "实验高级中学", "北山中学"):
        assert other not in html
    assert not [n for n in all_names(lake).values() if n in html]


def test_principal_row_equals_district_publication(sample_reports):
    lake, _ = sample_reports
    da = page(lake, "district_admin", "dist-1")
    pr = page(lake, "principal", "sch-2")
    row = re.search(r"<tr>\s*<td class=\"txt\" data-sort=\"第二中学\">第二中学</td>.*?</tr>", pr, re.S).group(0)
    assert row in da


# ------------------------------------------------------------------ subject researcher
def test_subject_researcher_quality_kp_items_and_scope(sample_reports):
    lake, _ = sample_reports
    html = page(lake, "subject_researcher", "dist-1_math")
    # the score rate and the weak share count the same students: those with enough evidence
    kps = q(lake, """select kp_name, avg(score_rate) filter (where mastery_level <> 'insufficient'),
                            avg((mastery_level = 'weak')::int) filter (where mastery_level <> 'insufficient'),
                            count(distinct student_key) filter (where mastery_level <> 'insufficient')
                     from student_knowledge k join student_identity i using (student_key)
                     where i.district_sourced_id = 'dist-1' and k.subject = 'math' group by 1""")
    weak = html.split("共性薄弱知识点</h2>")[1].split("</section>")[0]
    for name, rate, share, n in kps:
        assert name in weak
        row = weak.split(f">{name}</td>")[1].split("</tr>")[0]
        if n == 0:  # nobody with enough evidence: its own state, never a 0 % share
            assert row.count(">数据不足</td>") == 2 and "%" not in row
        else:
            assert (pct(rate) in row and pct(share) in row) == (n >= MIN_CELL)
    assert any(n == 0 for *_, n in kps) and any(n >= MIN_CELL for *_, n in kps)
    items = q(lake, """select difficulty, discrimination from item_analysis where exam_id in
                       (select exam_id from exam_summary where subject = 'math' and org_sourced_id = 'dist-1')""")
    assert items
    for dif, disc in items:
        assert f"{dif:,.2f}" in html and f"{disc:,.2f}" in html
    assert "语文" not in html.split("<main>")[1]
    assert "北山中学" not in html
    assert not [n for n in all_names(lake).values() if n in html]


# ------------------------------------------------------------------ district admin
def test_district_publication_suppression_and_lagging(sample_reports):
    lake, _ = sample_reports
    html = page(lake, "district_admin", "dist-1")
    # sch-1 students (25) published; sch-2 students (15) published; sch-3 (6) hidden
    for school, shown in (("sch-1", True), ("sch-2", True)):
        for (rate,) in q(lake, f"select online_rate from usage_monthly where org_sourced_id='{school}' and population='student'"):
            assert (pct(rate) in html) == shown
    (rate,), = q(lake, "select answer_rate from microtest_monthly where org_sourced_id='sch-2' and month='2021-11'")
    assert rate == 0 and "0.0%" in html  # a zero shows as 0, it does not vanish
    # Linze's loop as school_flags_monthly decided it: the latest month's flags, then the follow-up
    flags = dict(q(lake, """select school_name, flag from read_parquet('""" + str(lake) + """/marts/school_flags_monthly.parquet')
                            where month = '2021-11' and district_sourced_id = 'dist-1'"""))
    now = html.split("应用薄弱校与应用样板校</h2>")[1].split("</section>")[0]
    for school, flag in flags.items():
        assert (school in now) == (flag in ("lagging", "model")), school
    assert "应用样板校" in now and "第一中学" in now
    follow = html.split("薄弱校跟进与实施效果</h2>")[1].split("</section>")[0]
    assert "第二中学" in follow and "2021-10" in follow and ">是</td>" in follow and "第一中学" not in follow
    assert "北山中学" not in html
    assert not [n for n in all_names(lake).values() if n in html]
    (top_all,), = q(lake, """select count(*) filter (where in_all) from top_students
                            where school_sourced_id = 'sch-3'""")
    assert f"{top_all} 人" in html.split("<h2>尖端生人数</h2>")[1]


# ------------------------------------------------------------------ city admin
def test_city_admin_districts_compared(sample_reports):
    lake, _ = sample_reports
    html = page(lake, "city_admin", "city-1")
    rows = q(lake, "select org_name, month, online, online_rate, suppressed from usage_monthly "
                   "where org_type='district' and population='student'")
    for name, _, _online, rate, suppressed in rows:
        assert name in html
        assert suppressed == (rate is None)
        if not suppressed:
            assert pct(rate) in html
    # dist-1's senior students are one school of 6: hidden in the mart, so hidden here too
    # (the city page once showed the figure that the district page hid).
    assert any(r[4] for r in rows) and "—*" in html
    for school in ("第一中学", "第二中学", "北山中学"):
        assert school not in html
    assert not [n for n in all_names(lake).values() if n in html]
    # each district's students: its latest month's roster as the mart publishes it, hidden
    # when a segment is (dist-1's six seniors), never counted from the restricted roster
    # the role policy gives the city admin neither top_students nor microtest_monthly: the
    # page shows neither (the district admin's, whose template has both, shows them)
    assert "<h2>各区规模与尖端生</h2>" not in html and "每次均进前 N 名" not in html
    assert "微测作答率" not in html and "微测作答率" in page(lake, "district_admin", "dist-1")
    compared = html.split("<h2>各区规模</h2>")[1].split("<tbody>")[1].split("</tbody>")[0]
    students = q(lake, """select org_name, sum(on_roster), bool_or(on_roster is null) from usage_monthly
                          where org_type = 'district' and population = 'student'
                            and month = (select max(month) from usage_monthly)
                          group by org_name order by org_name""")
    assert len(students) == 2 and any(hidden for *_, hidden in students)
    for name, total, hidden in students:
        row = next(r for r in compared.split("</tr>") if f">{name}<" in r)
        cells = row.split("</td>")  # name, schools, students, ...
        assert ("—*" in cells[2]) if hidden else (f">{int(total):,} 人" in cells[2]), row


def test_city_admin_compares_districts_on_results(sample_reports):
    """The districts' results section shows each district's mean score rate per subject,
    recomputed here from student_exam (each student's mean rate over the subject's exams),
    and a district row the mart suppressed stays hidden."""
    lake, _ = sample_reports
    html = page(lake, "city_admin", "city-1")
    section = html.split("<h2>各区学业成绩对比</h2>")[1].split("<h2>")[0]
    rows = q(lake, """
        with per_student as (
            select i.district_sourced_id, e.subject, e.student_key, avg(e.score / e.max_score) as rate
            from student_exam as e join student_identity as i using (student_key)
            group by all)
        select district_sourced_id, subject, count(*), avg(rate) from per_student group by all""")
    assert rows
    for district, _subject, students, rate in rows:
        if students >= 10:
            assert pct(rate) in section, (district, rate)
    assert "2021-2022学年第一学期" in section and "as-2021" not in section


def test_attention_psych_signal_only_on_the_pastoral_page(sample_reports):
    """students_needing_attention carries a sensitive psych signal: the head teacher's page
    (pastoral care, granted student_psych) names the high-risk student with it; the math
    teacher's page of the same student's class never shows it."""
    lake, _ = sample_reports
    (name, homeroom), = q(lake, "select family_name || given_name, homeroom_class_sourced_id from student_identity "
                                "where student_key = 'k0003'")
    flags = q(lake, "select needs_attention, psych_risk_high from students_needing_attention "
                    f"where student_key = 'k0003' and class_sourced_id = '{homeroom}'")
    assert flags == [(flags[0][0], True)]
    head_html = page(lake, "head_teacher", homeroom)
    attention = head_html.split("需要关注的学生</h2>")[1].split("</section>")[0]
    assert name in attention and "心理筛查为高风险" in attention
    teacher_html = page(lake, "teacher", "tch-math-sch-1")
    assert "心理筛查" not in teacher_html


def test_an_under_14s_psych_flag_needs_the_consent_of_pastoral_care(tmp_path):
    """The head teacher's pastoral care is not exempt from consent: an under-14 whose
    guardian withdrew it keeps their other signals on the page but not the psych flag
    (the API probe: the page named them where `student_psych` withheld them)."""
    lake = build_sample_lake(tmp_path / "lake")
    consents_file = LakePaths(lake).restricted / "access_consents.parquet"
    consents = pd.read_parquet(consents_file)
    (name, homeroom, born), = q(lake, "select family_name || given_name, homeroom_class_sourced_id, birth_date "
                                      "from student_identity where student_key = 'k0003'")
    assert born > date(2007, 10, 31)  # under 14 on the data's day
    render_reports(lake, roles=["head_teacher"], workers=1)
    assert "心理筛查为高风险" in _attention_of(page(lake, "head_teacher", homeroom), name)
    withdrawn = consents.assign(withdrawn_at=consents.withdrawn_at.where(
        consents.student_key != "k0003", pd.Timestamp("2021-09-15T00:00:00+08:00")))
    withdrawn.to_parquet(consents_file)
    render_reports(lake, roles=["head_teacher"], workers=1)
    assert "心理筛查为高风险" not in _attention_of(page(lake, "head_teacher", homeroom), name)


def test_a_student_of_no_known_school_is_indexed_as_such(tmp_path):
    """A roster user naming an org the roster does not hold lands with no school (a
    warning check says so): their pages were listed on an org page titled "None"."""
    lake = build_sample_lake(tmp_path / "lake")
    identity = LakePaths(lake).restricted / "student_identity.parquet"
    frame = pd.read_parquet(identity)
    frame.loc[frame.student_key == "k0003", ["school_sourced_id", "school_name", "district_sourced_id"]] = None
    frame.to_parquet(identity)
    render_reports(lake, roles=["student"], workers=1)
    orgs = {p.name for p in (lake / "reports" / "orgs").iterdir()}
    assert "None.html" not in orgs and "no-school.html" in orgs
    assert "名册中无所属学校" in (lake / "reports" / "orgs" / "no-school.html").read_text(encoding="utf-8")


def test_the_server_can_withhold_a_psych_flag_when_the_page_is_read(tmp_path):
    """The server judges consent when a page is read, as it does for the marts, and hands
    the withheld students to the page rendered on demand (the pages probe: a consent given
    later in the data's last day showed a flag `student_psych` still withheld)."""
    from orchestration.reporting.on_demand import OnDemandPages

    lake = build_sample_lake(tmp_path / "lake")
    (name, homeroom), = q(lake, "select family_name || given_name, homeroom_class_sourced_id from student_identity "
                                "where student_key = 'k0003'")
    pages = OnDemandPages(lake)
    assert "心理筛查为高风险" in _attention_of(pages.html("head_teacher", homeroom), name)
    withheld = pages.html("head_teacher", homeroom, psych_withheld=frozenset({"k0003"}))
    assert name in withheld and "心理筛查为高风险" not in _attention_of(withheld, name)
    assert "心理筛查为高风险" in _attention_of(pages.html("head_teacher", homeroom, psych_withheld=frozenset()), name)


def test_a_class_psych_count_does_not_reveal_the_students_a_page_withholds(tmp_path):
    """Differencing (the stop 54 API probe): a class's psych counts (high: 1) beside the
    named students whose consent the page holds tell the level of the one it withholds.
    Under min_cell withheld students in the class, the counts are hidden with a note."""
    from orchestration.reporting.on_demand import OnDemandPages

    lake = build_sample_lake(tmp_path / "lake")
    (homeroom,), = q(lake, "select homeroom_class_sourced_id from student_identity where student_key = 'k0003'")
    pages = OnDemandPages(lake)
    shown = _psych_of(pages.html("head_teacher", homeroom, psych_withheld=frozenset()))
    assert "高风险" in shown and "—*" not in shown and "未获有效同意" not in shown
    hidden = _psych_of(pages.html("head_teacher", homeroom, psych_withheld=frozenset({"k0003"})))
    assert "未获有效同意" in hidden
    counts = re.findall(r"<td[^>]*>([^<]*)</td>", hidden.split("<table")[1])
    assert counts and all(c == "—*" for c in counts[1::2]), counts
    # a student of another class withheld changes nothing here
    (other,), = q(lake, "select student_key from student_identity "
                        f"where homeroom_class_sourced_id <> '{homeroom}' limit 1")
    assert _psych_of(pages.html("head_teacher", homeroom, psych_withheld=frozenset({other}))) == shown


def _psych_of(html: str) -> str:
    """The head teacher page's psych section."""
    return html.split("心理健康筛查</h2>")[1].split("</section>")[0]


def _attention_of(html: str, name: str) -> str:
    """The attention table's row of this student (empty when not listed)."""
    table = html.split("需要关注的学生</h2>")[1].split("</section>")[0]
    return next((row for row in table.split("<tr") if f">{name}<" in row), "")


def test_student_index_groups_by_homeroom_with_short_keys_and_a_filter(sample_reports):
    """A district's thousands of student pages: grouped by school and homeroom, each link a
    short pseudonymous key (never the 64-character one, never a name), with a filter box."""
    lake, _ = sample_reports
    html = (lake / "reports" / "student" / "index.html").read_text(encoding="utf-8")
    assert 'id="index-filter"' in html
    titles = re.findall(r"<h2>([^<]+)</h2>", html)
    rooms = q(lake, "select distinct school_name || ' · ' || homeroom_title from student_identity")
    assert {r for (r,) in rooms} == set(titles)
    texts = re.findall(r'<a href="\.\./student/([0-9a-z]+)\.html">([^<]+)</a>', html)
    assert texts and all(text == key[:12] for key, text in texts)
    assert not any(name in html for name in all_names(lake).values())


def test_too_little_evidence_is_never_drawn_in_a_levels_colour(sample_reports):
    """A knowledge point with too few answers ('insufficient') is drawn grey, never in the
    colour of mastered/developing (blue) or weak (orange)."""
    from orchestration.reporting import svg

    lake, _ = sample_reports
    html = page(lake, "student", "k0001")
    insufficient = {n for (n,) in q(lake, "select kp_name from student_knowledge where student_key = 'k0001' "
                                          "and mastery_level = 'insufficient'")}
    assert insufficient
    bars = re.findall(r'>([^<>]+)</text><rect [^>]*fill="(#[0-9a-f]{6})"', html)
    colours = {name: fill for name, fill in bars if name in insufficient}
    assert colours and set(colours.values()) == {svg.MUTED}


def test_fitness_grades_in_the_pages_language(tmp_path):
    """The English edition names the national standard's fitness grades in English (its
    tables' headers and cells showed 优秀/良好/及格/不及格, found by the reports probe); the
    Chinese edition keeps them as delivered."""
    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.reporting.render import render_reports

    lake = build_sample_lake(tmp_path / "lake")
    render_reports(lake, roles=("head_teacher", "parent"), workers=1, lang="en")
    hr, key = "sch-1-hr-07-2", "k0010"
    en_pages = page(lake, "head_teacher", hr) + page(lake, "parent", key)
    fit = {g for (g,) in q(lake, "select distinct fitness_grade from student_fitness")}
    english = {"优秀": "Excellent", "良好": "Good", "及格": "Pass", "不及格": "Fail"}
    assert fit and fit <= set(english)
    assert not [g for g in fit if f">{g}<" in en_pages]
    (grade,), = q(lake, f"select fitness_grade from student_fitness where student_key = '{key}'")
    assert english[grade] in page(lake, "parent", key)
    assert any(f">{english[g]}<" in page(lake, "head_teacher", hr) for g in fit)
    assert "Period: " in en_pages and "Period：" not in en_pages  # the colon of the page's language


def test_english_pages_join_and_bracket_in_english(tmp_path):
    """The reports probe: English pages joined an attention row's reasons with "；", a
    parent's weak points with "、" and titled the index's role groups "Student（103）"."""
    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.reporting.render import render_reports

    lake = build_sample_lake(tmp_path / "lake")
    render_reports(lake, roles=("teacher", "head_teacher", "parent", "district_admin"), workers=1, lang="en")
    pages = [p for p in (lake / "reports").rglob("*.html")]
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert ">Teacher (" in text
    for mark in ("；", "、", "（", "）"):
        assert mark not in text, (mark, [p.name for p in pages if mark in p.read_text(encoding="utf-8")][:3])


def test_a_class_whose_subject_had_no_exam_says_what_follows(sample_reports):
    """A teacher whose subject had no exam got a results section saying only that the
    class sat none, and no weak-point or attention section, with no word why (stop 49's
    list). The page now names the subject and says the weak points and the students who
    need attention follow the class's first exam; a subject the catalogue does not name
    shows as delivered, not as its catalogue key."""
    from orchestration.pages.i18n import Translator
    from orchestration.reporting.contexts.classroom import _class_exam_sections
    from orchestration.reporting.contexts.common import _members
    from orchestration.reporting.data import load_report_data

    lake, _ = sample_reports
    data = load_report_data(lake)
    (cls,), = q(lake, "select class_sourced_id from staff_scope where role = 'teacher' and subject = 'math' limit 1")
    members = _members(data, [cls])
    for lang, subject, shown, follows in (
            ("zh", "physics", "物理", "有考试成绩后，将在此列出本班的薄弱知识点和需要关注的学生。"),
            ("en", "calligraphy", "calligraphy",
             "Its weak knowledge points and the students who need attention are shown once it has.")):
        sections, _ = _class_exam_sections(Translator(lang), data, cls, subject, members, with_names=True)
        assert len(sections) == 1
        text = " ".join(sections[0].paragraphs)
        assert shown in text and follows in text and "subject." not in text, text
    # the class's own subject has exams: results, weak points and attention as before
    sections, _ = _class_exam_sections(Translator("zh"), data, cls, "math", members, with_names=True)
    assert len(sections) == 3


def test_a_school_that_tested_nobody_has_its_row_on_the_district_page(tmp_path):
    """A district's fitness and psych tables listed only the schools with results: a school
    that tested nobody was missing, said only on its principal's page (the reports probe).
    It now has a row of 0 students and no figure; the other schools' rows are unchanged."""
    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.pages.i18n import Translator
    from orchestration.reporting.contexts.wellbeing import wellbeing_sections
    from orchestration.reporting.data import load_report_data

    lake = build_sample_lake(tmp_path / "lake")
    for mart in ("scope_fitness", "scope_psych"):
        path = lake / "restricted" / f"{mart}.parquet"
        duckdb.execute(f"copy (select * from read_parquet('{path}') where coalesce(school_sourced_id, '') <> 'sch-1') "
                       f"to '{path}.new' (format parquet)")
        path.with_name(path.name + ".new").replace(path)
    data = load_report_data(lake)
    district = data.school_district("sch-1")
    t = Translator("zh")
    fitness, psych = wellbeing_sections(t, data, "district_admin", "district", district)
    for sec in (fitness, psych):
        rows = {r[0].text: r for r in sec.tables[0].rows}
        untested = rows[data.name("sch-1")]
        assert untested[1].text == "0 人" and {c.text for c in untested[2:]} == {"—"}, [c.text for c in untested]
        others = [s for s in data.schools_of_district(district) if s != "sch-1"]
        assert others and all(data.name(s) in rows for s in others)
        assert all(c.text != "—" for s in others for c in rows[data.name(s)][1:])  # a figure, or —* when hidden


def test_a_school_with_no_top_student_shows_zero(tmp_path):
    """The top_students mart ranks every student of a cohort; the pages kept only those in
    the lists, so a school none of whose students made them had no row on the district's
    and its principal's pages where it should read 0 and 0 (the exam probe)."""
    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.reporting.render import render_reports

    lake = build_sample_lake(tmp_path / "lake")
    path = lake / "marts" / "top_students.parquet"
    duckdb.execute(f"copy (select * replace (in_all and school_sourced_id <> 'sch-1' as in_all, "
                   f"in_all_but_one and school_sourced_id <> 'sch-1' as in_all_but_one) "
                   f"from read_parquet('{path}')) to '{path}.new' (format parquet)")
    path.with_name(path.name + ".new").replace(path)
    render_reports(lake, roles=("district_admin", "principal"), workers=1)
    names = dict(q(lake, "select school_sourced_id, any_value(school_name) from org_hierarchy group by all"))
    name = names["sch-1"]
    top = page(lake, "district_admin", "dist-1").split("<h2>尖端生人数</h2>")[1].split("</section>")[0]
    row = next(r for r in top.split("<tr") if name in r)
    assert row.count(">0 人<") == 2, row
    own = page(lake, "principal", "sch-1").split("<h2>尖端生人数</h2>")[1].split("</section>")[0]
    assert "<tbody>" in own and own.split("<tbody>")[1].count(">0 人<") == 2, own
    # another school's counts are as before
    (others,), = q(lake, "select count(*) filter (where in_all) from top_students where school_sourced_id = 'sch-2'")
    assert f">{others} 人<" in next(r for r in top.split("<tr") if names["sch-2"] in r)
