"""The teacher's and the head teacher's pages: a class's exams, students needing attention, micro-tests."""

from __future__ import annotations

import pandas as pd

from orchestration.landing.surveys import FITNESS_GRADES
from orchestration.pages.i18n import Translator
from orchestration.reporting import svg
from orchestration.reporting.components import Section, Table, cell
from orchestration.reporting.contexts.common import (
    BIN_LABELS,
    SCORE_BANDS,
    _date,
    _latest_exam_rows,
    _members,
    _period_exams,
    _psych_section,
    _publication,
    _sessions,
    _suppress_note,
    grade_label,
    no_data,
    subject_label,
)
from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import Scope
from orchestration.reporting.store import records


# ----------------------------------------------------------------------------- class views
def _class_exam_sections(t: Translator, d: ReportData, cls: str, subject: str | None, members: pd.DataFrame,
                         with_names: bool) -> tuple[list[Section], dict]:
    """A class's results per exam, latest distribution, weak points and (for its own
    teacher) the students needing attention, from the bulk class × exam aggregates."""
    keys = members.student_key.astype(str).tolist()
    per_exam = d.class_exam_by_class.get(cls)
    if subject:
        per_exam = per_exam[per_exam.subject == subject]
    facts: dict = {"members": len(keys)}
    out: list[Section] = []
    title = d.class_title.get(cls, cls)
    if per_exam.empty:
        out.append(Section(t("section.class_results", cls=title), paragraphs=[no_data(t, d, "class_exam")]))
        return out, facts
    facts["exam_means"] = {e: (None if h else m) for e, m, h in zip(per_exam.exam_id, per_exam.mean_score, per_exam.suppressed, strict=True)}
    dates = per_exam.exam_date.astype(str)
    period = t("period.exams", start=dates.min()[:10], end=dates.max()[:10])
    sec = Section(t("section.class_results", cls=title), period=period)
    sec.tables.append(Table(
        [t("col.exam"), t("col.subject"), t("col.date"), t("col.students_present"), t("col.class_mean"),
         t("col.district_mean"), t("col.mean_z")],
        [[cell(r.exam_name), cell(subject_label(t, r.subject)), cell(_date(r.exam_date)),
          cell(r.students, "int", t("unit.people"), r.suppressed),
          cell(r.mean_score, "num1", t("unit.points"), r.suppressed),
          cell(r.district_mean, "num1", t("unit.points"), r.district_hidden),
          cell(r.mean_z, "z", suppressed=r.suppressed)] for r in records(per_exam)],
        footnote=_suppress_note(t, d)))
    latest = per_exam.iloc[-1]
    hidden = bool(latest.suppressed)
    counts = None if hidden else [int(latest[band]) for band in SCORE_BANDS]
    sec.charts.append(svg.histogram(BIN_LABELS, counts or [None] * len(BIN_LABELS),
                                    t("chart.distribution", exam=latest.exam_name, date=_date(latest.exam_date)),
                                    unit=t("unit.people_axis")))
    facts["distribution"] = counts
    out.append(sec)

    # the class's weak points as class_weak_points publishes them (latest session): a
    # suppressed class shows its knowledge points in catalogue order, with no value and no rank
    weak = d.weak_by_class.get(cls)
    if subject and len(weak):
        weak = weak[weak.subject == subject]
    weak = _latest_session(weak)
    wsec = Section(t("section.class_weak", cls=title), period=_sessions(d, weak))
    hidden = bool(weak.suppressed.eq(True).any()) if len(weak) else False
    weak = weak.sort_values("kp_id").head(5) if hidden else weak.sort_values(["score_rate", "kp_id"]).head(5)
    if weak.empty:
        wsec.paragraphs.append(no_data(t, d, "class_weak_points"))
    else:
        wsec.charts.append(svg.bar_chart(weak.kp_name.fillna(weak.kp_id).astype(str).tolist(),
                                         [None if hidden else round(v * 100, 1) for v in weak.score_rate],
                                         t("chart.class_weak"), unit=t("unit.score_rate_pct"), max_value=100))
    facts["weak_kps"] = weak.kp_id.tolist()
    out.append(wsec)
    if with_names:
        out.append(_attention_section(t, d, "teacher", cls, period))
    return out, facts


