"""The plain-Python class rows give what the pandas operations they replace gave.

The pages' own check is that a render after the change finds every page's input digest
unchanged (a district's 5,009 staff pages were compared so); these tests pin the
corner cases a small lake may not hold: null rates, sessions and subjects, ties, and a
student with two sittings on a subject's latest date.
"""

import math

import numpy as np
import pandas as pd

from orchestration.reporting.contexts.class_rows import (
    ClassExam,
    SessionRow,
    latest_per_subject,
    latest_session,
    rate_pct,
    weakest,
)
from orchestration.reporting.contexts.classroom import _z_grid
from orchestration.reporting.contexts.common import latest_session as latest_of
from orchestration.reporting.contexts.common import latest_session_rows


def _rows(frame: pd.DataFrame) -> list[SessionRow]:
    return [SessionRow(r.get("academic_session"), r) for r in frame.to_dict("records")]


WEAK = pd.DataFrame({
    "academic_session": ["2021a", "2021b", "2021b", "2021b", "2021b", None],
    "kp_id": ["k5", "k1", "k2", "k3", "k4", "k9"],
    "score_rate": [0.1, np.nan, 0.4, 0.4, 0.2, 0.0],
})


def test_latest_session_is_the_frame_filter():
    kept = latest_session(_rows(WEAK))
    expected = WEAK[WEAK.academic_session == WEAK.academic_session.dropna().max()]
    assert [r.fields["kp_id"] for r in kept] == expected.kp_id.tolist()
    no_sessions = WEAK.assign(academic_session=None)
    assert len(latest_session(_rows(no_sessions))) == len(no_sessions)  # all rows, as _latest_session
    assert latest_session([]) == []


def test_weakest_sorts_as_pandas_with_a_null_rate_last():
    rows = latest_session(_rows(WEAK))
    expected = WEAK[WEAK.academic_session == "2021b"].sort_values(["score_rate", "kp_id"]).head(5)
    assert [r.fields["kp_id"] for r in weakest(rows, hidden=False)] == expected.kp_id.tolist() == ["k4", "k2", "k3", "k1"]
    assert [r.fields["kp_id"] for r in weakest(rows, hidden=True, n=2)] == ["k1", "k2"]


def test_rate_pct_rounds_as_numpy():
    for value in (0.285, 0.1234, 0.955, 1 / 3):
        assert rate_pct(value) == round(pd.Series([value]).iloc[0] * 100, 1)
    assert math.isnan(rate_pct(float("nan")))


def _exam(subject, date) -> ClassExam:
    return ClassExam(f"{subject}-{date}", "x", subject, date, False, 1.0, (), ())


def test_latest_per_subject_is_groupby_tail():
    rows = [_exam("math", "2021-09"), _exam("chinese", "2021-09"), _exam("math", "2021-10"), _exam(None, "2021-11"),
            _exam("chinese", "2021-11")]
    frame = pd.DataFrame({"exam_id": [r.exam_id for r in rows], "subject": [r.subject for r in rows]})
    expected = frame.groupby("subject", as_index=False).tail(1).exam_id.tolist()
    assert [r.exam_id for r in latest_per_subject(rows)] == expected == ["math-2021-10", "chinese-2021-11"]


def _pivot(frame: pd.DataFrame):
    pivot = frame.pivot_table(index="student_key", columns="subject", values="z_score", aggfunc="mean")
    return list(pivot.index), list(pivot.columns), \
        [[None if pd.isna(v) else round(float(v), 2) for v in row] for row in pivot.to_numpy()]


def test_z_grid_is_the_pivot_table():
    one_each = pd.DataFrame({
        "student_key": ["b", "a", "a", "c", "d"],
        "subject": ["math", "math", "physics", "physics", "math"],
        "z_score": [0.123, -1.005, np.nan, 2.0, np.nan],  # d has no score at all: no row
    })
    assert _z_grid(one_each) == _pivot(one_each)
    assert _z_grid(one_each)[0] == ["a", "b", "c"]
    two_sittings = pd.concat([one_each, pd.DataFrame({"student_key": ["a"], "subject": ["math"], "z_score": [0.4]})])
    assert _z_grid(two_sittings) == _pivot(two_sittings)
    assert _z_grid(one_each.iloc[0:0]) == ([], [], [])


def test_a_mart_frame_with_and_without_sessions_keeps_its_latest_session():
    """A fitness test between terms, or in a term no exam has named, has no session; pandas'
    max over such a mix raised (the district's role reports failed after 180 days)."""
    mixed = pd.DataFrame({"academic_session": pd.Series(["as-2021-autumn", np.nan, "as-2021-spring", None], dtype=object),
                          "n": [1, 2, 3, 4]})
    assert latest_of(mixed.academic_session) == "as-2021-spring"
    assert latest_session_rows(mixed).n.tolist() == [3]
    assert latest_of(pd.Series([None, np.nan], dtype=object)) is None
    assert latest_session_rows(mixed.assign(academic_session=None)).n.tolist() == [1, 2, 3, 4]
    assert latest_session_rows(mixed.iloc[:0]).empty
