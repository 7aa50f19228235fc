"""top_students and top_students_by_subject against pandas over the bronze exam Parquet
(top_n = 10 in these tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e


def _sitting_results(reference) -> pd.DataFrame:
    """Each student's total per sitting (exam.csv's sitting_id within the exam's grade, else
    one grade's exams of one kind, session and date), when present in every exam of it (a 总分 exam's score when one
    is delivered), and the competition rank by total within the sitting."""
    exams = reference["exams"].copy()
    given = exams["sitting_id"] if "sitting_id" in exams else pd.Series(None, index=exams.index, dtype=object)
    derived = (exams["grade"].astype(str) + "|" + exams["kind"].str.strip().str.lower() + "|" + exams["academic_session"]
               + "|" + exams["exam_date"].astype(str))
    exams["sitting_id"] = (given.astype(str).str.strip() + "|" + exams["grade"].astype(str)).where(
        given.notna() & (given.astype(str).str.strip() != ""), derived)
    res = reference["results"][["exam_id", "student_key", "score"]].merge(
        exams[["exam_id", "sitting_id", "subject", "org_sourcedId", "grade", "academic_session", "exam_date"]], on="exam_id")
    total_exam = res["subject"] == "总分"
    has_total = res.groupby("sitting_id")["subject"].transform(lambda s: (s == "总分").any())
    res = res[total_exam == has_total]
    subjects = exams[exams["subject"] != "总分"].groupby("sitting_id").size()
    per = res.groupby(["sitting_id", "student_key"]).agg(
        total=("score", "sum"), sat=("exam_id", "nunique"), org=("org_sourcedId", "first"), grade=("grade", "first"),
        academic_session=("academic_session", "first"), exam_date=("exam_date", "min")).reset_index()
    whole = per["sitting_id"].map(has_total.groupby(res["sitting_id"]).first()).fillna(False).astype(bool)
    per = per[whole | (per["sat"] == per["sitting_id"].map(subjects))]
    per["rank"] = per.groupby("sitting_id")["total"].rank(method="min", ascending=False)
    return per, exams


def _expected(reference, top_n: int, by_subject: bool) -> pd.DataFrame:
    """The cohort of docs/domain.md (grade x session of the district): its sittings ranked by
    total for top_students, one subject's exams for the per-subject view; a student ranked
    in two districts in one cohort keeps the district of their latest unit."""
    if by_subject:
        exams = reference["exams"].rename(columns={"org_sourcedId": "org"})
        cohort = ["grade", "academic_session", "subject"]
        ranked = exams[exams.exam_id.isin(reference["results"].exam_id)]  # a unit nobody sat is no unit
        k = ranked.groupby(["org", *cohort]).size().rename("k")
        res = reference["results"][["exam_id", "student_key", "rank"]].merge(
            exams[["exam_id", "org", "exam_date", *cohort]], on="exam_id").rename(columns={"exam_id": "unit"})
    else:
        sittings, exams = _sitting_results(reference)
        cohort = ["grade", "academic_session"]
        units = exams[exams.sitting_id.isin(sittings.sitting_id)].groupby("sitting_id").agg(org=("org_sourcedId", "first"), grade=("grade", "first"),
                                                academic_session=("academic_session", "first"))
        k = units.groupby(["org", *cohort]).size().rename("k")
        res = sittings.rename(columns={"sitting_id": "unit"})[["unit", "student_key", "rank", "org", "exam_date", *cohort]]
    res["top"] = res["rank"] <= top_n
    per = res.groupby(["org", *cohort, "student_key"]).agg(
        taken=("unit", "nunique"), in_top=("top", "sum"), last=("exam_date", "max")).reset_index()
    per = per.sort_values(["last", "taken", "org"]).drop_duplicates([*cohort, "student_key"], keep="last")
    per = per.merge(k.reset_index(), on=["org", *cohort])
    per["cohort_students"] = per.groupby(["org", *cohort]).student_key.transform("nunique")
    per["in_all"] = per["in_top"] == per["k"]
    per["in_all_but_one"] = per["in_top"] >= per["k"] - 1
    return per.set_index([*cohort, "student_key"]).sort_index()


def _compare(got: pd.DataFrame, exp: pd.DataFrame, top_n: int, unit: str) -> None:
    got = got.set_index(list(exp.index.names)).sort_index()
    assert got.index.is_unique
    assert list(got.index) == list(exp.index), "cohort members differ from bronze"
    np.testing.assert_array_equal(got["org_sourced_id"].to_numpy(), exp["org"].to_numpy())
    np.testing.assert_array_equal(got[f"cohort_{unit}s"].to_numpy(), exp["k"].to_numpy())
    np.testing.assert_array_equal(got[f"{unit}s_taken"].to_numpy(), exp["taken"].to_numpy())
    np.testing.assert_array_equal(got[f"{unit}s_in_top_n"].to_numpy(), exp["in_top"].to_numpy())
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
    _compare(got, _expected(reference, top_n, by_subject=False), top_n, "sitting")


def test_top_students_by_subject_matches_bronze_recomputation(load_mart, reference, top_n):
    _compare(load_mart("top_students_by_subject"), _expected(reference, top_n, by_subject=True), top_n, "exam")


def test_top_students_boundary_ties_and_grade12_cohort(load_mart, reference, top_n):
    """Ties at rank top_n keep everyone tied (more than N students can be 'in the top N'),
    and grade 12's four sittings form the seed's 'all 4' cohort (each with every subject)."""
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
    assert (everyone["sittings_taken"] >= 1).all()
    assert (everyone["sittings_in_top_n"] <= everyone["sittings_taken"]).all()
    assert (everyone.loc[everyone["grade"] == "12", "cohort_sittings"] == 4).all()
