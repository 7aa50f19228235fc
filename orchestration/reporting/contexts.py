"""One context builder per role. Each takes the run's ReportData and one Scope and
selects only rows inside that scope (students of the scope's classes, schools of its
district, …) before computing anything, so a page cannot show what its scope excludes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting import svg
from orchestration.reporting.components import Cell, Section, Table, cell
from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import Scope
from orchestration.reporting.suppression import suppress_frame, suppress_matrix
from orchestration.reporting.usage_table import usage_table

ABILITIES = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3")
SCORE_BINS = (0.0, 0.6, 0.7, 0.8, 0.9, 1.0001)
BIN_LABELS = ("<60%", "60–69%", "70–79%", "80–89%", "≥90%")
ATTENTION_Z = -1.0
ATTENTION_DROP = 0.5


# ----------------------------------------------------------------------------- helpers
def subject_label(t: Translator, subject) -> str:
    return t(f"subject.{subject}") if subject is not None else ""


def grade_label(t: Translator, grade) -> str:
    if grade is None or (isinstance(grade, float) and np.isnan(grade)):
        return ""
    g = str(grade).zfill(2)
    text = t(f"grade.{g}")
    return text if text != f"grade.{g}" else str(grade)


def _date(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)[:10]


def _mastery(frame: pd.DataFrame) -> pd.Series:
    """mastered / developing / weak, from the mart's level or from score_rate."""
    level = frame.mastery_level.astype(str).str.lower() if "mastery_level" in frame else pd.Series("", index=frame.index)
    by_rate = np.select([frame.score_rate >= 0.8, frame.score_rate >= 0.6], ["mastered", "developing"], "weak")
    return pd.Series(np.where(level.str.contains("insufficient"), "insufficient", np.where(level.str.contains("master"), "mastered",
                     np.where(level.str.contains("weak"), "weak",
                              np.where(level.str.contains("develop|partial"), "developing", by_rate)))), index=frame.index)


def _period_exams(t: Translator, frame: pd.DataFrame) -> str:
    if frame.empty:
        return ""
    dates = pd.to_datetime(frame.exam_date)
    return t("period.exams", start=str(dates.min().date()), end=str(dates.max().date()))


def _sessions(frame: pd.DataFrame) -> str:
    if "academic_session" not in frame or frame.empty:
        return ""
    return "、".join(sorted(frame.academic_session.dropna().astype(str).unique()))


def _members(d: ReportData, class_ids) -> pd.DataFrame:
    keys = d.members_by_class.get_many(class_ids).student_key.astype(str).unique()
    return d.ident_by_key.get_many(sorted(keys))


def _latest_exam_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Each student's row of the latest exam per subject in ``frame``."""
    if frame.empty:
        return frame
    latest = frame.groupby("subject").exam_date.transform("max")
    return frame[frame.exam_date == latest]


def _suppress_note(t: Translator, d: ReportData) -> str:
    return t("note.suppressed", n=d.min_cell)


def _activity_metrics(t: Translator, prof: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, value with unit) for each engagement column the profile mart has."""
    spec = (("active_days", "unit.days"), ("logins", "unit.times"), ("resources_viewed", "unit.items"),
            ("microtests_answered", "unit.tests"), ("microtests_assigned", "unit.tests"),
            ("homework_submitted", "unit.items"))
    out = []
    for col, unit in spec:
        if col in prof.columns and len(prof):
            v = prof[col].sum()
            out.append((t(f"activity.{col}"), cell(v, "int", t(unit)).text))
    return out


def _psych_section(t: Translator, d: ReportData, role: str, keys: list[str], own: bool) -> Section | None:
    """Only when the governance policy grants this role the psych resource (default deny)."""
    if not d.psych_allowed.get(role, False):
        return None
    rows = d.psych_by_student.get_many(keys)
    sec = Section(t("section.psych"), note=t("note.psych_granted"))
    if rows.empty:
        sec.paragraphs.append(t("msg.no_data"))
        return sec
    if own:
        last = rows.sort_values(rows.columns[1] if len(rows.columns) > 1 else "student_key").iloc[-1]
        sec.paragraphs.append(t("psych.own", level=t(f"psych.{last.get('risk_level', 'none')}")))
    else:
        counts = rows.groupby("risk_level").student_key.nunique()
        order = [lv for lv in ("none", "watch", "high") if lv in counts.index]
        counts = counts.reindex(order + [lv for lv in counts.index if lv not in order])
        n = rows.student_key.nunique()
        sec.tables.append(Table([t("col.risk_level"), t("col.students")],
                                [[cell(t(f"psych.{k}")), cell(v, "int", t("unit.people"), suppressed=n < d.min_cell)]
                                 for k, v in counts.items()], footnote=_suppress_note(t, d)))
    return sec


# ----------------------------------------------------------------------------- student
ACTIVITY_COLS = ("active_days", "logins", "resources_viewed", "microtests_answered", "homework_submitted")
ACTIVITY_UNITS = ("unit.days", "unit.times", "unit.items", "unit.tests", "unit.items")
EXAM_COLS = ("exam_id", "exam_name", "subject", "exam_date", "score", "max_score", "z_score", "percentile", "district_rank")
KP_COLS = ("kp_id", "subject", "kp_name", "items", "score_rate", "mastery_level")


def _levels(levels: np.ndarray, rates: np.ndarray) -> list[str]:
    """Mastery per knowledge point: the mart's level, else from the score rate."""
    out = []
    for lv, r in zip(levels, rates, strict=True):
        lv = str(lv).lower() if lv is not None else ""
        if "insufficient" in lv:
            out.append("insufficient")
        elif "master" in lv:
            out.append("mastered")
        elif "weak" in lv:
            out.append("weak")
        elif "develop" in lv or "partial" in lv:
            out.append("developing")
        elif r is None or pd.isna(r):
            out.append("insufficient")
        else:
            out.append("mastered" if r >= 0.8 else "developing" if r >= 0.6 else "weak")
    return out


