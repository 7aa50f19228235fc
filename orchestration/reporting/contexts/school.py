"""The grade leader's and the principal's pages: classes compared, the school's publication table, top students."""

from __future__ import annotations

import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting import svg
from orchestration.reporting.components import Section, Table, cell
from orchestration.reporting.contexts.class_rows import homerooms_of_school
from orchestration.reporting.contexts.common import (
    _date,
    _period_exams,
    _publication,
    _sessions,
    _suppress_note,
    _top_counts,
    _top_groups,
    grade_label,
    latest_session_rows,
    no_data,
    subject_label,
)
from orchestration.reporting.contexts.platform import platform_use_section, school_flags_sections
from orchestration.reporting.contexts.wellbeing import wellbeing_sections
from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import Scope
from orchestration.reporting.store import records
from orchestration.reporting.usage_table import usage_table


# ----------------------------------------------------------------------------- school views
def _classes_compared(t: Translator, d: ReportData, school: str, grade: str | None, title: str) -> tuple[Section, dict]:
    """Homerooms of a school (optionally one grade) × subjects on each grade's and
    subject's latest exam, as the class_exam mart publishes them (suppressed in dbt)."""
    ce = homerooms_of_school(t, d, "class_exams", school)
    if grade is not None:
        ce = ce[ce.grade.astype(str) == str(grade)]
    latest = ce[ce.exam_date == ce.groupby(["grade", "subject"]).exam_date.transform("max")] if len(ce) else ce
    sec = Section(title, period=_period_exams(t, latest))
    facts: dict = {}
    if latest.empty:
        sec.paragraphs.append(no_data(t, d, "class_exam"))
        return sec, facts
    # by grade first: titles sort 初一, 初三, 初二 as text
    classes = sorted(latest.class_sourced_id.astype(str).unique(),
                     key=lambda c: (d.class_grade.get(c, ""), d.class_title.get(c, c), c))
    subjects = sorted(latest.subject.astype(str).unique())
    by = {(str(r.class_sourced_id), str(r.subject)): r for r in records(latest)}
    labels = [d.class_title.get(c, c) for c in classes]

    def z(c, subj):
        r = by.get((c, subj))
        return None if r is None or r.suppressed or pd.isna(r.mean_z) else round(float(r.mean_z), 2)

    sec.charts.append(svg.heat_map(labels, [subject_label(t, x) for x in subjects],
                                   [[z(c, subj) for subj in subjects] for c in classes],
                                   t("chart.classes_subjects"), unit=t("unit.mean_z"), lo=-1, hi=1, signed=True))
    rows = []
    for c, lab in zip(classes, labels, strict=True):
        for subj in subjects:
            r = by.get((c, subj))
            if r is None:
                continue
            rows.append([cell(lab), cell(subject_label(t, subj)), cell(r.students, "int", t("unit.people"), r.suppressed),
                         cell(r.mean_score, "num1", t("unit.points"), r.suppressed), cell(r.mean_z, "z", suppressed=r.suppressed)])
    sec.tables.append(Table([t("col.class"), t("col.subject"), t("col.students_present"), t("col.class_mean"), t("col.mean_z")],
                            rows, footnote=_suppress_note(t, d)))
    facts["class_means"] = {k: (None if r.suppressed or pd.isna(r.mean_score) else float(r.mean_score)) for k, r in by.items()}
    return sec, facts


def school_page_title(t: Translator, d: ReportData, s: Scope) -> str:
    """A grade leader's or principal's page title, from its scope alone: the page list
    names the pages rendered on demand without building them."""
    if s.role == "grade_leader":
        return t("title.grade_leader", grade=grade_label(t, s.grade))
    return t("title.principal", school=d.name(s.school_id))


def grade_leader_context(t: Translator, d: ReportData, s: Scope) -> dict:
    gl = grade_label(t, s.grade)
    sec, facts = _classes_compared(t, d, s.school_id, s.grade, t("section.grade_classes", grade=gl))
    ident = d.ident_by_school.get(s.school_id)
    ident = ident[ident.grade.astype(str) == str(s.grade)]
    # the grade's homerooms in their latest session, as the class_term mart publishes them
    ct = homerooms_of_school(t, d, "class_term", s.school_id)
    ct = ct[ct.grade.astype(str) == str(s.grade)]
    if len(ct):
        ct = latest_session_rows(ct)
        # one row per homeroom: its session figures repeat per subject; the subject with
        # the most students present stands for the class
        ct = ct.sort_values(["class_sourced_id", "students"], ascending=[True, False], na_position="last")
        ct = ct.drop_duplicates("class_sourced_id")
    esec = Section(t("section.grade_engagement", grade=gl), period=_sessions(d, ct))
    if len(ct):
        ct = ct.assign(suppressed=ct.suppressed.eq(True))
        esec.tables.append(Table([t("col.class"), t("col.students"), t("col.online_rate"), t("col.active_days_per_student")],
                                 [[cell(d.class_title.get(str(r.class_sourced_id), str(r.class_sourced_id))),
                                   cell(r.students, "int", t("unit.people"), r.suppressed),
                                   cell(r.online_share, "pct", suppressed=r.suppressed),
                                   cell(r.mean_active_days, "num1", t("unit.days"), r.suppressed)]
                                  for r in records(ct)], footnote=_suppress_note(t, d)))
    else:
        esec.paragraphs.append(no_data(t, d, "class_term"))
    sections = [sec, esec, *wellbeing_sections(t, d, "grade_leader", "grade", f"{s.school_id}:{s.grade}")]
    return {"title": school_page_title(t, d, s), "subtitle": d.name(s.school_id), "sections": sections, "facts": facts}


