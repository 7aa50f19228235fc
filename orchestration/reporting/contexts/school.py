"""The grade leader's and the principal's pages: classes compared, the school's publication table, top students."""

from __future__ import annotations

import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting import svg
from orchestration.reporting.components import Section, Table, cell
from orchestration.reporting.contexts.common import (
    _date,
    _period_exams,
    _publication,
    _sessions,
    _suppress_note,
    _top_counts,
    _top_groups,
    grade_label,
    subject_label,
)
from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import Scope
from orchestration.reporting.suppression import suppress_frame, suppress_matrix
from orchestration.reporting.usage_table import usage_table


# ----------------------------------------------------------------------------- school views
def _classes_compared(t: Translator, d: ReportData, school: str, grade: str | None, title: str) -> tuple[Section, dict]:
    """Homerooms of a school (optionally one grade) × subjects, latest exam mean z."""
    ident = d.ident_by_school.get(school)
    if grade is not None:
        ident = ident[ident.grade.astype(str) == str(grade)]
    ex = d.exam_by_student.get_many(ident.student_key.astype(str).tolist())
    ex = ex.merge(ident[["student_key", "homeroom_class_sourced_id"]], on="student_key")
    latest = ex[ex.exam_date == ex.groupby(["grade", "subject"]).exam_date.transform("max")] if len(ex) else ex
    sec = Section(title, period=_period_exams(t, latest))
    facts: dict = {}
    if latest.empty:
        sec.paragraphs.append(t("msg.no_data"))
        return sec, facts
    grp = latest.groupby(["homeroom_class_sourced_id", "subject"])
    sizes = grp.student_key.nunique().unstack()
    means = grp.z_score.mean().unstack()
    raw = grp.score.mean().unstack()
    shown, mask = suppress_matrix(sizes, means, d.min_cell, row_totals=False, col_totals=True)
    classes = list(sizes.index)
    labels = [d.class_title.get(str(c), str(c)) for c in classes]
    subjects = list(sizes.columns)
    sec.charts.append(svg.heat_map(labels, [subject_label(t, x) for x in subjects],
                                   [[None if v is None or pd.isna(v) else round(float(v), 2) for v in shown.loc[c]] for c in classes],
                                   t("chart.classes_subjects"), unit=t("unit.mean_z"), lo=-1, hi=1))
    rows = []
    for c, lab in zip(classes, labels, strict=True):
        for subj in subjects:
            if pd.isna(sizes.loc[c, subj]):
                continue
            hid = bool(mask.loc[c, subj])
            rows.append([cell(lab), cell(subject_label(t, subj)), cell(sizes.loc[c, subj], "int", t("unit.people")),
                         cell(raw.loc[c, subj], "num1", t("unit.points"), hid), cell(means.loc[c, subj], "z", suppressed=hid)])
    sec.tables.append(Table([t("col.class"), t("col.subject"), t("col.students_present"), t("col.class_mean"), t("col.mean_z")],
                            rows, footnote=_suppress_note(t, d)))
    facts["class_means"] = {(str(c), s): (None if mask.loc[c, s] or pd.isna(raw.loc[c, s]) else float(raw.loc[c, s]))
                            for c in classes for s in subjects}
    return sec, facts


def grade_leader_context(t: Translator, d: ReportData, s: Scope) -> dict:
    gl = grade_label(t, s.grade)
    sec, facts = _classes_compared(t, d, s.school_id, s.grade, t("section.grade_classes", grade=gl))
    ident = d.ident_by_school.get(s.school_id)
    ident = ident[ident.grade.astype(str) == str(s.grade)]
    prof = d.profile_by_student.get_many(ident.student_key.astype(str).tolist())
    esec = Section(t("section.grade_engagement", grade=gl), period=_sessions(d, prof))
    if len(prof) and "logins" in prof:
        per = prof.groupby("student_key")[[c for c in ("active_days", "logins") if c in prof]].sum().join(
            ident.set_index("student_key").homeroom_class_sourced_id)
        agg = per.groupby("homeroom_class_sourced_id").agg(students=("logins", "size"), online=("logins", lambda x: int((x > 0).sum())),
                                                           logins=("logins", "mean")).reset_index()
        agg["online_rate"] = agg.online / agg.students
        agg = suppress_frame(agg, "students", ["online", "online_rate", "logins"], d.min_cell, total_shown=True)
        esec.tables.append(Table([t("col.class"), t("col.students"), t("col.students_online"), t("col.online_rate"), t("col.logins_per_student")],
                                 [[cell(d.class_title.get(str(r.homeroom_class_sourced_id), str(r.homeroom_class_sourced_id))),
                                   cell(r.students, "int", t("unit.people")), cell(r.online, "int", t("unit.people"), r.is_suppressed),
                                   cell(r.online_rate, "pct", suppressed=r.is_suppressed), cell(r.logins, "num1", t("unit.times"), r.is_suppressed)]
                                  for r in agg.itertuples()], footnote=_suppress_note(t, d)))
    else:
        esec.paragraphs.append(t("msg.no_data"))
    return {"title": t("title.grade_leader", grade=gl), "subtitle": d.name(s.school_id), "sections": [sec, esec], "facts": facts}