def _student_sections(t: Translator, d: ReportData, key: str, plain: bool) -> tuple[list[Section], dict]:
    """Per-student pages use column-array slices, not DataFrames: they are most pages."""
    ex = d.exam_by_student.cols(key, EXAM_COLS)
    order = np.lexsort((ex["subject"].astype(str), ex["exam_date"].astype(str)))
    ex = {c: v[order] for c, v in ex.items()}
    kn = d.knowledge_by_student.cols(key, KP_COLS)
    ab = d.ability_by_student.cols(key, ("subject", "ability", "score_rate"))
    prof = d.profile_by_student.cols(key, ("academic_session",) + ACTIVITY_COLS)
    sections: list[Section] = []
    n = len(ex["exam_id"])
    facts: dict = {"exams": n}
    dates = [str(x)[:10] for x in ex["exam_date"]]
    period = t("period.exams", start=dates[0], end=dates[-1]) if n else ""

    sec = Section(t("section.scores"), period=period, anchor="scores")
    if plain and n:
        i = n - 1
        sec.paragraphs.append(t("parent.latest_exam", exam=ex["exam_name"][i], subject=subject_label(t, ex["subject"][i]),
                                date=dates[i], score=cell(ex["score"][i], "num1").text,
                                max=cell(ex["max_score"][i], "num1").text, pct=f"{float(ex['percentile'][i]) * 100:.0f}"))
    rows = []
    for i in range(n):
        stats = d.exam_info.get(str(ex["exam_id"][i]), (None, None))
        rank = ex["district_rank"][i]
        rows.append([cell(ex["exam_name"][i]), cell(subject_label(t, ex["subject"][i])), cell(dates[i]),
                     cell(ex["score"][i], "num1", t("unit.points")), cell(ex["max_score"][i], "num1", t("unit.points")),
                     cell(stats[1], "num1", t("unit.points"), suppressed=(stats[0] or 0) < d.min_cell),
                     cell(ex["z_score"][i], "z"), cell(ex["percentile"][i], "pct"),
                     cell(f"{int(rank)} / {int(stats[0])}" if rank is not None and pd.notna(rank) and stats[0] else None)])
    sec.tables.append(Table([t("col.exam"), t("col.subject"), t("col.date"), t("col.score"), t("col.max_score"),
                             t("col.district_mean"), t("col.z"), t("col.percentile"), t("col.rank")], rows,
                            footnote=t("note.z_percentile")))
    sections.append(sec)

    if n:
        xs = sorted(set(dates))
        series = []
        for subj in sorted(set(ex["subject"].astype(str))):
            by_date = {dates[i]: float(ex["z_score"][i]) for i in range(n) if str(ex["subject"][i]) == subj and pd.notna(ex["z_score"][i])}
            series.append((subject_label(t, subj), [by_date.get(x) for x in xs]))
        trend = Section(t("section.trend"), period=period, anchor="trend")
        trend.charts.append(svg.line_chart(xs, series, t("chart.z_trend"), unit=t("unit.z")))
        if plain:
            trend.paragraphs.append(t("parent.trend_help"))
        sections.append(trend)

    # knowledge map
    m = len(kn["kp_id"])
    rates = np.array([np.nan if r is None else float(r) for r in kn["score_rate"]], dtype=float)
    levels = _levels(kn["mastery_level"], rates)
    names = [str(nm) if nm is not None and not (isinstance(nm, float) and np.isnan(nm)) else str(k) for nm, k in zip(kn["kp_name"], kn["kp_id"], strict=True)]
    subjects = [str(x) for x in kn["subject"]]
    ksec = Section(t("section.knowledge"), anchor="knowledge")
    if not m:
        ksec.paragraphs.append(t("msg.no_data"))
    rl = rates.tolist()  # plain floats: this loop runs for every knowledge point of every student
    by_rate = sorted(range(m), key=lambda i: (subjects[i], 9.0 if rl[i] != rl[i] else rl[i]))
    for subj in sorted(set(subjects)):
        idx = [i for i in by_rate if subjects[i] == subj]
        ksec.charts.append(svg.bar_chart([names[i] for i in idx], [None if rl[i] != rl[i] else round(rl[i] * 100, 1) for i in idx],
                                         t("chart.kp_rates", subject=subject_label(t, subj)), unit=t("unit.score_rate_pct"),
                                         max_value=100, highlight=[levels[i] == "weak" for i in idx]))
    if m:
        rows = []
        for subj in sorted(set(subjects)):
            idx = [i for i in by_rate if subjects[i] == subj]
            count = {lv: sum(1 for i in idx if levels[i] == lv) for lv in ("mastered", "developing", "weak", "insufficient")}
            weak_names = "、".join(names[i] for i in idx if levels[i] == "weak") or "—"
            rows.append([cell(subject_label(t, subj))] + [cell(count[lv], "int", t("unit.items")) for lv in count]
                        + [cell(weak_names)])
        ksec.tables.append(Table([t("col.subject")] + [t(f"mastery.{lv}") for lv in ("mastered", "developing", "weak", "insufficient")]
                                 + [t("col.weak_points")], rows, footnote=t("note.mastery")))
    sections.append(ksec)

    # ability radar
    asec = Section(t("section.ability"), anchor="ability")
    if not len(ab["ability"]):
        asec.paragraphs.append(t("msg.no_data"))
    else:
        series = []
        for subj in sorted(set(ab["subject"].astype(str))):
            r = {str(a): float(v) for s_, a, v in zip(ab["subject"], ab["ability"], ab["score_rate"], strict=True)
                 if str(s_) == subj and v is not None and pd.notna(v)}
            series.append((subject_label(t, subj), [r.get(a) for a in ABILITIES]))
        asec.charts.append(svg.radar_chart([f"{a} {t('ability.' + a)}" for a in ABILITIES], series, t("chart.ability")))
        asec.paragraphs.append(t("help.ability"))
    sections.append(asec)

    weak = sorted((i for i in range(m) if levels[i] == "weak"), key=lambda i: rates[i])[:3]
    strong = sorted((i for i in range(m) if levels[i] == "mastered"), key=lambda i: -rates[i])[:3]
    focus = Section(t("section.focus"), anchor="focus")
    focus.items = [t("focus.work_on", kp=names[i], subject=subject_label(t, subjects[i]), rate=f"{rates[i] * 100:.0f}")
                   for i in weak] or [t("focus.none_weak")]
    focus.items += [t("focus.strength", kp=names[i], subject=subject_label(t, subjects[i]), rate=f"{rates[i] * 100:.0f}")
                    for i in strong]
    sections.append(focus)
    facts.update(weak=[str(kn["kp_id"][i]) for i in weak], strong=[str(kn["kp_id"][i]) for i in strong])

    sessions = "、".join(sorted({str(x) for x in prof["academic_session"] if x is not None}))
    act = Section(t("section.activity"), period=sessions, anchor="activity")
    metrics = [(t(f"activity.{c}"), cell(np.nansum(prof[c].astype(float)), "int", t(unit)).text)
               for c, unit in zip(ACTIVITY_COLS, ACTIVITY_UNITS, strict=True)
               if len(prof[c]) and any(v is not None for v in prof[c])]
    if metrics:
        act.tables.append(Table([t("col.metric"), t("col.value")], [[cell(k), cell(v)] for k, v in metrics], sortable=False))
    else:
        act.paragraphs.append(t("msg.no_data"))
    sections.append(act)
    return sections, facts


