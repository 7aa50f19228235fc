"""Every class's rows of the class marts, read in one pass per render process.

A teacher's or head teacher's page shows a few rows per class of class_exam,
class_weak_points and class_engagement. Taken class by class from the marts, each
section cost a dozen pandas operations on a frame of a few rows (about 2 ms a class,
most of a teacher page). Here the marts are walked once, the first time a page asks, into
plain rows per class with their table cells made; a page then filters and sorts a
handful of Python tuples. The rows are the marts' rows and the pages are the same
(their input digests do not change: tests/unit/reporting).

Cached on the ReportData per process and language, as the attention rows are: the render
forks its workers after loading the data, so each worker builds what it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting.components import Cell, Table, _missing, cell
from orchestration.reporting.contexts.common import SCORE_BANDS, _date, subject_label
from orchestration.reporting.data import ReportData
from orchestration.reporting.store import records

_MEMO = "_class_rows"  # the attribute of a ReportData that holds its class rows


def cached(d: ReportData, t: Translator, name: str, build: Callable[[], Any]) -> Any:
    """``build()`` once per ReportData, name and language (cells hold translated units)."""
    memo = d.__dict__.setdefault(_MEMO, {})
    key = (name, t.lang)
    if key not in memo:
        memo[key] = build()
    return memo[key]


def share_class_rows(base: ReportData, data: ReportData) -> None:
    """``data`` uses ``base``'s class rows, built once for every page rendered from it.
    For ``data`` made from ``base`` with other students' rows (data.for_students): the
    class rows read only marts ``base`` holds whole."""
    data.__dict__[_MEMO] = base.__dict__.setdefault(_MEMO, {})


@dataclass(frozen=True)
class ClassExam:
    """One class_exam row (with the exam's name and district figures), its cells made."""

    exam_id: Any
    exam_name: Any
    subject: Any
    exam_date: Any
    suppressed: bool
    mean_score: Any
    bands: tuple
    cells: tuple[Cell, ...]  # exam, subject, date, students present, class mean, district mean, mean z

    @property
    def by_subject(self) -> list[Cell]:
        """The head teacher's order: subject first, then the exam."""
        return [self.cells[1], self.cells[0], *self.cells[2:]]


def class_exams(t: Translator, d: ReportData) -> dict[str, list[ClassExam]]:
    """Per class (as text), its exams in date order (the order of ``class_exam_by_class``)."""

    def build() -> dict[str, list[ClassExam]]:
        out: dict[str, list[ClassExam]] = {}
        people, points = t("unit.people"), t("unit.points")
        for r in records(d.class_exam_by_class.frame):
            hidden = r.suppressed
            cells = (cell(r.exam_name), cell(subject_label(t, r.subject)), cell(_date(r.exam_date)),
                     cell(r.students, "int", people, hidden), cell(r.mean_score, "num1", points, hidden),
                     cell(r.district_mean, "num1", points, r.district_hidden), cell(r.mean_z, "z", suppressed=hidden))
            out.setdefault(str(r.class_sourced_id), []).append(ClassExam(
                r.exam_id, r.exam_name, r.subject, r.exam_date, hidden, r.mean_score,
                tuple(getattr(r, band) for band in SCORE_BANDS), cells))
        return out

    return cached(d, t, "class_exams", build)


def latest_per_subject(rows: list[ClassExam]) -> list[ClassExam]:
    """Each subject's last row (rows in date order), in row order; rows with no subject
    have none (as pandas' groupby drops a null key)."""
    last: dict[Any, int] = {}
    for i, r in enumerate(rows):
        if not _missing(r.subject):
            last[r.subject] = i
    return [rows[i] for i in sorted(last.values())]


@dataclass(frozen=True)
class SessionRow:
    """A row of a class mart with an academic session: its fields as named."""

    academic_session: Any
    fields: dict


def session_rows(t: Translator, d: ReportData, name: str) -> dict[str, list[SessionRow]]:
    """Per class (as text), the rows of the Indexed class mart ``name`` of ReportData
    (``weak_by_class``, ``engagement_by_class``), in its order."""

    def build() -> dict[str, list[SessionRow]]:
        indexed = getattr(d, name)
        out: dict[str, list[SessionRow]] = {}
        for r in records(indexed.frame):
            fields = r._asdict()
            out.setdefault(str(fields[indexed.key]), []).append(SessionRow(fields.get("academic_session"), fields))
        return out

    return cached(d, t, name, build)


def latest_session(rows: list[SessionRow]) -> list[SessionRow]:
    """The rows of the latest academic session (all rows when none has a session)."""
    sessions = [r.academic_session for r in rows if not _missing(r.academic_session)]
    if not sessions:
        return rows
    last = max(sessions)
    return [r for r in rows if r.academic_session == last]


def sessions_label(d: ReportData, rows: list[SessionRow]) -> str:
    """The sessions ``rows`` cover, by their titles (as _sessions says it of a frame)."""
    keys = sorted({str(r.academic_session) for r in rows if not _missing(r.academic_session)})
    return "、".join(d.session_title(k) for k in keys)


def weakest(rows: list[SessionRow], hidden: bool, n: int = 5) -> list[SessionRow]:
    """The ``n`` weakest knowledge points by score rate then id (a null rate last); a
    suppressed class's in catalogue (id) order, with no rank."""
    if hidden:
        return sorted(rows, key=lambda r: r.fields["kp_id"])[:n]
    return sorted(rows, key=lambda r: (_missing(r.fields["score_rate"]),
                                       0.0 if _missing(r.fields["score_rate"]) else r.fields["score_rate"],
                                       r.fields["kp_id"]))[:n]


def rate_pct(value) -> float:
    """A score rate as the chart shows it, rounded as numpy rounds (the values used to
    come from a pandas column)."""
    return round(np.float64(value) * 100, 1)


def school_micro_table(t: Translator, d: ReportData, school: str) -> Table | None:
    """The school's published monthly micro-test rows: the same table under every class
    of the school, so made once per school."""

    def build() -> dict[str, Table | None]:
        return {}

    tables = cached(d, t, "school_micro", build)
    if school not in tables:
        m = d.pub_micro_by_org.get_many([school])
        table = None
        if len(m):
            m = m.sort_values("month")
            table = Table([t("col.month"), t("col.segment"), t("col.microtests_assigned"), t("col.students_assigned"),
                           t("col.students_answering"), t("col.micro_answer_rate")],
                          [[cell(r.month), cell(t(f"segment.{r.segment}")), cell(r.microtests_assigned, "int", t("unit.tests")),
                            cell(r.students_assigned, "int", t("unit.people")),
                            cell(r.students_answering, "int", t("unit.people"), r.is_suppressed),
                            cell(r.answer_rate, "pct", suppressed=r.is_suppressed)] for r in records(m)],
                          caption=t("caption.school_micro", school=d.name(school)))
        tables[school] = table
    return tables[school]


def homerooms_of_school(t: Translator, d: ReportData, attr: str, school: str) -> pd.DataFrame:
    """The homeroom rows of one school in the frame ``attr`` of ReportData
    (``class_exams``, ``class_term``), in the frame's order: split by school once, not a
    mask over every class of the district for each grade leader's page."""

    def build() -> dict[str, pd.DataFrame]:
        frame = getattr(d, attr)
        rooms = frame[frame.class_type == "homeroom"]
        return {str(k): g for k, g in rooms.groupby(rooms.school_sourced_id.astype(str), sort=False)}

    frame = getattr(d, attr)
    return cached(d, t, f"homerooms:{attr}", build).get(str(school), frame.iloc[0:0])