def principal_context(t: Translator, d: ReportData, s: Scope) -> dict:
    school = s.school_id
    u, m = _publication(t, d, [school])
    facts: dict = {"usage": u, "micro": m}
    sections = []
    usec = Section(t("section.school_usage"), note=t("note.as_published"))
    for month in sorted(u.month.astype(str).unique(), reverse=True):
        usec.tables.append(usage_table(t, d.min_cell, u, m, month))
    if not usec.tables:
        usec.paragraphs.append(t("msg.no_data"))
    sections.append(usec)
    qm = d.quality_map[d.quality_map.school_sourced_id.astype(str) == school].merge(
        d.exam_stats[["exam_id", "district_mean", "district_students", "exam_name"]], on="exam_id", how="left").sort_values(["subject", "exam_date"])
    # the change compares the school's previous exam of the same grade and subject (the
    # same cohort on a comparable exam), never one grade's exam against another's
    qm = suppress_frame(qm, "students", ["mean_score", "mean_z", "change_in_mean_z_same_grade"], d.min_cell,
                        total_shown=False)
    qm["is_suppressed"] = qm.is_suppressed | qm.suppressed.eq(True)  # as the mart published it
    rsec = Section(t("section.school_vs_district"), period=_period_exams(t, qm))
    if qm.empty:
        rsec.paragraphs.append(t("msg.no_data"))
    else:
        dates = sorted(qm.exam_date.astype(str).unique())
        series = [(subject_label(t, subj), [dict(zip(g.exam_date.astype(str), g.mean_z, strict=True)).get(x) for x in dates])
                  for subj, g in qm.groupby("subject")]
        rsec.charts.append(svg.line_chart(dates, series, t("chart.school_trend"), unit=t("unit.mean_z")))
        rsec.tables.append(Table([t("col.subject"), t("col.grade"), t("col.exam"), t("col.date"), t("col.students_present"),
                                  t("col.school_mean"), t("col.district_mean"), t("col.mean_z"), t("col.change_z_same_grade")],
                                 [[cell(subject_label(t, r.subject)), cell(grade_label(t, r.grade)), cell(r.exam_name),
                                   cell(_date(r.exam_date)),
                                   cell(r.students, "int", t("unit.people"), r.is_suppressed),
                                   cell(r.mean_score, "num1", t("unit.points"), r.is_suppressed),
                                   cell(r.district_mean, "num1", t("unit.points"), not r.district_students >= d.min_cell),
                                   cell(r.mean_z, "z", suppressed=r.is_suppressed),
                                   cell(r.change_in_mean_z_same_grade, "z", suppressed=r.is_suppressed)]
                                  for r in qm.itertuples()],
                                 footnote=_suppress_note(t, d)))
    facts["quality"] = qm
    sections.append(rsec)
    csec, cf = _classes_compared(t, d, school, None, t("section.school_classes"))
    sections.append(csec)
    facts.update(cf)
    ts = d.top_students[d.top_students.school_sourced_id.astype(str) == school]
    tsec = Section(t("section.top_students"), period=_sessions(d, ts), note=t("note.top_students", n=_top_n(d, ts)))
    tsec.tables.append(_top_table(t, d, ts))
    sections.append(tsec)
    return {"title": t("title.principal", school=d.name(school)), "subtitle": d.name(s.district_id), "sections": sections, "facts": facts}


def _top_n(d: ReportData, ts: pd.DataFrame) -> int:
    """N as the mart computed it (its top_n column), else the deployment's setting."""
    if "top_n" in ts and ts.top_n.notna().any():
        return int(ts.top_n.max())
    return d.top_n


def _top_table(t: Translator, d: ReportData, ts: pd.DataFrame) -> Table:
    rows = []
    if len(ts):
        g = _top_groups(ts, ["academic_session", "grade"])
        rows = [[cell(d.session_title(r.academic_session)), cell(grade_label(t, r.grade)), cell(r.exams, "int", t("unit.exams")),
                 *_top_counts(t, r, _top_n(d, ts))] for r in g.itertuples()]
    return Table([t("col.session"), t("col.grade"), t("col.cohort_exams"), t("col.top_all"), t("col.top_k1")], rows)