def principal_context(t: Translator, d: ReportData, s: Scope) -> dict:
    school = s.school_id
    u, m = _publication(t, d, [school])
    facts: dict = {"usage": u, "micro": m}
    sections = []
    usec = Section(t("section.school_usage"), note=t("note.as_published"))
    for month in sorted(u.month.astype(str).unique(), reverse=True):
        usec.tables.append(usage_table(t, d.min_cell, u, m, month))
    if not usec.tables:
        usec.paragraphs.append(no_data(t, d, "usage_monthly"))
    sections.append(usec)
    # Linze's loop for this school: its platform use, its flag and its follow-up
    month = max(u.month.astype(str)) if len(u) else None
    sections.append(platform_use_section(t, d.platform_use, d.min_cell, [school], month))
    flag_sections, flag_facts = school_flags_sections(t, d.school_flags, [school], month)
    sections += flag_sections
    facts.update(flag_facts)
    qm = d.quality_map[d.quality_map.school_sourced_id.astype(str) == school].merge(
        d.exam_stats[["exam_id", "district_mean", "district_hidden", "exam_name"]], on="exam_id", how="left").sort_values(["subject", "exam_date"])
    # the change compares the school's previous exam of the same grade and subject (the
    # same cohort on a comparable exam), never one grade's exam against another's
    qm["is_suppressed"] = qm.suppressed.eq(True)  # as the mart published it (int_exam_suppression)
    rsec = Section(t("section.school_vs_district"), period=_period_exams(t, qm))
    if qm.empty:
        rsec.paragraphs.append(no_data(t, d, "quality_map"))
    else:
        # one chart per grade: a line joins one cohort's exams of a subject, never one
        # grade's exam to another grade's on the same or the next date
        for grade, by_grade in qm.groupby("grade"):
            dates = sorted(by_grade.exam_date.astype(str).unique())
            series = [(subject_label(t, subj), [dict(zip(g.exam_date.astype(str), g.mean_z, strict=True)).get(x) for x in dates])
                      for subj, g in by_grade.sort_values(["exam_date", "exam_id"]).groupby("subject")]
            rsec.charts.append(svg.line_chart(dates, series, t("chart.school_trend", grade=grade_label(t, grade)),
                                              unit=t("unit.mean_z")))
        rsec.tables.append(Table([t("col.subject"), t("col.grade"), t("col.exam"), t("col.date"), t("col.students_present"),
                                  t("col.school_mean"), t("col.district_mean"), t("col.mean_z"), t("col.change_z_same_grade")],
                                 [[cell(subject_label(t, r.subject)), cell(grade_label(t, r.grade)), cell(r.exam_name),
                                   cell(_date(r.exam_date)),
                                   cell(r.students, "int", t("unit.people"), r.is_suppressed),
                                   cell(r.mean_score, "num1", t("unit.points"), r.is_suppressed),
                                   cell(r.district_mean, "num1", t("unit.points"), r.district_hidden is not False),
                                   cell(r.mean_z, "z", suppressed=r.is_suppressed),
                                   cell(r.change_in_mean_z_same_grade, "z", suppressed=r.is_suppressed)]
                                  for r in records(qm)],
                                 footnote=_suppress_note(t, d)))
    facts["quality"] = qm
    sections.append(rsec)
    csec, cf = _classes_compared(t, d, school, None, t("section.school_classes"))
    sections.append(csec)
    facts.update(cf)
    ts = d.top_students[d.top_students.school_sourced_id.astype(str) == school]
    tsec = Section(t("section.top_students"), period=_sessions(d, ts), note=t("note.top_students", n=_top_n(d, ts)))
    tsec.tables.append(_top_table(t, d, ts, d.top_cohorts[d.top_cohorts.school_sourced_id.astype(str) == school]))
    sections.append(tsec)
    sections += wellbeing_sections(t, d, "principal", "school", str(school))
    return {"title": school_page_title(t, d, s), "subtitle": d.name(s.district_id), "sections": sections, "facts": facts}


def _top_n(d: ReportData, ts: pd.DataFrame) -> int:
    """N as the mart computed it (its top_n column), else the deployment's setting."""
    if "top_n" in ts and ts.top_n.notna().any():
        return int(ts.top_n.max())
    return d.top_n


def _top_table(t: Translator, d: ReportData, ts: pd.DataFrame, cohorts: pd.DataFrame) -> Table:
    rows = []
    if len(ts) or len(cohorts):
        g = _top_groups(ts, ["academic_session", "grade"], cohorts)
        rows = [[cell(d.session_title(r.academic_session)), cell(grade_label(t, r.grade)), cell(r.sittings, "int", t("unit.exams")),
                 *_top_counts(t, r, _top_n(d, ts))] for r in records(g)]
    return Table([t("col.session"), t("col.grade"), t("col.cohort_sittings"), t("col.top_all"), t("col.top_k1")], rows)