def _identity_header(t: Translator, d: ReportData, key: str) -> dict:
    me = d.ident_by_key.get(key)
    if me.empty:
        return {"name": key, "school": "", "grade": "", "homeroom": ""}
    r = me.iloc[0]
    hr = r.homeroom_class_sourced_id
    return {"name": r.full_name, "school": r.school_name, "grade": grade_label(t, r.grade),
            "homeroom": d.class_title.get(str(hr), str(hr) if pd.notna(hr) else "")}


def student_context(t: Translator, d: ReportData, s: Scope) -> dict:
    head = _identity_header(t, d, s.student_key)
    sections, facts = _student_sections(t, d, s.student_key, plain=False)
    psych = _psych_section(t, d, "student", [s.student_key], own=True)
    if psych:
        sections.append(psych)
    return {"title": t("title.student", name=head["name"]), "subtitle": f"{head['school']} · {head['grade']} · {head['homeroom']}",
            "sections": sections, "facts": facts}


def parent_context(t: Translator, d: ReportData, s: Scope) -> dict:
    head = _identity_header(t, d, s.student_key)
    sections, facts = _student_sections(t, d, s.student_key, plain=True)
    fit = d.fitness_by_student.cols(s.student_key, ("period", "fitness_grade", "total_score"))
    fsec = Section(t("section.fitness"), anchor="fitness")
    if not len(fit["period"]):
        fsec.paragraphs.append(t("msg.no_data"))
    else:
        i = int(np.argmax([str(p) for p in fit["period"]])) if len(fit["period"]) > 1 else 0
        grade = fit["fitness_grade"][i]
        fsec.period = str(fit["period"][i])
        fsec.paragraphs.append(t("parent.fitness", grade=grade if grade is not None and pd.notna(grade) else "—",
                                 score=cell(fit["total_score"][i], "num1").text))
    sections.append(fsec)
    psych = _psych_section(t, d, "parent", [s.student_key], own=True)
    if psych:
        sections.append(psych)
    return {"title": t("title.parent", name=head["name"]), "subtitle": f"{head['school']} · {head['grade']} · {head['homeroom']}",
            "intro": t("parent.intro"), "sections": sections, "facts": facts}


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
        out.append(Section(t("section.class_results", cls=title), paragraphs=[t("msg.no_data")]))
        return out, facts
    facts["exam_means"] = {e: (None if h else m) for e, m, h in zip(per_exam.exam_id, per_exam["mean"], per_exam.is_suppressed, strict=True)}
    dates = per_exam.exam_date.astype(str)
    period = t("period.exams", start=dates.min()[:10], end=dates.max()[:10])
    sec = Section(t("section.class_results", cls=title), period=period)
    sec.tables.append(Table(
        [t("col.exam"), t("col.subject"), t("col.date"), t("col.students_present"), t("col.class_mean"),
         t("col.district_mean"), t("col.mean_z")],
        [[cell(r.exam_name), cell(subject_label(t, r.subject)), cell(_date(r.exam_date)), cell(r.students, "int", t("unit.people")),
          cell(r.mean, "num1", t("unit.points"), r.is_suppressed), cell(r.district_mean, "num1", t("unit.points"), r.district_hidden),
          cell(r.mean_z, "z", suppressed=r.is_suppressed)] for r in per_exam.itertuples()],
        footnote=_suppress_note(t, d)))
    latest = per_exam.iloc[-1]
    counts = [int(latest[f"b{i}"]) for i in range(len(BIN_LABELS))]
    hidden = bool(latest.students < d.min_cell)
    sec.charts.append(svg.histogram(BIN_LABELS, [None] * len(counts) if hidden else counts,
                                    t("chart.distribution", exam=latest.exam_name, date=_date(latest.exam_date)),
                                    unit=t("unit.people_axis")))
    facts["distribution"] = None if hidden else counts
    out.append(sec)

    weak = d.weak_by_class.get(cls)
    if weak.empty:
        kn = d.knowledge_by_student.get_many(keys)
        if subject:
            kn = kn[kn.subject == subject]
        weak = kn.groupby(["kp_id", "kp_name"], as_index=False).agg(score_rate=("score_rate", "mean"))
    if "kp_name" not in weak or weak.kp_name.isna().all():
        names = d.knowledge.drop_duplicates("kp_id").set_index("kp_id").kp_name
        weak = weak.assign(kp_name=weak.kp_id.map(names).fillna(weak.kp_id))
    # The mart hides a small class's rates and ranks (class_weak_points.suppressed): then the
    # chart names knowledge points in catalogue order, with no value and no ranking.
    hidden = len(keys) < d.min_cell or ("suppressed" in weak and bool(weak["suppressed"].eq(True).any()))
    weak = weak.sort_values("kp_id").head(5) if hidden else weak.nsmallest(5, "score_rate")
    wsec = Section(t("section.class_weak", cls=title), period=_sessions(weak))
    wsec.charts.append(svg.bar_chart(weak.kp_name.astype(str).tolist(),
                                     [None if hidden else round(v * 100, 1) for v in weak.score_rate],
                                     t("chart.class_weak"), unit=t("unit.score_rate_pct"), max_value=100))
    facts["weak_kps"] = weak.kp_id.tolist()
    out.append(wsec)
    if with_names:
        latest_exams = {str(latest.subject): str(latest.exam_id)}
        out.append(_attention_section(t, d, title, members, latest_exams, period))
    return out, facts


