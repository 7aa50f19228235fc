"""The student's and the parent's page: one student's exams, knowledge points, abilities and activity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting import svg
from orchestration.reporting.components import Section, Table, cell
from orchestration.reporting.contexts.common import (
    ABILITIES,
    ACTIVITY_COLS,
    ACTIVITY_UNITS,
    EXAM_COLS,
    KP_COLS,
    _levels,
    _psych_section,
    fitness_label,
    grade_label,
    no_data,
    subject_label,
)
from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import Scope


def _count(value) -> int:
    """A mart count as an int (a missing or null count is no evidence)."""
    return 0 if value is None or value != value else int(value)


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
                     cell(stats[1], "num1", t("unit.points"), suppressed=stats[0] is None),  # exam_summary hid it
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
    levels = _levels(kn["mastery_level"])
    names = [str(nm) if nm is not None and not (isinstance(nm, float) and np.isnan(nm)) else str(k) for nm, k in zip(kn["kp_name"], kn["kp_id"], strict=True)]
    subjects = [str(x) for x in kn["subject"]]
    ksec = Section(t("section.knowledge"), anchor="knowledge")
    if not m:
        ksec.paragraphs.append(no_data(t, d, "student_knowledge"))
    rl = rates.tolist()  # plain floats: this loop runs for every knowledge point of every student
    kp_ids = [str(k) for k in kn["kp_id"]]
    # ties broken by kp_id: a page must not depend on the order the mart's rows come in
    by_rate = sorted(range(m), key=lambda i: (subjects[i], 9.0 if rl[i] != rl[i] else rl[i], kp_ids[i]))
    for subj in sorted(set(subjects)):
        idx = [i for i in by_rate if subjects[i] == subj]
        ksec.charts.append(svg.bar_chart([names[i] for i in idx], [None if rl[i] != rl[i] else round(rl[i] * 100, 1) for i in idx],
                                         t("chart.kp_rates", subject=subject_label(t, subj)), unit=t("unit.score_rate_pct"),
                                         max_value=100, highlight=[levels[i] == "weak" for i in idx],
                                         muted=[levels[i] == "insufficient" for i in idx]))
    if m:
        rows = []
        for subj in sorted(set(subjects)):
            idx = [i for i in by_rate if subjects[i] == subj]
            count = {lv: sum(1 for i in idx if levels[i] == lv) for lv in ("mastered", "developing", "weak", "insufficient")}
            weak_names = t("sep.list").join(names[i] for i in idx if levels[i] == "weak") or "—"
            # the evidence behind the levels: items answered in exams and in micro-tests
            evidence = t("cell.evidence", exam=int(sum(_count(kn["exam_items"][i]) for i in idx)),
                         micro=int(sum(_count(kn["microtest_items"][i]) for i in idx)))
            rows.append([cell(subject_label(t, subj))] + [cell(count[lv], "int", t("unit.items")) for lv in count]
                        + [cell(evidence), cell(weak_names)])
        ksec.tables.append(Table([t("col.subject")] + [t(f"mastery.{lv}") for lv in ("mastered", "developing", "weak", "insufficient")]
                                 + [t("col.evidence"), t("col.weak_points")], rows, footnote=t("note.mastery")))
    sections.append(ksec)

    # ability radar
    asec = Section(t("section.ability"), anchor="ability")
    if not len(ab["ability"]):
        asec.paragraphs.append(no_data(t, d, "student_ability"))
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
                    for i in strong] or [t("focus.none_strong")]
    sections.append(focus)
    facts.update(weak=[str(kn["kp_id"][i]) for i in weak], strong=[str(kn["kp_id"][i]) for i in strong])

    sessions = "、".join(d.session_title(x) for x in sorted({str(x) for x in prof["academic_session"] if x is not None}))
    act = Section(t("section.activity"), period=sessions, anchor="activity")
    metrics = [(t(f"activity.{c}"), cell(np.nansum(prof[c].astype(float)), "int", t(unit)).text)
               for c, unit in zip(ACTIVITY_COLS, ACTIVITY_UNITS, strict=True)
               if len(prof[c]) and any(v is not None for v in prof[c])]
    if metrics:
        act.tables.append(Table([t("col.metric"), t("col.value")], [[cell(k), cell(v)] for k, v in metrics], sortable=False))
    else:
        act.paragraphs.append(no_data(t, d, "student_term_profile"))
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
        fsec.paragraphs.append(no_data(t, d, "student_fitness"))
    else:
        i = int(np.argmax([str(p) for p in fit["period"]])) if len(fit["period"]) > 1 else 0
        grade = fit["fitness_grade"][i]
        fsec.period = str(fit["period"][i])
        fsec.paragraphs.append(t("parent.fitness", grade=fitness_label(t, grade if pd.notna(grade) else None),
                                 score=cell(fit["total_score"][i], "num1").text))
    sections.append(fsec)
    psych = _psych_section(t, d, "parent", [s.student_key], own=True)
    if psych:
        sections.append(psych)
    return {"title": t("title.parent", name=head["name"]), "subtitle": f"{head['school']} · {head['grade']} · {head['homeroom']}",
            "intro": t("parent.intro"), "sections": sections, "facts": facts}