def _attention_rows(t: Translator, d: ReportData, role: str) -> dict[str, list[list]]:
    """Every class's rows of the attention table for ``role``, built in one pass over the
    mart the first time a page asks (per render process and role): class by class it
    cost a dozen pandas operations per page. Within a class, most signals first, then
    the lowest z, then the key: the student to see first heads the list."""
    built = d.__dict__.setdefault("_attention_rows", {})
    if role in built:
        return built[role]
    flags = d.attention_by_class.frame
    psych = d.psych_allowed.get(role, False)
    shown = flags[flags.needs_attention.eq(True) | (psych & flags.psych_risk_high.eq(True))]
    names = d.ident_by_key.get_many(sorted(shown.student_key.astype(str).unique())).set_index("student_key").full_name
    signals = shown[["absent_from_latest", "low_z", "z_fall", "inactive"]].astype(bool).sum(axis=1) + (
        shown.psych_risk_high.eq(True) & psych)
    shown = shown.assign(_signals=signals).sort_values(
        ["class_sourced_id", "_signals", "latest_mean_z", "student_key"], ascending=[True, False, True, True],
        na_position="last")
    rows: dict[str, list[list]] = {}
    for r in records(shown):
        reasons = []
        if r.absent_from_latest:
            reasons.append(t("reason.absent"))
        if r.low_z:
            reasons.append(t("reason.low_z", z=f"{r.latest_mean_z:+.2f}"))
        if r.z_fall:
            reasons.append(t("reason.drop", dz=f"{abs(r.min_z_change):.2f}"))  # "fell by 0.63", not "by -0.63"
        if r.inactive:
            reasons.append(t("reason.inactive", days=int(r.days_without_activity)))
        if psych and bool(r.psych_risk_high):
            reasons.append(t("reason.psych_high"))
        z = None if pd.isna(r.latest_mean_z) else float(r.latest_mean_z)
        rows.setdefault(str(r.class_sourced_id), []).append(
            [cell(names.get(str(r.student_key), "")), cell(z, "z"), cell("；".join(reasons))])
    built[role] = rows
    return rows


def _attention_section(t: Translator, d: ReportData, role: str, cls: str, period: str) -> Section:
    """Named students of the teacher's own class who need attention, with the reasons, as
    the restricted students_needing_attention mart flags them (rules and thresholds: dbt
    var `attention`). The psych signal shows only where the policy grants the role
    student_psych for its report's purpose (the head teacher's pastoral care)."""
    title = d.class_title.get(cls, cls)
    sec = Section(t("section.attention", cls=title), period=period, note=t("note.named_own_class"))
    rows = _attention_rows(t, d, role).get(str(cls), [])
    sec.tables.append(Table([t("col.student"), t("col.latest_z"), t("col.reason")], rows))
    if not rows:
        sec.paragraphs.append(t("msg.nobody_attention"))
    return sec


def _latest_session(frame: pd.DataFrame) -> pd.DataFrame:
    """A class mart's rows of its latest academic session (all rows when it has none)."""
    if frame.empty or "academic_session" not in frame or frame.academic_session.isna().all():
        return frame
    return frame[frame.academic_session == frame.academic_session.max()]


