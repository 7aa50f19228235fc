"""class_exam and district_knowledge against pandas over the bronze roster and exam Parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.lake import LakePaths

pytestmark = pytest.mark.e2e

BANDS = ("band_lt60", "band_60_70", "band_70_80", "band_80_90", "band_ge90")


def _latest(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return df.sort_values(["_landed_at", "_delivery", "_position"]).drop_duplicates(key, keep="last")


def _roster(lake, table: str) -> pd.DataFrame:
    return _latest(pd.read_parquet(LakePaths(lake).bronze_table("roster", table)), ["sourcedId"])


def test_class_exam_matches_bronze_recomputation(exams_lake, load_mart, reference):
    """Each class's present students on the exam date (a homeroom for every exam, a
    scheduled class for its course's subject), their mean score, mean z and score-rate
    bands; hidden rows are null and flagged."""
    classes = _roster(exams_lake, "classes")
    courses = _roster(exams_lake, "courses")
    subject_of_course = {c: (list(s)[0].lower() if s is not None and len(s) else None)
                         for c, s in zip(courses.sourcedId, courses.subjects, strict=True)}
    classes = classes.assign(subject=classes.courseSourcedId.map(subject_of_course),
                             class_type=classes.classType.str.lower())
    enr = _roster(exams_lake, "enrollments")
    enr = enr[(enr.role.str.lower() == "student") & (enr.status.str.lower() == "active")]
    # Banded rounded to 9 places, as the marts band (macro exam_score_bands).
    res = reference["results"].assign(rate=lambda r: (r.score / r.max_score).round(9))
    x = res.merge(enr[["userSourcedId", "classSourcedId", "beginDate", "endDate"]],
                  left_on="student_sourcedId", right_on="userSourcedId")
    day = pd.to_datetime(x.exam_date).dt.date
    x = x[(x.beginDate.isna() | (x.beginDate <= day)) & (x.endDate.isna() | (day <= x.endDate))]
    x = x.merge(classes[["sourcedId", "class_type", "subject"]].rename(columns={"subject": "class_subject"}),
                left_on="classSourcedId", right_on="sourcedId")
    x = x[(x.class_type == "homeroom") | ((x.class_type == "scheduled") & (x.class_subject == x.subject))]
    exp = x.groupby(["classSourcedId", "exam_id"]).agg(
        students=("student_sourcedId", "nunique"), mean_score=("score", "mean"), mean_z=("z", "mean"),
        band_lt60=("rate", lambda r: int((r < 0.6).sum())), band_60_70=("rate", lambda r: int(((r >= 0.6) & (r < 0.7)).sum())),
        band_70_80=("rate", lambda r: int(((r >= 0.7) & (r < 0.8)).sum())),
        band_80_90=("rate", lambda r: int(((r >= 0.8) & (r < 0.9)).sum())), band_ge90=("rate", lambda r: int((r >= 0.9).sum())))

    got = load_mart("class_exam").set_index(["class_sourced_id", "exam_id"]).sort_index()
    assert got.index.is_unique
    assert set(got.index) == set(exp.index)
    exp = exp.loc[got.index]
    shown = ~got.suppressed.to_numpy()
    assert shown.any(), "the tiny district publishes class results"
    np.testing.assert_array_equal(got.students.to_numpy()[shown], exp.students.to_numpy()[shown])
    np.testing.assert_allclose(got.mean_score.to_numpy()[shown], exp.mean_score.to_numpy()[shown], atol=1e-9)
    np.testing.assert_allclose(got.mean_z.to_numpy()[shown], exp.mean_z.to_numpy()[shown], atol=1e-9)
    for band in BANDS:
        np.testing.assert_array_equal(got[band].to_numpy()[shown], exp[band].to_numpy()[shown])
    assert (exp.students.to_numpy()[shown] >= 10).all(), "no small class is shown"
    assert (exp.students.between(1, 9).to_numpy() <= got.suppressed.to_numpy()).all(), "every small class is hidden"
    hidden = got[got.suppressed]
    assert hidden[["students", "mean_score", "mean_z", *BANDS]].isna().all().all()


def test_district_knowledge_matches_student_knowledge(exams_lake, load_mart):
    """Per district, subject and knowledge point: the score rate and the weak share over the
    same students (those with enough evidence), from the student mart and the roster."""
    kn = load_mart("student_knowledge")
    ident = pd.read_parquet(LakePaths(exams_lake).restricted / "student_identity.parquet")
    x = kn.merge(ident[["student_key", "district_sourced_id"]], on="student_key")
    x = x[x.district_sourced_id.notna()]
    assessed = x[x.mastery_level != "insufficient"]
    exp = x.groupby(["district_sourced_id", "subject", "kp_id"]).student_key.nunique().rename("students").to_frame()
    exp = exp.join(assessed.groupby(["district_sourced_id", "subject", "kp_id"]).agg(
        students_assessed=("student_key", "nunique"), mean_score_rate=("score_rate", "mean"),
        weak_share=("mastery_level", lambda m: float((m == "weak").mean()))))
    exp["students_assessed"] = exp.students_assessed.fillna(0)

    got = load_mart("district_knowledge").set_index(["district_sourced_id", "subject", "kp_id"]).sort_index()
    assert got.index.is_unique and set(got.index) == set(exp.index)
    exp = exp.loc[got.index]
    shown = ~got.suppressed.to_numpy()
    assert shown.any()
    np.testing.assert_array_equal(got.students_assessed.to_numpy()[shown], exp.students_assessed.to_numpy()[shown])
    np.testing.assert_allclose(got.mean_score_rate.to_numpy(dtype=float)[shown], exp.mean_score_rate.to_numpy(dtype=float)[shown],
                               atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got.weak_share.to_numpy(dtype=float)[shown], exp.weak_share.to_numpy(dtype=float)[shown],
                               atol=1e-9, equal_nan=True)
    # not enough evidence is its own state: no rate and no share, never 0 %
    none_assessed = got[~got.suppressed & (got.students_assessed == 0)]
    assert none_assessed.mean_score_rate.isna().all() and none_assessed.weak_share.isna().all()