def _latest_class_exams(d: ReportData, cls: str) -> dict[str, str]:
    """subject -> the latest exam of that subject the class sat."""
    per = d.class_exam_by_class.get(cls)
    return {str(s): str(e) for s, e in zip(per.subject, per.exam_id, strict=True)}  # sorted by date: last wins


def _attention_section(t: Translator, d: ReportData, title: str, members: pd.DataFrame, latest_exams: dict[str, str],
                       period: str) -> Section:
    """Named students of the teacher's own class who need attention, with the reason:
    absent from the class's latest exam, a latest z at or below -1 (mean over subjects
    for a homeroom), or a z fall of 0.5 or more since the previous exam of a subject."""
    sec = Section(t("section.attention", cls=title), period=period, note=t("note.named_own_class"))
    rows = []
    for k, name in zip(members.student_key.astype(str), members.full_name, strict=True):
        zs, drops, absent = [], [], 0
        for subj, exam in latest_exams.items():
            info = d.student_subject.get((k, subj))
            if info is None or info[0] != exam:
                absent += 1
                continue
            zs.append(info[1])
            if info[2] is not None and pd.notna(info[2]):
                drops.append(info[2])
        reasons = []
        z = float(np.mean(zs)) if zs else None
        if absent:
            reasons.append(t("reason.absent"))
        if z is not None and z <= ATTENTION_Z:
            reasons.append(t("reason.low_z", z=f"{z:+.2f}"))
        if drops and min(drops) <= -ATTENTION_DROP:
            reasons.append(t("reason.drop", dz=f"{min(drops):+.2f}"))
        if reasons:
            rows.append([cell(name), cell(z, "z"), cell("；".join(reasons))])
    sec.tables.append(Table([t("col.student"), t("col.latest_z"), t("col.reason")], rows))
    if not rows:
        sec.paragraphs.append(t("msg.nobody_attention"))
    return sec


def _micro_section(t: Translator, d: ReportData, title: str, members: pd.DataFrame, school: str | None) -> tuple[Section, dict]:
    """Micro-test answering of the class's students this term (students who answered at
    least one micro-test item / students of the class), beside the school's published
    monthly answer rate (students answering / students a micro-test was published to)."""
    keys = members.student_key.astype(str).tolist()
    prof = d.profile_by_student.get_many(keys)
    sec = Section(t("section.micro", cls=title), period=_sessions(prof))
    facts: dict = {}
    if prof.empty or "microtests_answered" not in prof:
        sec.paragraphs.append(t("msg.no_data"))
    else:
        answered = prof.groupby("student_key").microtests_answered.sum()
        students = len(keys)
        answering = int((answered > 0).sum())
        rate = answering / students if students else None
        hidden = 0 < students < d.min_cell
        facts.update(class_students=students, students_answering=answering, answer_rate=None if hidden else rate)
        sec.tables.append(Table([t("col.students"), t("col.students_answering"), t("col.answer_share"), t("col.answers")],
                                [[cell(students, "int", t("unit.people")), cell(answering, "int", t("unit.people"), hidden),
                                  cell(rate, "pct", suppressed=hidden), cell(answered.sum(), "int", t("unit.times"), hidden)]],
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
                                      cell(r.answer_rate, "pct", suppressed=r.is_suppressed)] for r in m.itertuples()],
                                    caption=t("caption.school_micro", school=d.name(school))))
    return sec, facts