def _micro_section(t: Translator, d: ReportData, title: str, school: str | None, cls: str) -> tuple[Section, dict]:
    """Micro-test answering of the class's students in the latest session, as
    class_engagement publishes it (students who answered at least one micro-test item /
    students of the class), beside the school's published monthly answer rate (students
    answering / students a micro-test was published to)."""
    eng = _latest_session(d.engagement_by_class.get(cls))
    sec = Section(t("section.micro", cls=title), period=_sessions(d, eng))
    facts: dict = {}
    if eng.empty:
        sec.paragraphs.append(no_data(t, d, "class_engagement"))
    else:
        r = eng.iloc[0]
        facts.update(class_students=None if r.suppressed else int(r.students),
                     students_answering=None if r.suppressed else int(r.students_answering),
                     answer_rate=None if r.suppressed else float(r.answer_share))
        sec.tables.append(Table([t("col.students"), t("col.students_answering"), t("col.answer_share"), t("col.answers")],
                                [[cell(r.students, "int", t("unit.people"), r.suppressed),
                                  cell(r.students_answering, "int", t("unit.people"), r.suppressed),
                                  cell(r.answer_share, "pct", suppressed=r.suppressed),
                                  cell(r.microtests_answered, "int", t("unit.times"), r.suppressed)]],
                                footnote=t("note.micro_class") + " " + _suppress_note(t, d), sortable=False))
    if school:
        _, m = _publication(t, d, [school])
        if len(m):
            m = m.sort_values("month")
            sec.tables.append(Table([t("col.month"), t("col.segment"), t("col.microtests_assigned"), t("col.students_assigned"),
                                     t("col.students_answering"), t("col.micro_answer_rate")],
                                    [[cell(r.month), cell(t(f"segment.{r.segment}")), cell(r.microtests_assigned, "int", t("unit.tests")),
                                      cell(r.students_assigned, "int", t("unit.people")),
                                      cell(r.students_answering, "int", t("unit.people"), r.is_suppressed),
                                      cell(r.answer_rate, "pct", suppressed=r.is_suppressed)] for r in records(m)],
                                    caption=t("caption.school_micro", school=d.name(school))))
    return sec, facts


def teacher_context(t: Translator, d: ReportData, s: Scope) -> dict:
    sections: list[Section] = []
    facts: dict = {}
    for cls in s.class_ids:
        members = _members(d, [cls])
        subject = d.class_subject.get(cls)
        secs, f = _class_exam_sections(t, d, cls, subject, members, with_names=True)
        msec, mf = _micro_section(t, d, d.class_title.get(cls, cls), s.school_id, cls)
        sections += secs + [msec]
        facts[cls] = {**f, **mf, "students": members.student_key.tolist()}
    school = d.name(s.school_id)
    return {"title": t("title.teacher"), "subtitle": f"{school} · {t('label.classes', n=len(s.class_ids))}",
            "sections": sections, "facts": facts}


