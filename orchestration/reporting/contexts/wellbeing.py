"""Whole-person aggregates for the people who manage: fitness grades and psych risk
levels of a grade, school or district and of its parts, as the restricted scope_fitness
and scope_psych marts publish them (suppressed across the levels in dbt). Each shows only
where the role policy grants the role that resource for its report's purpose."""

from __future__ import annotations

import pandas as pd

from orchestration.landing.surveys import FITNESS_GRADES
from orchestration.pages.i18n import Translator
from orchestration.reporting.components import Section, Table, cell
from orchestration.reporting.contexts.common import (
    _scope_suppress_note,
    _sessions,
    fitness_label,
    grade_label,
    latest_session,
    no_data,
)
from orchestration.reporting.data import ReportData

RISK_LEVELS = ("none", "watch", "high")


def _scope_name(t: Translator, d: ReportData, scope_type: str, scope_id: str) -> str:
    if scope_type == "class":
        return d.class_title.get(scope_id, scope_id)
    if scope_type == "grade":
        return grade_label(t, scope_id.rsplit(":", 1)[-1])
    return d.name(scope_id)


def _rows(frame: pd.DataFrame, scope_id: str, children) -> pd.DataFrame:
    """The scope's own rows first, then its parts' in name order."""
    own = frame[frame.scope_id.astype(str) == scope_id]
    return pd.concat([own, children], ignore_index=True)


def wellbeing_sections(t: Translator, d: ReportData, role: str, scope_type: str, scope_id: str) -> list[Section]:
    """The fitness and psych distribution sections of a grade, school or district page."""
    out = []
    if d.aggregate_allowed.get((role, "scope_fitness")):
        out.append(_fitness_section(t, d, scope_type, scope_id))
    if d.aggregate_allowed.get((role, "scope_psych")):
        out.append(_psych_section(t, d, scope_type, scope_id))
    return out


def _distribution_rows(t: Translator, d: ReportData, frame: pd.DataFrame, level: str, levels, value: str,
                       kind: str, unit: str = "") -> list[list]:
    """One row per scope (own first, then its parts): its name, its students, and each
    level's `value` (a share or a count); a level absent from a shown scope is 0, a hidden
    scope shows no figure."""
    rows = []
    for (stype, sid), g in frame.groupby(["scope_type", "scope_id"], sort=False):
        hidden = bool(g.suppressed.iloc[0])
        values = dict(zip(g[level], g[value], strict=True))
        rows.append([cell(_scope_name(t, d, stype, sid)), cell(g.scope_students.iloc[0], "int", t("unit.people"), hidden)]
                    + [cell(values.get(lv, None if hidden else 0), kind, unit, hidden) for lv in levels])
    return rows


def _untested_schools(t: Translator, d: ReportData, frame: pd.DataFrame, scope_type: str, scope_id: str,
                      levels) -> list[list]:
    """A district's schools with no student in the mart, as rows of 0 students and no
    figure: a school that tested nobody is a fact for the district, not a gap in its table
    (the reports probe found it missing there, said only on its principal's page)."""
    if scope_type != "district":
        return []
    shown = set(frame.loc[frame.scope_type == "school", "scope_id"].astype(str))
    missing = sorted((s for s in d.schools_of_district(scope_id) if s not in shown), key=d.name)
    return [[cell(d.name(s)), cell(0, "int", t("unit.people"))] + [cell(None) for _ in levels] for s in missing]


def _fitness_section(t: Translator, d: ReportData, scope_type: str, scope_id: str) -> Section:
    own = d.fitness_by_scope.get(scope_id)
    own = own[own.scope_type == scope_type]
    session = latest_session(own.academic_session) if len(own) else None
    frame = _rows(own, scope_id, d.fitness_by_parent.get(scope_id))
    frame = frame[frame.academic_session.astype(str) == session] if session is not None else frame
    sec = Section(t("section.scope_fitness", scope=_scope_name(t, d, scope_type, scope_id)), period=_sessions(d, frame),
                  note=t("note.wellbeing_granted"))
    if frame.empty:
        sec.paragraphs.append(no_data(t, d, "scope_fitness"))
        return sec
    rows = _distribution_rows(t, d, frame, "fitness_grade", FITNESS_GRADES, "share", "pct")
    rows += _untested_schools(t, d, frame, scope_type, scope_id, FITNESS_GRADES)
    sec.tables.append(Table([t("col.scope"), t("col.tested")] + [fitness_label(t, g) for g in FITNESS_GRADES], rows,
                            footnote=_scope_suppress_note(t, d)))
    return sec


def _psych_section(t: Translator, d: ReportData, scope_type: str, scope_id: str) -> Section:
    own = d.psych_by_scope.get(scope_id)
    frame = _rows(own[own.scope_type == scope_type], scope_id, d.psych_by_parent.get(scope_id))
    sec = Section(t("section.scope_psych", scope=_scope_name(t, d, scope_type, scope_id)), note=t("note.psych_granted"))
    if frame.empty:
        sec.paragraphs.append(no_data(t, d, "scope_psych"))
        return sec
    rows = _distribution_rows(t, d, frame, "risk_level", RISK_LEVELS, "students", "int", t("unit.people"))
    rows += _untested_schools(t, d, frame, scope_type, scope_id, RISK_LEVELS)
    sec.tables.append(Table([t("col.scope"), t("col.screened")] + [t(f"psych.{lv}") for lv in RISK_LEVELS], rows,
                            footnote=_scope_suppress_note(t, d)))
    return sec
