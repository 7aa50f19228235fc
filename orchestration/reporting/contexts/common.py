"""Shared pieces of the role pages: labels, the mart's mastery levels, periods, class members, activity metrics and the psych section."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting.components import Cell, Section, Table, cell
from orchestration.reporting.data import ReportData
from orchestration.reporting.store import records

ABILITIES = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3")
# The score-rate bands as the marts count them (dbt macro exam_score_bands), and their labels.
SCORE_BANDS = ("band_lt60", "band_60_70", "band_70_80", "band_80_90", "band_ge90")
BIN_LABELS = ("<60%", "60–69%", "70–79%", "80–89%", "≥90%")


# ----------------------------------------------------------------------------- helpers
def subject_label(t: Translator, subject) -> str:
    """A subject in the page's language; one the catalogue does not name (a district's
    own 书法, music) as delivered, never as the catalogue's key."""
    if subject is None:
        return ""
    key = f"subject.{subject}"
    text = t(key)
    return str(subject) if text == key else text


def fitness_label(t: Translator, grade) -> str:
    """A national-standard fitness grade (the data's 优秀/良好/及格/不及格) in the page's
    language; a grade the catalogue does not know is shown as delivered."""
    if grade is None or (isinstance(grade, float) and np.isnan(grade)):
        return "—"
    key = f"fitness.{grade}"
    text = t(key)
    return str(grade) if text == key else text


def grade_label(t: Translator, grade) -> str:
    if grade is None or (isinstance(grade, float) and np.isnan(grade)):
        return ""
    g = str(grade).zfill(2)
    text = t(f"grade.{g}")
    return text if text != f"grade.{g}" else str(grade)


def _date(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)[:10]


# The mart's mastery levels (dbt macro exam_mastery_level, vars mastery_thresholds and
# mastery_min_items). The rule lives in dbt; a page only shows the level it is given.
MASTERY_LEVELS = ("mastered", "developing", "weak", "insufficient")


def _mastery(frame: pd.DataFrame) -> pd.Series:
    """The mart's level per row; a missing or unknown level is 'insufficient' (not enough evidence)."""
    if "mastery_level" not in frame:
        return pd.Series("insufficient", index=frame.index, dtype=object)
    level = frame.mastery_level.astype("string").str.lower()
    return level.where(level.isin(MASTERY_LEVELS), "insufficient").fillna("insufficient").astype(object)


def _period_exams(t: Translator, frame: pd.DataFrame) -> str:
    if frame.empty:
        return ""
    dates = pd.to_datetime(frame.exam_date)
    return t("period.exams", start=str(dates.min().date()), end=str(dates.max().date()))


def latest_session(sessions: pd.Series) -> str | None:
    """The latest of the academic sessions in ``sessions`` (by id, as the marts' ids sort),
    None when no row has one. A row can have none: a fitness test dated between terms,
    or in a term no exam has named yet (int_exam_sessions). ``Series.max()`` raised on
    such a mix (the missing ones are read as NaN, a float, against the ids' text): a
    district's role reports failed after 180 days."""
    known = sessions.dropna()
    return str(known.astype(str).max()) if len(known) else None


def latest_session_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame``'s latest academic session (all rows when none has one)."""
    if frame.empty or "academic_session" not in frame:
        return frame
    session = latest_session(frame.academic_session)
    return frame if session is None else frame[frame.academic_session.astype(str) == session]


def _sessions(d: ReportData, frame: pd.DataFrame) -> str:
    """The sessions a section covers, by their titles."""
    if "academic_session" not in frame or frame.empty:
        return ""
    return "、".join(d.session_title(k) for k in sorted(frame.academic_session.dropna().astype(str).unique()))


def _members(d: ReportData, class_ids) -> pd.DataFrame:
    keys = d.members_by_class.get_many(class_ids).student_key.astype(str).unique()
    return d.ident_by_key.get_many(sorted(keys))


def _latest_exam_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Each student's row of the latest exam per subject in ``frame``."""
    if frame.empty:
        return frame
    latest = frame.groupby("subject").exam_date.transform("max")
    return frame[frame.exam_date == latest]


def no_data(t: Translator, d: ReportData | None, mart: str) -> str:
    """Why a section is empty: its mart is not built yet (the pipeline has not run it), or
    the mart has nothing for this scope and period, said in the mart's own terms."""
    if d is not None and mart in d.store.missing:
        return t("msg.mart_missing", mart=mart)
    text = t(f"why.{mart}")
    return text if text != f"why.{mart}" else t("msg.no_data")


def _suppress_note(t: Translator, d: ReportData) -> str:
    return t("note.suppressed", n=d.min_cell)


def _scope_suppress_note(t: Translator, d: ReportData) -> str:
    """Under a fitness or psych distribution: the marts hide a small scope whole, not a
    small level of a large one (a class's one high-risk student shows as 1), so the note
    says which (the API probe read "groups under 10 are not published" against a 1)."""
    return t("note.suppressed_scope", n=d.min_cell)