def head_teacher_context(t: Translator, d: ReportData, s: Scope) -> dict:
    cls = s.class_ids[0]
    members = _members(d, [cls])
    keys = members.student_key.astype(str).tolist()
    title = d.class_title.get(cls, cls)
    sections: list[Section] = []
    facts: dict = {"students": keys}
    ex = d.exam_by_student.get_many(keys)
    latest = _latest_exam_rows(ex)
    # across subjects: class mean and z per subject (latest exam), students × subjects heat map
    sec = Section(t("section.homeroom_subjects", cls=title), period=_period_exams(t, latest))
    if latest.empty:
        sec.paragraphs.append(no_data(t, d, "student_exam"))
    else:
        per = d.class_exam_by_class.get(cls)
        per = per.groupby("subject", as_index=False).tail(1)  # each subject's latest exam (rows in date order)
        facts["subject_means"] = {sj: (None if h else m) for sj, m, h in zip(per.subject, per.mean_score, per.suppressed, strict=True)}
        sec.tables.append(Table([t("col.subject"), t("col.exam"), t("col.date"), t("col.students_present"), t("col.class_mean"),
                                 t("col.district_mean"), t("col.mean_z")],
                                [[cell(subject_label(t, r.subject)), cell(r.exam_name), cell(_date(r.exam_date)),
                                  cell(r.students, "int", t("unit.people"), r.suppressed),
                                  cell(r.mean_score, "num1", t("unit.points"), r.suppressed),
                                  cell(r.district_mean, "num1", t("unit.points"), r.district_hidden),
                                  cell(r.mean_z, "z", suppressed=r.suppressed)]
                                 for r in records(per)], footnote=_suppress_note(t, d)))
        pivot = latest.pivot_table(index="student_key", columns="subject", values="z_score", aggfunc="mean")
        names = members.set_index("student_key").full_name
        subjects = list(pivot.columns)
        sec.charts.append(svg.heat_map([names.get(k, k) for k in pivot.index], [subject_label(t, x) for x in subjects],
                                       [[None if pd.isna(v) else round(float(v), 2) for v in row] for row in pivot.to_numpy()],
                                       t("chart.students_subjects"), unit=t("unit.z"), lo=-2, hi=2, signed=True))
    sections.append(sec)
    sections.append(_attention_section(t, d, "head_teacher", cls, _period_exams(t, latest)))
    # engagement: each student's figures (the head teacher's own class, named) and the
    # class means as class_engagement publishes them, for the latest session
    eng = _latest_session(d.engagement_by_class.get(cls))
    prof = d.profile_by_student.get_many(keys)
    esec = Section(t("section.engagement", cls=title), period=_sessions(d, eng))
    metrics = [c for c in ("active_days", "logins", "resources_viewed", "microtests_answered", "homework_submitted") if c in prof]
    if eng.empty or not metrics:
        esec.paragraphs.append(no_data(t, d, "class_engagement"))
    else:
        row = eng.iloc[0]
        per = prof[prof.academic_session == row.academic_session].set_index("student_key")
        names = members.set_index("student_key").full_name
        esec.tables.append(Table([t("col.student")] + [t(f"activity.{m}") for m in metrics],
                                 [[cell(n)] + [cell(per[m].get(k, 0), "int") for m in metrics] for k, n in names.items()]))
        means = None if row.suppressed else {m: float(row[f"mean_{m}"]) for m in metrics}
        esec.charts.append(svg.bar_chart([t(f"activity.{m}") for m in metrics],
                                         [None if means is None else round(means[m], 1) for m in metrics],
                                         t("chart.class_engagement"), unit=t("unit.per_student")))
        facts["engagement_means"] = means
    sections.append(esec)
    msec, mf = _micro_section(t, d, title, s.school_id, cls)
    sections.append(msec)
    facts.update(mf)
    # fitness summary: the restricted class_fitness mart (suppressed there)
    fit = _latest_session(d.fitness_by_class.get(cls))
    fsec = Section(t("section.fitness_summary", cls=title), period=_sessions(d, fit))
    if fit.empty:
        fsec.paragraphs.append(no_data(t, d, "class_fitness"))
    else:
        counts = dict(zip(fit.fitness_grade, fit.students, strict=True))
        shares = dict(zip(fit.fitness_grade, fit.share, strict=True))
        hidden = bool(fit.suppressed.any())
        labels = [g for g in FITNESS_GRADES if g in counts] + [g for g in counts if g not in FITNESS_GRADES]
        fsec.charts.append(svg.bar_chart(labels, [None if hidden else int(counts[g]) for g in labels], t("chart.fitness"),
                                         unit=t("unit.people")))
        fsec.tables.append(Table([t("col.fitness_grade"), t("col.students"), t("col.share")],
                                 [[cell(g), cell(counts[g], "int", t("unit.people"), hidden), cell(shares[g], "pct", suppressed=hidden)]
                                  for g in labels], footnote=_suppress_note(t, d)))
        facts["fitness_counts"] = None if hidden else {g: int(counts[g]) for g in labels}
    sections.append(fsec)
    psych = _psych_section(t, d, "head_teacher", keys, own=False, cls=cls)
    if psych:
        sections.append(psych)
    return {"title": t("title.head_teacher", cls=title), "subtitle": f"{d.name(s.school_id)} · {grade_label(t, s.grade)}",
            "sections": sections, "facts": facts}
