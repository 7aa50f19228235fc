"""student_exam and exam_summary against pandas over the bronze exam Parquet."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.e2e


def test_student_exam_matches_bronze_recomputation(load_mart, reference):
    ref = reference["results"].set_index(["exam_id", "student_key"]).sort_index()
    got = load_mart("student_exam").set_index(["exam_id", "student_key"]).sort_index()
    assert len(got) > 500, "the tiny district should give hundreds of exam results"
    assert got.index.is_unique
    assert list(got.index) == list(ref.index), "present students per exam differ from bronze"
    np.testing.assert_allclose(got["score"], ref["score"], atol=1e-9)
    np.testing.assert_allclose(got["max_score"], ref["max_score"], atol=1e-9)
    np.testing.assert_allclose(got["z_score"], ref["z"], atol=1e-9)
    np.testing.assert_array_equal(got["district_rank"].to_numpy(), ref["rank"].to_numpy())
    np.testing.assert_allclose(got["percentile"], ref["pct"], atol=1e-12)
    assert (got["school_sourced_id"] == ref["school"]).all()


def test_student_exam_is_pseudonymous_with_ties_and_no_absentees(load_mart, reference, student_key):
    got = load_mart("student_exam")
    assert not {"student_sourced_id", "student_sourcedId", "given_name", "family_name"} & set(got.columns)
    status = reference["status"]
    away = status[status["status"] != "present"]
    assert len(away) > 0, "the simulated district has absent/exempt students"
    away_keys = set(zip(away["exam_id"], away["student_sourcedId"].map(student_key), strict=True))
    assert not away_keys & set(zip(got["exam_id"], got["student_key"], strict=True))
    ties = got.groupby(["exam_id", "district_rank"]).size()
    assert (ties > 1).any(), "expected tied scores sharing a rank"
    assert got["percentile"].between(0, 1).all()


def test_exam_summary_counts_and_statistics(load_mart, reference):
    summary = load_mart("exam_summary").set_index("exam_id").sort_index()
    status = reference["status"]
    counts = status.pivot_table(index="exam_id", columns="status", aggfunc="size", fill_value=0)
    counts = counts.reindex(index=summary.index, columns=["present", "absent", "exempt"], fill_value=0)
    scores = reference["results"].groupby("exam_id")["score"]
    assert set(summary.index) == set(reference["exams"]["exam_id"])
    for col in ("present", "absent", "exempt"):
        np.testing.assert_array_equal(summary[f"students_{col}"].to_numpy(), counts[col].to_numpy())
    assert summary["students_absent"].sum() > 0
    np.testing.assert_allclose(summary["mean_score"], scores.mean().reindex(summary.index), atol=1e-9)
    np.testing.assert_allclose(summary["sd_score"], scores.std(ddof=0).reindex(summary.index), atol=1e-9)


def test_student_marts_are_written_in_student_key_order(exams_lake):
    """Every exported mart with a student_key is sorted by it (macro export_parquet), so
    a lookup of one student reads the row groups that can hold the key, not the file."""
    import pyarrow.parquet as pq

    from orchestration.lake import LakePaths

    paths = LakePaths(exams_lake)
    checked = 0
    for path in sorted(paths.marts.glob("*.parquet")) + sorted(paths.restricted.glob("*.parquet")):
        table = pq.read_table(path)
        if "student_key" not in table.column_names or table.num_rows < 2:
            continue
        keys = table.column("student_key").to_pylist()
        assert keys == sorted(keys), f"{path.name} is not in student_key order"
        checked += 1
    assert checked >= 4, "student_exam, student_knowledge, student_ability, top_students at least"
