"""The subject researcher's, the district administrator's and the city administrator's pages."""

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
    latest_session_rows,
    no_data,
    subject_label,
)
from orchestration.reporting.contexts.platform import platform_use_section, school_flags_sections
from orchestration.reporting.contexts.school import _top_n
from orchestration.reporting.contexts.wellbeing import wellbeing_sections
from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import Scope
from orchestration.reporting.store import records
from orchestration.reporting.usage_table import usage_table


# ----------------------------------------------------------------------------- district views
def _district_exam_ids(d: ReportData, schools: list[str], subject: str | None) -> list[str]:
    ex = d.exams_sat
    ex = ex[ex.school_sourced_id.isin(schools)]
    if subject:
        ex = ex[ex.subject == subject]
    return sorted(ex.exam_id.unique())


def subject_researcher_context(t: Translator, d: ReportData, s: Scope) -> dict:
    schools = d.schools_of_district(s.district_id)
    subj = subject_label(t, s.subject)
    qm = d.quality_map[(d.quality_map.school_sourced_id.astype(str).isin(schools)) & (d.quality_map.subject == s.subject)]
    qm = qm.merge(d.exam_stats[["exam_id", "exam_name"]], on="exam_id", how="left")
    facts: dict = {"schools": schools}
    sections = []
    qsec = Section(t("section.quality_map", subject=subj), period=_period_exams(t, qm))
    if qm.empty:
        qsec.paragraphs.append(no_data(t, d, "quality_map"))
    else:
        order = qm.drop_duplicates("exam_id").sort_values(["exam_date", "exam_id"])
        cols = order.exam_id.tolist()
        # the mart's values: a suppressed cell is null there (int_exam_suppression)
        shown = qm.pivot_table(index="school_name", columns="exam_id", values="mean_z", aggfunc="mean",
                               dropna=False).reindex(columns=cols)
        labels = [t("fmt.paren", text=n, inner=str(dt)[:10]) for n, dt in zip(order.exam_name, order.exam_date, strict=True)]
        qsec.charts.append(svg.heat_map(list(shown.index), labels,
                                        [[None if v is None or pd.isna(v) else round(float(v), 2) for v in row] for row in shown.to_numpy()],
                                        t("chart.quality_map"), unit=t("unit.mean_z"), lo=-1, hi=1, signed=True))
        qsec.paragraphs.append(t("help.quality_map"))
        qsec.note = _suppress_note(t, d)
        facts["quality"] = shown
    sections.append(qsec)
    # common weak knowledge points across the district's students (mart district_knowledge)
    dk = d.district_knowledge
    kn = dk[(dk.district_sourced_id.astype(str) == str(s.district_id)) & (dk.subject == s.subject)]
    wsec = Section(t("section.common_weak", subject=subj))
    if kn.empty:
        wsec.paragraphs.append(no_data(t, d, "district_knowledge"))
    else:
        kn = kn.assign(suppressed=kn.suppressed.eq(True)).sort_values(["mean_score_rate", "kp_id"], na_position="last")
        top = kn[kn.mean_score_rate.notna()].head(10)
        wsec.charts.append(svg.bar_chart(top.kp_name.astype(str).tolist(), [round(float(v) * 100, 1) for v in top.mean_score_rate],
                                         t("chart.common_weak"), unit=t("unit.score_rate_pct"), max_value=100))

        def evidence(r, value):
            # nobody with enough evidence: its own state, never 0 %
            if not r.suppressed and r.students_assessed == 0:
                return cell(t("mastery.insufficient"))
            return cell(value, "pct", suppressed=r.suppressed)

        wsec.tables.append(Table([t("col.kp"), t("col.students"), t("col.students_assessed"), t("col.score_rate"), t("col.weak_share")],
                                 [[cell(r.kp_name), cell(r.students, "int", t("unit.people"), r.suppressed),
                                   cell(r.students_assessed, "int", t("unit.people"), r.suppressed),
                                   evidence(r, r.mean_score_rate), evidence(r, r.weak_share)] for r in records(kn)],
                                 footnote=t("note.common_weak") + " " + _suppress_note(t, d)))
        facts["kp_rates"] = dict(zip(kn.kp_id, kn.mean_score_rate, strict=True))
    sections.append(wsec)
    # item analysis per exam
    for eid in _district_exam_ids(d, schools, s.subject):
        items = d.item_by_exam.get(eid).sort_values("item_id")
        st = d.exam_stats[d.exam_stats.exam_id == eid]
        name = st.exam_name.iloc[0] if len(st) else eid
        isec = Section(t("section.items", exam=name), period=_date(st.exam_date.iloc[0]) if len(st) else "")
        if items.empty:
            isec.paragraphs.append(no_data(t, d, "item_analysis"))
        else:
            hid = items.suppressed.eq(True).tolist()  # an item too few students answered
            isec.charts.append(svg.bar_chart(items.item_id.astype(str).tolist(),
                                             [None if h or pd.isna(v) else round(float(v), 2) for v, h in zip(items.discrimination, hid, strict=True)],
                                             t("chart.discrimination"), unit=t("unit.index"), max_value=1.0,
                                             highlight=(items.discrimination < 0.2).tolist(), reference=0.2, reference_label="0.2"))
            isec.tables.append(Table([t("col.item"), t("col.difficulty"), t("col.discrimination"), t("col.flag")],
                                     [[cell(r.item_id), cell(r.difficulty, "num", suppressed=h), cell(r.discrimination, "num", suppressed=h),
                                       cell(_item_flag(t, r.difficulty, r.discrimination))] for r, h in zip(records(items), hid, strict=True)],
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
    return t("sep.list").join(flags)


def _quality_overview(t: Translator, d: ReportData, schools: list[str]) -> tuple[Section, pd.DataFrame]:
    """Schools × subjects, mean z on each subject's latest exam (suppressed)."""
    qm = d.quality_map[d.quality_map.school_sourced_id.astype(str).isin(schools)]
    sec = Section(t("section.quality_overview"), period=_period_exams(t, qm))
    if qm.empty:
        sec.paragraphs.append(no_data(t, d, "quality_map"))
        return sec, pd.DataFrame()
    latest = qm[qm.exam_date == qm.groupby(["school_sourced_id", "subject"]).exam_date.transform("max")]
    # A school sits one exam per grade on a day: its cell is the mean z of all its
    # students present that day, each exam weighted by its students (a plain mean of the
    # grades' means was not that mean: the reports probe). A suppressed exam hides the
    # whole cell: shown with the others, it could be told apart from them.
    latest = latest.assign(weighted=latest.mean_z * latest.students,
                           hidden=latest.suppressed.eq(True) | latest.mean_z.isna())
    cells = latest.groupby(["school_name", "subject"]).agg(weighted=("weighted", "sum"), students=("students", "sum"),
                                                           hidden=("hidden", "any"))
    cells["mean_z"] = (cells.weighted / cells.students).where(~cells.hidden & cells.students.gt(0))
    shown = cells.mean_z.unstack("subject")
    sec.charts.append(svg.heat_map(list(shown.index), [subject_label(t, c) for c in shown.columns],
                                   [[None if v is None or pd.isna(v) else round(float(v), 2) for v in row] for row in shown.to_numpy()],
                                   t("chart.quality_map"), unit=t("unit.mean_z"), lo=-1, hi=1, signed=True))
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
        usec.paragraphs.append(no_data(t, d, "usage_monthly"))
    sections.append(usec)
    qsec, shown = _quality_overview(t, d, schools)
    facts["quality"] = shown
    sections.append(qsec)
    ts = d.top_students[d.top_students.school_sourced_id.astype(str).isin(schools)]
    ts = ts.assign(school_name=ts.school_sourced_id.astype(str).map(d.org_name))
    cohorts = d.top_cohorts[d.top_cohorts.school_sourced_id.astype(str).isin(schools)]
    cohorts = cohorts.assign(school_name=cohorts.school_sourced_id.astype(str).map(d.org_name))
    tsec = Section(t("section.top_students"), period=_sessions(d, ts), note=t("note.top_students", n=_top_n(d, ts)))
    if len(ts) or len(cohorts):
        g = _top_groups(ts, ["school_name", "academic_session", "grade"], cohorts)
        tsec.tables.append(Table([t("col.school"), t("col.session"), t("col.grade"), t("col.top_all"), t("col.top_k1")],
                                 [[cell(r.school_name), cell(d.session_title(r.academic_session)), cell(grade_label(t, r.grade)),
                                   *_top_counts(t, r, _top_n(d, ts))] for r in records(g)]))
        facts["top_all"] = dict(zip(g.school_name, g.all_.where(~g.covers.astype(bool)), strict=True))
    else:
        tsec.paragraphs.append(no_data(t, d, "top_students"))
    sections.append(tsec)
    month = months[0] if months else None
    sections.append(platform_use_section(t, d.platform_use, d.min_cell, schools + [str(s.district_id)], month))
    flag_sections, flag_facts = school_flags_sections(t, d.school_flags, schools, month)
    sections += flag_sections
    facts.update(flag_facts)
    sections += wellbeing_sections(t, d, "district_admin", "district", str(s.district_id))
    return {"title": t("title.district_admin", district=d.name(s.district_id)), "subtitle": t("subtitle.district"),
            "sections": sections, "facts": facts}


def _districts_results(t: Translator, d: ReportData, districts: list[str]) -> Section:
    """The districts' results side by side, per session and subject, as district_term
    publishes them (a suppressed row shows —*)."""
    dt = d.district_term
    dt = dt[dt.district_sourced_id.astype(str).isin(districts)] if dt is not None and len(dt) else pd.DataFrame()
    sec = Section(t("section.districts_results"), period=_sessions(d, dt) if len(dt) else "")
    if not len(dt):
        sec.paragraphs.append(no_data(t, d, "district_term"))
        return sec
    dt = dt.assign(hidden=dt.suppressed.fillna(False).astype(bool)).sort_values(["academic_session", "subject", "district_name"])
    sec.tables.append(Table(
        [t("col.session"), t("col.subject"), t("col.district"), t("col.students"), t("col.mean_score_rate"),
         t("col.mean_z"), t("col.share_ge90"), t("col.share_lt60")],
        [[cell(d.session_title(r.academic_session)), cell(subject_label(t, r.subject)), cell(r.district_name),
          cell(r.students, "int", t("unit.people"), r.hidden), cell(r.mean_score_rate, "pct", suppressed=r.hidden),
          cell(r.mean_z_score, "z", suppressed=r.hidden),
          cell(None if r.hidden or not r.students else r.band_ge90 / r.students, "pct", suppressed=r.hidden),
          cell(None if r.hidden or not r.students else r.band_lt60 / r.students, "pct", suppressed=r.hidden)]
         for r in records(dt)],
        footnote=_suppress_note(t, d)))
    # districts x subjects of the latest session; a suppressed row is a grey dash
    latest = latest_session_rows(dt)
    subjects = sorted(latest.subject.astype(str).unique())
    names = sorted(latest.district_name.astype(str).unique())
    rate = {(str(r.district_name), str(r.subject)): None if r.hidden else round(float(r.mean_score_rate) * 100, 1)
            for r in records(latest)}
    sec.charts.append(svg.heat_map(names, [subject_label(t, x) for x in subjects],
                                   [[rate.get((n, x)) for x in subjects] for n in names],
                                   t("chart.district_score_rate"), unit=t("unit.pct"), lo=0, hi=100))
    return sec


def city_admin_context(t: Translator, d: ReportData, s: Scope) -> dict:
    o = d.orgs
    districts = sorted(o[(o.type == "district") & ((o.parent_sourced_id.astype(str) == str(s.city_id)) | o.parent_sourced_id.isna())].sourced_id.astype(str))
    u = d.usage[d.usage.org_sourced_id.astype(str).isin(districts)]
    # what the page shows beyond usage, only where the role policy lets the city admin read it
    allowed = {r for r in ("microtest_monthly", "top_students") if d.aggregate_allowed.get(("city_admin", r))}
    m = d.micro[d.micro.org_sourced_id.astype(str).isin(districts)] if "microtest_monthly" in allowed else None
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
        usec.paragraphs.append(no_data(t, d, "usage_monthly"))
    sections.append(usec)
    sections.append(_districts_results(t, d, districts))
    # size and top students per district (cohorts where N reaches everyone rate no one).
    # A district's students are the latest month's students on its roster as usage_monthly
    # publishes them, summed over its segments: a segment the mart suppressed leaves the
    # district's figure hidden, as on every other page that shows it.
    latest = u[(u.population == "student") & (u.month.astype(str) == months[0])] if months else u.iloc[0:0]
    on_roster = latest.groupby(latest.org_sourced_id.astype(str)).on_roster.agg(lambda x: x.sum(min_count=len(x)))
    top = "top_students" in allowed
    ts = d.top_students.assign(district=d.top_students.school_sourced_id.astype(str).map(d.org_parent))
    if "top_n_covers_cohort" in ts:
        ts = ts[~ts.top_n_covers_cohort.fillna(False).astype(bool)]
    rows = []
    for dist in districts:
        schools = d.schools_of_district(dist)
        students = on_roster.get(dist)
        row = [cell(d.name(dist)), cell(len(schools), "int", t("unit.schools")),
               cell(None if pd.isna(students) else int(students), "int", t("unit.people"),
                    suppressed=dist in on_roster.index and pd.isna(students))]
        if top:
            row += [cell(int(ts[(ts.district == dist)].in_all.sum()), "int", t("unit.people")),
                    cell(int(ts[ts.district == dist].student_key.nunique()), "int", t("unit.people"))]
        rows.append(row)
    csec = Section(t("section.districts_compared" if top else "section.districts_size"),
                   period=_sessions(d, ts) if top else "")
    students_heading = f"{t('col.students')} ({months[0]})" if months else t("col.students")
    heading = [t("col.district"), t("col.schools"), students_heading]
    csec.tables.append(Table(heading + ([t("col.top_all"), t("col.top_k1")] if top else []), rows))
    csec.charts.append(svg.bar_chart([r[0].text for r in rows], [r[2].sort for r in rows], t("chart.district_students"), unit=t("unit.people")))
    sections.append(csec)
    return {"title": t("title.city_admin", city=d.name(s.city_id)), "subtitle": t("subtitle.city"), "sections": sections, "facts": facts}
