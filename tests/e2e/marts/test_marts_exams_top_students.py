"""top_students and top_students_by_subject against pandas over the bronze exam Parquet
(top_n = 10 in these tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e


def _expected(reference, top_n: int, by_subject: bool) -> pd.DataFrame:
    """The cohort of docs/domain.md (grade x session, the district's exams), or per subject; a student
    with exams of two districts in one cohort keeps the district of their latest exam."""
    exams = reference["exams"].rename(columns={"org_sourcedId": "org"})
    cohort = ["grade", "academic_session"] + (["subject"] if by_subject else [])
    k = exams.groupby(["org", *cohort]).size().rename("k")
    res = reference["results"][["exam_id", "student_key", "rank"]].merge(
        exams[["exam_id", "org", "exam_date", *cohort]], on="exam_id")
    res["top"] = res["rank"] <= top_n
    per = res.groupby(["org", *cohort, "student_key"]).agg(
        taken=("exam_id", "nunique"), in_top=("top", "sum"), last=("exam_date", "max")).reset_index()
    per = per.sort_values(["last", "taken", "org"]).drop_duplicates([*cohort, "student_key"], keep="last")
    per = per.merge(k.reset_index(), on=["org", *cohort])
    per["cohort_students"] = per.groupby(["org", *cohort]).student_key.transform("nunique")
    per["in_all"] = per["in_top"] == per["k"]
    per["in_all_but_one"] = per["in_top"] >= per["k"] - 1
    return per.set_index([*cohort, "student_key"]).sort_index()


def _compare(got: pd.DataFrame, exp: pd.DataFrame, top_n: int) -> None:
    got = got.set_index(list(exp.index.names)).sort_index()
    assert got.index.is_unique
    assert list(got.index) == list(exp.index), "cohort members differ from bronze"
    np.testing.assert_array_equal(got["org_sourced_id"].to_numpy(), exp["org"].to_numpy())
    np.testing.assert_array_equal(got["cohort_exams"].to_numpy(), exp["k"].to_numpy())
    np.testing.assert_array_equal(got["exams_taken"].to_numpy(), exp["taken"].to_numpy())
    np.testing.assert_array_equal(got["exams_in_top_n"].to_numpy(), exp["in_top"].to_numpy())
    np.testing.assert_array_equal(got["in_all"].to_numpy(), exp["in_all"].to_numpy())
    np.testing.assert_array_equal(got["in_all_but_one"].to_numpy(), exp["in_all_but_one"].to_numpy())
    assert (got["top_n"] == top_n).all()
    np.testing.assert_array_equal(got["cohort_students"].to_numpy(), exp["cohort_students"].to_numpy())
    np.testing.assert_array_equal(got["top_n_covers_cohort"].to_numpy(), (exp["cohort_students"] <= top_n).to_numpy())


def test_top_students_matches_bronze_recomputation(load_mart, reference, top_n):
    """One row per grade x session x student_key (the public contract's grain), no subject."""
    got = load_mart("top_students")
    assert "subject" not in got.columns
    assert not got.duplicated(["grade", "academic_session", "student_key"]).any()
    _compare(got, _expected(reference, top_n, by_subject=False), top_n)


def test_top_students_by_subject_matches_bronze_recomputation(load_mart, reference, top_n):
    _compare(load_mart("top_students_by_subject"), _expected(reference, top_n, by_subject=True), top_n)


def test_top_students_boundary_ties_and_grade12_cohort(load_mart, reference, top_n):
    """Ties at rank top_n keep everyone tied (more than N students can be 'in the top N'),
    and grade 12's four sittings per subject form the seed's 'all 4' cohorts."""
    res = reference["results"]
    in_top = res[res["rank"] <= top_n].groupby("exam_id").size()
    sizes = res.groupby("exam_id").size()
    # everyone tied at the boundary is in: at least min(N, n) students per exam, more on a tie
    assert (in_top >= np.minimum(top_n, sizes.reindex(in_top.index))).all()
    by_subject = load_mart("top_students_by_subject")
    g12 = by_subject[(by_subject["grade"] == "12") & (by_subject["subject"] == "math")]
    assert len(g12) > 0 and (g12["cohort_exams"] == 4).all()
    assert g12["in_all"].sum() <= g12["in_all_but_one"].sum()
    everyone = load_mart("top_students")
    assert (everyone["exams_taken"] >= 1).all()
    assert (everyone["exams_in_top_n"] <= everyone["exams_taken"]).all()
    n_subjects = reference["exams"].loc[reference["exams"]["grade"] == "12", "subject"].nunique()
    assert (everyone.loc[everyone["grade"] == "12", "cohort_exams"] == 4 * n_subjects).all()
