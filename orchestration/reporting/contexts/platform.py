"""Linze's governance loop on the pages (seed 004): the platform-use indicators, the
lagging and model schools and the follow-up of flagged schools, formatted from the marts
platform_use_monthly and school_flags_monthly. The flag rule lives in dbt (var
school_flags); these sections only show what the marts decided."""

from __future__ import annotations

import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting.components import Section, Table, cell
from orchestration.reporting.contexts.common import no_data
from orchestration.reporting.store import records


def _flag(t: Translator, flag) -> str:
    return t(f"flag.{flag}") if isinstance(flag, str) else ""


def _yes_no(t: Translator, value):
    return None if value is None or pd.isna(value) else t("label.yes" if value else "label.no")


def platform_use_section(t: Translator, pu: pd.DataFrame, min_cell: int, orgs: list[str], month: str | None) -> Section:
    """The month's platform-use rows of ``orgs`` (schools, then their district), teachers
    and students apart, as platform_use_monthly (``pu``) publishes them."""
    pu = pu.assign(suppressed=pu.suppressed.eq(True))
    rows = pu[pu.org_sourced_id.astype(str).isin(orgs) & (pu.month.astype(str) == str(month))] if month else pu.iloc[0:0]
    sec = Section(t("section.platform_use"), period=month or "")
    if rows.empty:
        sec.paragraphs.append(no_data(t, None, "platform_use_monthly"))
        return sec
    rows = rows.assign(level=rows.org_type.map({"school": 0, "district": 1, "city": 2})).sort_values(
        ["level", "org_name", "segment", "population"])
    sec.tables.append(Table(
        [t("col.org"), t("col.segment"), t("col.population"), t("col.on_roster"), t("col.registration_rate"), t("col.uv"),
         t("col.pv"), t("col.homework_published"), t("col.checkins_published"), t("col.checkins_done"),
         t("col.evaluations_published"), t("col.training_hours")],
        [[cell(r.org_name), cell(t(f"segment.{r.segment}")), cell(t(f"population.{r.population}")),
          cell(r.on_roster, "int", t("unit.people"), r.suppressed), cell(r.registration_rate, "pct", suppressed=r.suppressed),
          cell(r.active_users, "int", t("unit.people"), r.suppressed), cell(r.page_views, "int", suppressed=r.suppressed),
          cell(r.homework_published, "int", suppressed=r.suppressed), cell(r.checkins_published, "int", suppressed=r.suppressed),
          cell(r.checkins_done, "int", suppressed=r.suppressed), cell(r.evaluations_published, "int", suppressed=r.suppressed),
          cell(r.training_hours, "num1", t("unit.hours"), r.suppressed)] for r in records(rows)],
        footnote=t("note.suppressed", n=min_cell)))
    return sec


def school_flags_sections(t: Translator, sf: pd.DataFrame, schools: list[str], month: str | None) -> tuple[list[Section], dict]:
    """The month's lagging and model schools among ``schools``, and every month of the
    follow-up of the ones that lagged before, as school_flags_monthly (``sf``) decided them."""
    sf = sf[sf.school_sourced_id.astype(str).isin(schools)]
    facts: dict = {}
    sec = Section(t("section.lagging"), period=month or "", note=t("note.lagging"))
    now = sf[(sf.month.astype(str) == str(month)) & sf.flag.isin(["lagging", "model"])] if month else sf.iloc[0:0]
    now = now.sort_values(["flag", "school_name"])
    facts["lagging"] = now[now.flag == "lagging"].school_name.astype(str).tolist()
    facts["model"] = now[now.flag == "model"].school_name.astype(str).tolist()
    unassessed = sf[(sf.month.astype(str) == str(month)) & sf.flag.eq("not_assessed")] if month else sf.iloc[0:0]
    if len(unassessed):  # a hidden figure decides nothing: say how many schools that leaves out
        sec.paragraphs.append(t("msg.not_assessed", n=len(unassessed)))
    if now.empty:
        sec.paragraphs.append(t("msg.no_lagging"))
    else:
        sec.tables.append(Table(
            [t("col.school"), t("col.school_flag"), t("col.use_rate"), t("col.district_use_rate"), t("col.training_per_teacher"),
             t("col.district_training"), t("col.registration_rate")],
            [[cell(r.school_name), cell(_flag(t, r.flag)), cell(r.use_rate, "pct"), cell(r.district_use_rate, "pct"),
              cell(r.training_hours_per_teacher, "num1", t("unit.hours")),
              cell(r.district_training_hours_per_teacher, "num1", t("unit.hours")), cell(r.registration_rate, "pct")]
             for r in records(now)],
            row_classes=["flag" if f == "lagging" else "" for f in now.flag]))
    follow = sf[sf.followed_up.eq(True)].sort_values(["school_name", "month"])
    fsec = Section(t("section.follow_up"))
    if follow.empty:
        # a school flagged this month is followed up from the next: say so under its flag
        fsec.paragraphs.append(t("msg.follow_up_from_next_month") if facts["lagging"] else t("msg.no_follow_up"))
    else:
        fsec.tables.append(Table(
            [t("col.school"), t("col.month"), t("col.flagged_month"), t("col.school_flag"), t("col.use_rate"),
             t("col.change_since_flag"), t("col.training_per_teacher"), t("col.recovered")],
            [[cell(r.school_name), cell(r.month), cell(r.last_lagging_month), cell(_flag(t, r.flag)), cell(r.use_rate, "pct"),
              cell(r.use_rate_change_since_flag, "pp", t("unit.pp")), cell(r.training_hours_per_teacher, "num1", t("unit.hours")),
              cell(_yes_no(t, r.recovered))] for r in records(follow)]))
    facts["recovered"] = follow[follow.recovered.eq(True)].school_name.astype(str).unique().tolist()
    return [sec, fsec], facts