def _psych_section(t: Translator, d: ReportData, role: str, keys: list[str], own: bool,
                   cls: str | None = None) -> Section | None:
    """Only when the governance policy grants this role the psych resource (default deny).
    A student's own level from student_psych; a homeroom's counts from the restricted
    class_psych mart, suppressed there."""
    if not d.psych_allowed.get(role, False):
        return None
    sec = Section(t("section.psych"), note=t("note.psych_granted"))
    if own:
        rows = d.psych_by_student.get_many(keys)
        if rows.empty:
            sec.paragraphs.append(no_data(t, d, "student_psych"))
            return sec
        last = rows.sort_values(rows.columns[1] if len(rows.columns) > 1 else "student_key").iloc[-1]
        sec.paragraphs.append(t("psych.own", level=t(f"psych.{last.get('risk_level', 'none')}")))
        return sec
    counts = d.psych_by_class.get(cls) if cls else d.psych_by_class.get("")
    if counts.empty:
        sec.paragraphs.append(no_data(t, d, "class_psych"))
        return sec
    order = {lv: i for i, lv in enumerate(("none", "watch", "high"))}
    counts = counts.sort_values("risk_level", key=lambda s: s.map(order).fillna(len(order)))
    # Differencing: the page names the class's high-risk students whose consent it holds
    # (the attention table); the class's counts beside them tell the level of the ones it
    # withholds. Under min_cell of them, the counts would single them out: hidden too (the
    # rule of a small cell, applied to the students the page may not show).
    withheld = (d.psych_withheld or {}).get(role, frozenset())
    if 0 < len(withheld.intersection(keys)) < d.min_cell:
        counts = counts.assign(suppressed=True)
        sec.paragraphs.append(t("note.psych_counts_withheld", n=d.min_cell))
    sec.tables.append(Table([t("col.risk_level"), t("col.students")],
                            [[cell(t(f"psych.{r.risk_level}")), cell(r.students, "int", t("unit.people"), suppressed=r.suppressed)]
                             for r in records(counts)], footnote=_scope_suppress_note(t, d)))
    return sec


# ----------------------------------------------------------------------------- per-student columns
ACTIVITY_COLS = ("active_days", "logins", "resources_viewed", "microtests_answered", "homework_submitted",
                 "time_on_task_minutes")
ACTIVITY_UNITS = ("unit.days", "unit.times", "unit.items", "unit.tests", "unit.items", "unit.minutes")
EXAM_COLS = ("exam_id", "exam_name", "subject", "exam_date", "score", "max_score", "z_score", "percentile", "district_rank")
KP_COLS = ("kp_id", "subject", "kp_name", "items", "score_rate", "mastery_level", "exam_items", "microtest_items")


def _levels(levels: np.ndarray) -> list[str]:
    """The mart's mastery level per knowledge point ('insufficient' when absent)."""
    out = []
    for lv in levels:
        text = str(lv).lower() if lv is not None else ""
        out.append(text if text in MASTERY_LEVELS else "insufficient")
    return out


def _publication(t: Translator, d: ReportData, orgs: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """These orgs' rows of the monthly publication, suppressed as the marts publish them."""
    return d.pub_usage_by_org.get_many(orgs), d.pub_micro_by_org.get_many(orgs)


def _top_counts(t: Translator, row, n: int) -> list[Cell]:
    """The two counts of a cohort's top students, or, when N reaches the whole cohort
    (the mart's top_n_covers_cohort), one line saying so instead of naming everyone."""
    if bool(getattr(row, "covers", False)):
        return [cell(t("cell.top_n_covers", students=int(row.cohort), n=n)), cell(None)]
    return [cell(row.all_, "int", t("unit.people")), cell(row.k1, "int", t("unit.people"))]


def _cohort_columns(ts: pd.DataFrame) -> pd.DataFrame:
    return ts.assign(cohort_students=ts.get("cohort_students", pd.Series(0, index=ts.index)),
                     top_n_covers_cohort=ts.get("top_n_covers_cohort", pd.Series(False, index=ts.index)).fillna(False)
                     .astype(bool))


def _top_groups(ts: pd.DataFrame, keys: list[str], cohorts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per cohort group: students top N in all, in all but one, K, the cohort's size and
    whether N covers it. With ``cohorts`` (the same scope's rows of ReportData.top_cohorts),
    a group none of whose students made the lists is a row of 0 and 0, not missing (a
    grade with no top student had no row: the exam probe)."""
    g = _cohort_columns(ts).groupby(keys).agg(
        all_=("in_all", "sum"), k1=("student_key", "nunique"), sittings=("cohort_sittings", "max"),
        cohort=("cohort_students", "max"), covers=("top_n_covers_cohort", "max")).reset_index()
    if cohorts is None or cohorts.empty:
        return g
    c = _cohort_columns(cohorts).groupby(keys).agg(
        sittings=("cohort_sittings", "max"), cohort=("cohort_students", "max"),
        covers=("top_n_covers_cohort", "max")).reset_index()
    none = c.merge(g[keys], on=keys, how="left", indicator=True)
    none = none[none.pop("_merge") == "left_only"].assign(all_=0, k1=0)
    return pd.concat([g, none], ignore_index=True).sort_values(keys, ignore_index=True) if len(none) else g
