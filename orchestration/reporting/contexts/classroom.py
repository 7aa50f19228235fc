"""The teacher's and the head teacher's pages: a class's exams, students needing attention, micro-tests."""

from __future__ import annotations

import pandas as pd

from orchestration.landing.surveys import FITNESS_GRADES
from orchestration.pages.i18n import Translator
from orchestration.reporting import svg
from orchestration.reporting.components import Section, Table, _missing, cell
from orchestration.reporting.contexts.class_rows import (
    cached,
    class_exams,
    latest_per_subject,
    latest_session,
    rate_pct,
    school_micro_table,
    session_rows,
    sessions_label,
    weakest,
)
from orchestration.reporting.contexts.common import (
    BIN_LABELS,
    _date,
    _latest_exam_rows,
    _members,
    _period_exams,
    _psych_section,
    _scope_suppress_note,
    _sessions,
    _suppress_note,
    fitness_label,
    grade_label,
    latest_session_rows,
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
    teacher) the students needing attention, from the bulk class × exam aggregates
    (their rows per class: class_rows.py)."""
    per_exam = class_exams(t, d).get(str(cls), [])
    if subject:
        per_exam = [r for r in per_exam if r.subject == subject]
    facts: dict = {"members": len(members)}
    out: list[Section] = []
    title = d.class_title.get(cls, cls)
    if not per_exam:
        reason = no_data(t, d, "class_exam")
        if subject and "class_exam" not in d.store.missing:
            reason = t("why.class_exam_subject", subject=subject_label(t, subject))
        # The weak points and the students needing attention come from the class's exams:
        # the page says they follow, rather than leave them out without a word.
        later = t("msg.after_first_exam_named" if with_names else "msg.after_first_exam")
        out.append(Section(t("section.class_results", cls=title), paragraphs=[reason, later]))
        return out, facts
    facts["exam_means"] = {r.exam_id: (None if r.suppressed else r.mean_score) for r in per_exam}
    dates = [str(r.exam_date) for r in per_exam]
    period = t("period.exams", start=min(dates)[:10], end=max(dates)[:10])
    sec = Section(t("section.class_results", cls=title), period=period)
    sec.tables.append(Table(
        [t("col.exam"), t("col.subject"), t("col.date"), t("col.students_present"), t("col.class_mean"),
         t("col.district_mean"), t("col.mean_z")],
        [list(r.cells) for r in per_exam],
        footnote=_suppress_note(t, d)))
    latest = per_exam[-1]
    counts = None if latest.suppressed else [int(v) for v in latest.bands]
    sec.charts.append(svg.histogram(BIN_LABELS, counts or [None] * len(BIN_LABELS),
                                    t("chart.distribution", exam=latest.exam_name, date=_date(latest.exam_date)),
                                    unit=t("unit.people_axis")))
    facts["distribution"] = counts
    out.append(sec)

    # the class's weak points as class_weak_points publishes them (latest session): a
    # suppressed class shows its knowledge points in catalogue order, with no value and no rank
    weak = session_rows(t, d, "weak_by_class").get(str(cls), [])
    if subject and weak:
        weak = [r for r in weak if r.fields["subject"] == subject]
    weak = latest_session(weak)
    wsec = Section(t("section.class_weak", cls=title), period=sessions_label(d, weak))
    hidden = any(r.fields["suppressed"] is True or r.fields["suppressed"] == 1 for r in weak)
    weak = weakest(weak, hidden)
    if not weak:
        wsec.paragraphs.append(no_data(t, d, "class_weak_points"))
    else:
        wsec.charts.append(svg.bar_chart([str(r.fields["kp_id"] if _missing(r.fields["kp_name"]) else r.fields["kp_name"])
                                          for r in weak],
                                         [None if hidden else rate_pct(r.fields["score_rate"]) for r in weak],
                                         t("chart.class_weak"), unit=t("unit.score_rate_pct"), max_value=100))
    facts["weak_kps"] = [r.fields["kp_id"] for r in weak]
    out.append(wsec)
    if with_names:
        out.append(_attention_section(t, d, "teacher", cls, period))
    return out, facts


def _attention_rows(t: Translator, d: ReportData, role: str) -> dict[str, list[list]]:
    """Every class's rows of the attention table for ``role``, built in one pass over the
    mart the first time a page asks (once per render process, role and language:
    class_rows.cached): class by class it cost a dozen pandas operations per page. Within
    a class, most signals first, then the lowest z, then the key: the student to see
    first heads the list."""

    def build() -> dict[str, list[list]]:
        flags = d.attention_by_class.frame
        psych = d.psych_allowed.get(role, False)
        # a student's psych flag shows only with the consent the role's purpose needs
        withheld = (d.psych_withheld or {}).get(role, frozenset())
        flags = flags.assign(psych_risk_high=flags.psych_risk_high.eq(True)
                             & ~flags.student_key.astype(str).isin(withheld))
        shown = flags[flags.needs_attention.eq(True) | (psych & flags.psych_risk_high)]
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
                [cell(names.get(str(r.student_key), "")), cell(z, "z"), cell(t("sep.clause").join(reasons))])
        return rows

    # the withheld students are part of the key: the server may judge them per request
    withheld_key = hash((d.psych_withheld or {}).get(role, frozenset()))
    return cached(d, t, f"attention:{role}:{withheld_key}", build)


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


def _micro_section(t: Translator, d: ReportData, title: str, school: str | None, cls: str) -> tuple[Section, dict]:
    """Micro-test answering of the class's students in the latest session, as
    class_engagement publishes it (students who answered at least one micro-test item /
    students of the class), beside the school's published monthly answer rate (students
    answering / students a micro-test was published to)."""
    eng = latest_session(session_rows(t, d, "engagement_by_class").get(str(cls), []))
    sec = Section(t("section.micro", cls=title), period=sessions_label(d, eng))
    facts: dict = {}
    if not eng:
        sec.paragraphs.append(no_data(t, d, "class_engagement"))
    else:
        r = eng[0].fields
        hidden = r["suppressed"]
        facts.update(class_students=None if hidden else int(r["students"]),
                     students_answering=None if hidden else int(r["students_answering"]),
                     answer_rate=None if hidden else float(r["answer_share"]))
        sec.tables.append(Table([t("col.students"), t("col.students_answering"), t("col.answer_share"),
                                 t("activity.microtests_answered")],
                                [[cell(r["students"], "int", t("unit.people"), hidden),
                                  cell(r["students_answering"], "int", t("unit.people"), hidden),
                                  cell(r["answer_share"], "pct", suppressed=hidden),
                                  cell(r["microtests_answered"], "int", t("unit.tests"), hidden)]],
                                footnote=t("note.micro_class") + " " + _suppress_note(t, d), sortable=False))
    if school:
        table = school_micro_table(t, d, school)
        if table is not None:
            sec.tables.append(table)
    return sec, facts


def _z_grid(latest: pd.DataFrame) -> tuple[list, list, list[list]]:
    """Students × subjects of the z-scores on each subject's latest exam, rounded as the
    heat map shows them: what ``pivot_table(mean)`` gives (sorted keys; a pair with no
    score is None; a student or subject with none is left out), without its cost per
    page. A student with two sittings on a subject's latest date gets pandas' mean."""
    pairs: dict[tuple, list[float]] = {}
    for key, subject, z in zip(latest.student_key.tolist(), latest.subject.tolist(), latest.z_score.tolist(),
                               strict=True):
        if not (_missing(key) or _missing(subject) or _missing(z)):
            pairs.setdefault((key, subject), []).append(z)
    if any(len(v) > 1 for v in pairs.values()):
        pivot = latest.pivot_table(index="student_key", columns="subject", values="z_score", aggfunc="mean")
        return list(pivot.index), list(pivot.columns), \
            [[None if pd.isna(v) else round(float(v), 2) for v in row] for row in pivot.to_numpy()]
    students = sorted({k for k, _ in pairs})
    subjects = sorted({s for _, s in pairs})
    return students, subjects, [[round(float(pairs[(k, s)][0]), 2) if (k, s) in pairs else None for s in subjects]
                                for k in students]


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
    return {"title": class_page_title(t, d, s), "subtitle": f"{school} · {t('label.classes', n=len(s.class_ids))}",
            "sections": sections, "facts": facts}


def class_page_title(t: Translator, d: ReportData, s: Scope) -> str:
    """A teacher's or head teacher's page title, from its scope alone (no student row):
    the page list names the pages rendered on demand without building them."""
    if s.role == "head_teacher":
        return t("title.head_teacher", cls=d.class_title.get(s.class_ids[0], s.class_ids[0]))
    return t("title.teacher")


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
    period = _period_exams(t, latest)
    sec = Section(t("section.homeroom_subjects", cls=title), period=period)
    if latest.empty:
        sec.paragraphs.append(no_data(t, d, "student_exam"))
    else:
        per = latest_per_subject(class_exams(t, d).get(str(cls), []))  # each subject's latest exam
        facts["subject_means"] = {r.subject: (None if r.suppressed else r.mean_score) for r in per}
        sec.tables.append(Table([t("col.subject"), t("col.exam"), t("col.date"), t("col.students_present"), t("col.class_mean"),
                                 t("col.district_mean"), t("col.mean_z")],
                                [r.by_subject for r in per], footnote=_suppress_note(t, d)))
        students, subjects, grid = _z_grid(latest)
        names = members.set_index("student_key").full_name
        sec.charts.append(svg.heat_map([names.get(k, k) for k in students], [subject_label(t, x) for x in subjects], grid,
                                       t("chart.students_subjects"), unit=t("unit.z"), lo=-2, hi=2, signed=True))
    sections.append(sec)
    sections.append(_attention_section(t, d, "head_teacher", cls, period))
    # engagement: each student's figures (the head teacher's own class, named) and the
    # class means as class_engagement publishes them, for the latest session
    eng = latest_session_rows(d.engagement_by_class.get(cls))
    prof = d.profile_by_student.get_many(keys)
    esec = Section(t("section.engagement", cls=title), period=_sessions(d, eng))
    metrics = [c for c in ("active_days", "logins", "resources_viewed", "microtests_answered", "homework_submitted") if c in prof]
    if eng.empty or not metrics:
        esec.paragraphs.append(no_data(t, d, "class_engagement"))
    else:
        row = eng.iloc[0]
        per = prof[prof.academic_session == row.academic_session].set_index("student_key")
        by_metric = {m: per[m].to_dict() for m in metrics}  # one lookup per cell, not a column access
        names = members.set_index("student_key").full_name
        esec.tables.append(Table([t("col.student")] + [t(f"activity.{m}") for m in metrics],
                                 [[cell(n)] + [cell(by_metric[m].get(k, 0), "int") for m in metrics]
                                  for k, n in names.items()]))
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
    fit = latest_session_rows(d.fitness_by_class.get(cls))
    fsec = Section(t("section.fitness_summary", cls=title), period=_sessions(d, fit))
    if fit.empty:
        fsec.paragraphs.append(no_data(t, d, "class_fitness"))
    else:
        counts = dict(zip(fit.fitness_grade, fit.students, strict=True))
        shares = dict(zip(fit.fitness_grade, fit.share, strict=True))
        hidden = bool(fit.suppressed.any())
        labels = [g for g in FITNESS_GRADES if g in counts] + [g for g in counts if g not in FITNESS_GRADES]
        fsec.charts.append(svg.bar_chart([fitness_label(t, g) for g in labels],
                                         [None if hidden else int(counts[g]) for g in labels], t("chart.fitness"),
                                         unit=t("unit.people")))
        fsec.tables.append(Table([t("col.fitness_grade"), t("col.students"), t("col.share")],
                                 [[cell(fitness_label(t, g)), cell(counts[g], "int", t("unit.people"), hidden),
                                   cell(shares[g], "pct", suppressed=hidden)]
                                  for g in labels], footnote=_scope_suppress_note(t, d)))
        facts["fitness_counts"] = None if hidden else {g: int(counts[g]) for g in labels}
    sections.append(fsec)
    psych = _psych_section(t, d, "head_teacher", keys, own=False, cls=cls)
    if psych:
        sections.append(psych)
    return {"title": class_page_title(t, d, s), "subtitle": f"{d.name(s.school_id)} · {grade_label(t, s.grade)}",
            "sections": sections, "facts": facts}