def teacher_context(t: Translator, d: ReportData, s: Scope) -> dict:
    sections: list[Section] = []
    facts: dict = {}
    for cls in s.class_ids:
        members = _members(d, [cls])
        subject = d.class_subject.get(cls)
        secs, f = _class_exam_sections(t, d, cls, subject, members, with_names=True)
        msec, mf = _micro_section(t, d, d.class_title.get(cls, cls), members, s.school_id)
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
        sec.paragraphs.append(t("msg.no_data"))
    else:
        per = latest.groupby(["subject", "exam_id"], as_index=False).agg(students=("student_key", "nunique"),
                                                                       mean=("score", "mean"), mean_z=("z_score", "mean"))
        per = per.merge(d.exam_stats[["exam_id", "district_mean", "district_students", "exam_name", "exam_date"]], on="exam_id")
        per = suppress_frame(per, "students", ["mean", "mean_z"], d.min_cell, total_shown=False)
        facts["subject_means"] = dict(zip(per.subject, per["mean"], strict=True))
        sec.tables.append(Table([t("col.subject"), t("col.exam"), t("col.date"), t("col.students_present"), t("col.class_mean"),
                                 t("col.district_mean"), t("col.mean_z")],
                                [[cell(subject_label(t, r.subject)), cell(r.exam_name), cell(_date(r.exam_date)),
                                  cell(r.students, "int", t("unit.people")), cell(r.mean, "num1", t("unit.points"), r.is_suppressed),
                                  cell(r.district_mean, "num1", t("unit.points"), r.district_students < d.min_cell),
                                  cell(r.mean_z, "z", suppressed=r.is_suppressed)]
                                 for r in per.itertuples()], footnote=_suppress_note(t, d)))
        pivot = latest.pivot_table(index="student_key", columns="subject", values="z_score", aggfunc="mean")
        names = members.set_index("student_key").full_name
        subjects = list(pivot.columns)
        sec.charts.append(svg.heat_map([names.get(k, k) for k in pivot.index], [subject_label(t, x) for x in subjects],
                                       [[None if pd.isna(v) else round(float(v), 2) for v in row] for row in pivot.to_numpy()],
                                       t("chart.students_subjects"), unit=t("unit.z"), lo=-2, hi=2))
    sections.append(sec)
    sections.append(_attention_section(t, d, title, members, _latest_class_exams(d, cls), _period_exams(t, latest)))
    # engagement
    prof = d.profile_by_student.get_many(keys)
    esec = Section(t("section.engagement", cls=title), period=_sessions(prof))
    metrics = [c for c in ("active_days", "logins", "resources_viewed", "microtests_answered", "homework_submitted") if c in prof]
    if prof.empty or not metrics:
        esec.paragraphs.append(t("msg.no_data"))
    else:
        per = prof.groupby("student_key")[metrics].sum()
        names = members.set_index("student_key").full_name
        esec.tables.append(Table([t("col.student")] + [t(f"activity.{m}") for m in metrics],
                                 [[cell(names.get(k, k))] + [cell(per.loc[k, m], "int") for m in metrics] for k in per.index]))
        means = per.mean()
        hidden = len(per) < d.min_cell
        esec.charts.append(svg.bar_chart([t(f"activity.{m}") for m in metrics], [None if hidden else round(float(means[m]), 1) for m in metrics],
                                         t("chart.class_engagement"), unit=t("unit.per_student")))
        facts["engagement_means"] = None if hidden else {m: float(means[m]) for m in metrics}
    sections.append(esec)
    msec, mf = _micro_section(t, d, title, members, s.school_id)
    sections.append(msec)
    facts.update(mf)
    # fitness summary
    fit = d.fitness_by_student.get_many(keys)
    fsec = Section(t("section.fitness_summary", cls=title))
    if fit.empty:
        fsec.paragraphs.append(t("msg.no_data"))
    else:
        last = fit.sort_values("period").groupby("student_key").tail(1)
        fsec.period = t("period.tests", start=str(last.period.min()), end=str(last.period.max()))
        counts = last.fitness_grade.value_counts()
        hidden = len(last) < d.min_cell
        order = ["优秀", "良好", "及格", "不及格"]
        labels = [g for g in order if g in counts.index] + [g for g in counts.index if g not in order]
        fsec.charts.append(svg.bar_chart(labels, [None if hidden else int(counts[g]) for g in labels], t("chart.fitness"),
                                         unit=t("unit.people")))
        fsec.tables.append(Table([t("col.fitness_grade"), t("col.students"), t("col.share")],
                                 [[cell(g), cell(counts[g], "int", t("unit.people"), hidden), cell(counts[g] / len(last), "pct", suppressed=hidden)]
                                  for g in labels], footnote=_suppress_note(t, d)))
        facts["fitness_counts"] = None if hidden else {g: int(counts[g]) for g in labels}
    sections.append(fsec)
    psych = _psych_section(t, d, "head_teacher", keys, own=False)
    if psych:
        sections.append(psych)
    return {"title": t("title.head_teacher", cls=title), "subtitle": f"{d.name(s.school_id)} · {grade_label(t, s.grade)}",
            "sections": sections, "facts": facts}


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
    esec = Section(t("section.grade_engagement", grade=gl), period=_sessions(prof))
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


def _publication(t: Translator, d: ReportData, orgs: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """These orgs' rows of the monthly publication, suppressed as the marts publish them."""
    return d.pub_usage_by_org.get_many(orgs), d.pub_micro_by_org.get_many(orgs)


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
    qm = suppress_frame(qm, "students", ["mean_score", "mean_z", "change_in_mean_z"], d.min_cell, total_shown=False)
    qm["is_suppressed"] = qm.is_suppressed | qm.suppressed.eq(True)  # as the mart published it
    rsec = Section(t("section.school_vs_district"), period=_period_exams(t, qm))
    if qm.empty:
        rsec.paragraphs.append(t("msg.no_data"))
    else:
        dates = sorted(qm.exam_date.astype(str).unique())
        series = [(subject_label(t, subj), [dict(zip(g.exam_date.astype(str), g.mean_z, strict=True)).get(x) for x in dates])
                  for subj, g in qm.groupby("subject")]
        rsec.charts.append(svg.line_chart(dates, series, t("chart.school_trend"), unit=t("unit.mean_z")))
        rsec.tables.append(Table([t("col.subject"), t("col.exam"), t("col.date"), t("col.students_present"), t("col.school_mean"),
                                  t("col.district_mean"), t("col.mean_z"), t("col.change_z")],
                                 [[cell(subject_label(t, r.subject)), cell(r.exam_name), cell(_date(r.exam_date)),
                                   cell(r.students, "int", t("unit.people"), r.is_suppressed),
                                   cell(r.mean_score, "num1", t("unit.points"), r.is_suppressed),
                                   cell(r.district_mean, "num1", t("unit.points"), not r.district_students >= d.min_cell),
                                   cell(r.mean_z, "z", suppressed=r.is_suppressed),
                                   cell(r.change_in_mean_z, "z", suppressed=r.is_suppressed)] for r in qm.itertuples()],
                                 footnote=_suppress_note(t, d)))
    facts["quality"] = qm
    sections.append(rsec)
    csec, cf = _classes_compared(t, d, school, None, t("section.school_classes"))
    sections.append(csec)
    facts.update(cf)
    ts = d.top_students[d.top_students.school_sourced_id.astype(str) == school]
    tsec = Section(t("section.top_students"), period=_sessions(ts), note=t("note.top_students", n=_top_n(d, ts)))
    tsec.tables.append(_top_table(t, ts))
    sections.append(tsec)
    return {"title": t("title.principal", school=d.name(school)), "subtitle": d.name(s.district_id), "sections": sections, "facts": facts}


def _top_n(d: ReportData, ts: pd.DataFrame) -> int:
    """N as the mart computed it (its top_n column), else the deployment's setting."""
    if "top_n" in ts and ts.top_n.notna().any():
        return int(ts.top_n.max())
    return d.top_n


def _top_table(t: Translator, ts: pd.DataFrame) -> Table:
    rows = []
    if len(ts):
        g = ts.groupby(["academic_session", "grade"]).agg(all_=("in_all", "sum"), k1=("student_key", "nunique"),
                                                           exams=("cohort_exams", "max")).reset_index()
        rows = [[cell(r.academic_session), cell(grade_label(t, r.grade)), cell(r.exams, "int", t("unit.exams")),
                 cell(r.all_, "int", t("unit.people")), cell(r.k1, "int", t("unit.people"))] for r in g.itertuples()]
    return Table([t("col.session"), t("col.grade"), t("col.cohort_exams"), t("col.top_all"), t("col.top_k1")], rows)


# ----------------------------------------------------------------------------- district views
def _district_exam_ids(d: ReportData, schools: list[str], subject: str | None) -> list[str]:
    ex = d.student_exam[d.student_exam.school_sourced_id.astype(str).isin(schools)]
    if subject:
        ex = ex[ex.subject == subject]
    return sorted(ex.exam_id.astype(str).unique())


def subject_researcher_context(t: Translator, d: ReportData, s: Scope) -> dict:
    schools = d.schools_of_district(s.district_id)
    subj = subject_label(t, s.subject)
    qm = d.quality_map[(d.quality_map.school_sourced_id.astype(str).isin(schools)) & (d.quality_map.subject == s.subject)]
    qm = qm.merge(d.exam_stats[["exam_id", "exam_name"]], on="exam_id", how="left")
    facts: dict = {"schools": schools}
    sections = []
    qsec = Section(t("section.quality_map", subject=subj), period=_period_exams(t, qm))
    if qm.empty:
        qsec.paragraphs.append(t("msg.no_data"))
    else:
        order = qm.drop_duplicates("exam_id").sort_values(["exam_date", "exam_id"])
        cols = order.exam_id.tolist()
        sizes = qm.pivot_table(index="school_name", columns="exam_id", values="students", aggfunc="sum").reindex(columns=cols)
        vals = qm.pivot_table(index="school_name", columns="exam_id", values="mean_z", aggfunc="mean").reindex(columns=cols)
        shown, mask = suppress_matrix(sizes, vals, d.min_cell, row_totals=False, col_totals=True)
        labels = [f"{n}（{str(dt)[:10]}）" for n, dt in zip(order.exam_name, order.exam_date, strict=True)]
        qsec.charts.append(svg.heat_map(list(shown.index), labels,
                                        [[None if v is None or pd.isna(v) else round(float(v), 2) for v in row] for row in shown.to_numpy()],
                                        t("chart.quality_map"), unit=t("unit.mean_z"), lo=-1, hi=1))
        qsec.paragraphs.append(t("help.quality_map"))
        qsec.note = _suppress_note(t, d)
        facts["quality"] = shown
    sections.append(qsec)
    # common weak knowledge points across the district's students
    keys = d.ident[d.ident.school_sourced_id.astype(str).isin(schools)].student_key.astype(str).tolist()
    kn = d.knowledge_by_student.get_many(keys)
    kn = kn[kn.subject == s.subject]
    wsec = Section(t("section.common_weak", subject=subj))
    if kn.empty:
        wsec.paragraphs.append(t("msg.no_data"))
    else:
        kn = kn.assign(level=_mastery(kn))
        agg = kn.groupby(["kp_id", "kp_name"], as_index=False).agg(students=("student_key", "nunique"), rate=("score_rate", "mean"),
                                                                  weak=("level", lambda x: float((x == "weak").mean())))
        agg = suppress_frame(agg, "students", ["rate", "weak"], d.min_cell, total_shown=False).sort_values("rate", na_position="last")
        top = agg.head(10)
        wsec.charts.append(svg.bar_chart(top.kp_name.astype(str).tolist(), [None if v is None else round(v * 100, 1) for v in top.rate],
                                         t("chart.common_weak"), unit=t("unit.score_rate_pct"), max_value=100))
        wsec.tables.append(Table([t("col.kp"), t("col.students"), t("col.score_rate"), t("col.weak_share")],
                                 [[cell(r.kp_name), cell(r.students, "int", t("unit.people")), cell(r.rate, "pct", suppressed=r.is_suppressed),
                                   cell(r.weak, "pct", suppressed=r.is_suppressed)] for r in agg.itertuples()], footnote=_suppress_note(t, d)))
        facts["kp_rates"] = dict(zip(agg.kp_id, agg.rate, strict=True))
    sections.append(wsec)
    # item analysis per exam
    for eid in _district_exam_ids(d, schools, s.subject):
        items = d.item_by_exam.get(eid).sort_values("item_id")
        st = d.exam_stats[d.exam_stats.exam_id == eid]
        name = st.exam_name.iloc[0] if len(st) else eid
        isec = Section(t("section.items", exam=name), period=_date(st.exam_date.iloc[0]) if len(st) else "")
        if items.empty:
            isec.paragraphs.append(t("msg.no_data"))
        else:
            hid = items.suppressed.eq(True).tolist()  # an item too few students answered
            isec.charts.append(svg.bar_chart(items.item_id.astype(str).tolist(),
                                             [None if h or pd.isna(v) else round(float(v), 2) for v, h in zip(items.discrimination, hid, strict=True)],
                                             t("chart.discrimination"), unit=t("unit.index"), max_value=1.0,
                                             highlight=(items.discrimination < 0.2).tolist(), reference=0.2, reference_label="0.2"))
            isec.tables.append(Table([t("col.item"), t("col.difficulty"), t("col.discrimination"), t("col.flag")],
                                     [[cell(r.item_id), cell(r.difficulty, "num", suppressed=h), cell(r.discrimination, "num", suppressed=h),
                                       cell(_item_flag(t, r.difficulty, r.discrimination))] for r, h in zip(items.itertuples(), hid, strict=True)],
                                     footnote=t("note.items")))
        facts.setdefault("items", {})[eid] = items
        sections.append(isec)
    return {"title": t("title.subject_researcher", subject=subj), "subtitle": d.name(s.district_id), "sections": sections, "facts": facts}


def _item_flag(t: Translator, difficulty, discrimination) -> str:
    flags = []
    if pd.notna(discrimination) and discrimination < 0.2:
        flags.append(t("flag.low_discrimination"))
    if pd.notna(difficulty) and difficulty < 0.3:
        flags.append(t("flag.hard"))
    if pd.notna(difficulty) and difficulty > 0.9:
        flags.append(t("flag.easy"))
    return "、".join(flags)


def _quality_overview(t: Translator, d: ReportData, schools: list[str]) -> tuple[Section, pd.DataFrame]:
    """Schools × subjects, mean z on each subject's latest exam (suppressed)."""
    qm = d.quality_map[d.quality_map.school_sourced_id.astype(str).isin(schools)]
    sec = Section(t("section.quality_overview"), period=_period_exams(t, qm))
    if qm.empty:
        sec.paragraphs.append(t("msg.no_data"))
        return sec, pd.DataFrame()
    latest = qm[qm.exam_date == qm.groupby(["school_sourced_id", "subject"]).exam_date.transform("max")]
    sizes = latest.pivot_table(index="school_name", columns="subject", values="students", aggfunc="sum")
    vals = latest.pivot_table(index="school_name", columns="subject", values="mean_z", aggfunc="mean")
    shown, _ = suppress_matrix(sizes, vals, d.min_cell, row_totals=False, col_totals=True)
    sec.charts.append(svg.heat_map(list(shown.index), [subject_label(t, c) for c in shown.columns],
                                   [[None if v is None or pd.isna(v) else round(float(v), 2) for v in row] for row in shown.to_numpy()],
                                   t("chart.quality_map"), unit=t("unit.mean_z"), lo=-1, hi=1))
    sec.note = _suppress_note(t, d)
    return sec, shown


def district_admin_context(t: Translator, d: ReportData, s: Scope) -> dict:
    schools = d.schools_of_district(s.district_id)
    u_all, m_all = _publication(t, d, schools + [str(s.district_id)])
    facts: dict = {"schools": schools, "usage": u_all, "micro": m_all}
    sections = []
    months = sorted(u_all.month.astype(str).unique(), reverse=True)
    usec = Section(t("section.usage_publication"), period=t("period.months", start=months[-1], end=months[0]) if months else "")
    for month in months:
        usec.tables.append(usage_table(t, d.min_cell, u_all, m_all, month))
    if months:
        latest = u_all[(u_all.month.astype(str) == months[0]) & (u_all.population == "student")]
        sch = latest[latest.org_type == "school"].sort_values("online_rate", ascending=False, na_position="last")
        dist = latest[latest.org_type != "school"]
        ref = float(dist.online.sum() / dist.on_roster.sum()) * 100 if len(dist) and dist.on_roster.sum() else None
        usec.charts.append(svg.bar_chart(sch.org_name.astype(str).tolist(),
                                         [None if v is None or pd.isna(v) else round(float(v) * 100, 1) for v in sch.online_rate],
                                         t("chart.student_online_rate", month=months[0]), unit=t("unit.pct"),
                                         reference=ref, reference_label=t("label.district")))
        trend = u_all[(u_all.org_type != "school") & (u_all.population == "student")].sort_values("month")
        mlist = sorted(trend.month.astype(str).unique())
        series = [(t(f"segment.{seg}"), [dict(zip(g.month.astype(str), g.online_rate * 100, strict=True)).get(x) for x in mlist])
                  for seg, g in trend.groupby("segment")]
        usec.charts.append(svg.line_chart(mlist, series, t("chart.online_trend"), unit=t("unit.pct")))
    else:
        usec.paragraphs.append(t("msg.no_data"))
    sections.append(usec)
    qsec, shown = _quality_overview(t, d, schools)
    facts["quality"] = shown
    sections.append(qsec)
    ts = d.top_students[d.top_students.school_sourced_id.astype(str).isin(schools)]
    ts = ts.assign(school_name=ts.school_sourced_id.astype(str).map(d.org_name))
    tsec = Section(t("section.top_students"), period=_sessions(ts), note=t("note.top_students", n=_top_n(d, ts)))
    if len(ts):
        g = ts.groupby(["school_name", "academic_session", "grade"]).agg(all_=("in_all", "sum"), k1=("student_key", "nunique")).reset_index()
        tsec.tables.append(Table([t("col.school"), t("col.session"), t("col.grade"), t("col.top_all"), t("col.top_k1")],
                                 [[cell(r.school_name), cell(r.academic_session), cell(grade_label(t, r.grade)),
                                   cell(r.all_, "int", t("unit.people")), cell(r.k1, "int", t("unit.people"))] for r in g.itertuples()]))
        facts["top_all"] = dict(zip(g.school_name, g.all_, strict=True))
    else:
        tsec.paragraphs.append(t("msg.no_data"))
    sections.append(tsec)
    lag = _lagging(t, d, u_all, m_all, shown, months[0] if months else None)
    facts["lagging"] = [r[0].text for r in lag.tables[0].rows] if lag.tables else []
    sections.append(lag)
    return {"title": t("title.district_admin", district=d.name(s.district_id)), "subtitle": t("subtitle.district"),
            "sections": sections, "facts": facts}


LAG_RATE_FACTOR = 0.5
LAG_MEAN_Z = -0.3


def _lagging(t: Translator, d: ReportData, u: pd.DataFrame, m: pd.DataFrame, quality: pd.DataFrame, month: str | None) -> Section:
    """Schools flagged when their student online rate is under half their segment's
    district rate, when no student answered a published micro-test, or when their mean
    z over subjects' latest exams is at or below -0.3."""
    sec = Section(t("section.lagging"), period=month or "", note=t("note.lagging", factor=int(LAG_RATE_FACTOR * 100), z=LAG_MEAN_Z))
    if month is None:
        sec.paragraphs.append(t("msg.no_data"))
        return sec
    reasons: dict[str, list[str]] = {}
    us = u[(u.month.astype(str) == month) & (u.population == "student")]
    dist = us[us.org_type != "school"].set_index("segment").online_rate
    for r in us[us.org_type == "school"].itertuples():
        ref = dist.get(r.segment)
        if r.online_rate is not None and pd.notna(r.online_rate) and ref is not None and pd.notna(ref) and r.online_rate < LAG_RATE_FACTOR * ref:
            reasons.setdefault(r.org_name, []).append(t("lag.online", rate=f"{r.online_rate * 100:.1f}", ref=f"{ref * 100:.1f}"))
    ms = m[(m.month.astype(str) == month) & (m.org_type == "school")]
    for r in ms.itertuples():
        if r.students_assigned and r.students_answering is not None and pd.notna(r.students_answering) and r.students_answering == 0:
            reasons.setdefault(r.org_name, []).append(t("lag.no_answers"))
    if len(quality):
        mean_z = quality.apply(pd.to_numeric, errors="coerce").mean(axis=1)
        for school, z in mean_z.items():
            if pd.notna(z) and z <= LAG_MEAN_Z:
                reasons.setdefault(school, []).append(t("lag.results", z=f"{z:+.2f}"))
    rows = [[cell(k), cell("；".join(v))] for k, v in sorted(reasons.items())]
    if rows:
        sec.tables.append(Table([t("col.school"), t("col.reason")], rows, row_classes=["flag"] * len(rows)))
    else:
        sec.paragraphs.append(t("msg.no_lagging"))
    return sec


def city_admin_context(t: Translator, d: ReportData, s: Scope) -> dict:
    o = d.orgs
    districts = sorted(o[(o.type == "district") & ((o.parent_sourced_id.astype(str) == str(s.city_id)) | o.parent_sourced_id.isna())].sourced_id.astype(str))
    u = d.usage[d.usage.org_sourced_id.astype(str).isin(districts)]
    m = d.micro[d.micro.org_sourced_id.astype(str).isin(districts)]
    facts: dict = {"districts": districts, "usage": u}
    sections = []
    months = sorted(u.month.astype(str).unique(), reverse=True)
    usec = Section(t("section.districts_usage"), period=t("period.months", start=months[-1], end=months[0]) if months else "")
    for month in months:
        usec.tables.append(usage_table(t, d.min_cell, u, m, month))
    if months:
        # A district whose segment row is suppressed has no published total rate: none is drawn.
        st = u[u.population == "student"].groupby(["month", "org_name"])[["online", "on_roster"]].agg(
            lambda x: x.sum(min_count=len(x))).reset_index()
        st["rate"] = st.online / st.on_roster * 100
        mlist = sorted(st.month.astype(str).unique())
        series = [(name, [dict(zip(g.month.astype(str), g.rate, strict=True)).get(x) for x in mlist]) for name, g in st.groupby("org_name")]
        usec.charts.append(svg.line_chart(mlist, series, t("chart.district_online_trend"), unit=t("unit.pct")))
    else:
        usec.paragraphs.append(t("msg.no_data"))
    sections.append(usec)
    # size and top students per district
    ident = d.ident.assign(district=d.ident.school_sourced_id.astype(str).map(d.org_parent))
    ts = d.top_students.assign(district=d.top_students.school_sourced_id.astype(str).map(d.org_parent))
    rows = []
    for dist in districts:
        schools = d.schools_of_district(dist)
        rows.append([cell(d.name(dist)), cell(len(schools), "int", t("unit.schools")),
                     cell(int((ident.district == dist).sum()), "int", t("unit.people")),
                     cell(int(ts[(ts.district == dist)].in_all.sum()), "int", t("unit.people")),
                     cell(int(ts[ts.district == dist].student_key.nunique()), "int", t("unit.people"))])
    csec = Section(t("section.districts_compared"), period=_sessions(ts))
    csec.tables.append(Table([t("col.district"), t("col.schools"), t("col.students"), t("col.top_all"), t("col.top_k1")], rows))
    csec.charts.append(svg.bar_chart([r[0].text for r in rows], [r[2].sort for r in rows], t("chart.district_students"), unit=t("unit.people")))
    sections.append(csec)
    return {"title": t("title.city_admin", city=d.name(s.city_id)), "subtitle": t("subtitle.city"), "sections": sections, "facts": facts}


BUILDERS = {
    "student": student_context, "parent": parent_context, "teacher": teacher_context,
    "head_teacher": head_teacher_context, "grade_leader": grade_leader_context, "principal": principal_context,
    "subject_researcher": subject_researcher_context, "district_admin": district_admin_context,
    "city_admin": city_admin_context,
}


def build_context(t: Translator, d: ReportData, s: Scope) -> dict:
    ctx = BUILDERS[s.role](t, d, s)
    ctx["role"] = s.role
    ctx["role_label"] = t(f"role.{s.role}")
    return ctx


__all__ = ["BUILDERS", "build_context", "Cell"]
