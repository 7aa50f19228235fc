"""The exam marts' dbt tests (generic, singular integrity/value tests, unit tests) pass on
a simulated district: contracts, keys, z-score standardisation, ranks, percentiles,
top-student counts."""

from __future__ import annotations

import pytest

from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e


def test_exam_dbt_tests_pass(exams_lake, exams_dbt_dir, dbt_command):
    models = ["exam_summary", "student_exam", "top_students", "top_students_by_subject", "quality_map", "item_analysis",
              "student_knowledge", "student_ability", "int_exam_student_results", "int_student_exam_scores"]
    out = dbt_command(exams_lake, exams_dbt_dir, "test", "--select", *models)
    assert out.returncode == 0, f"dbt test failed in {DBT_PROJECT_DIR}:\n{out.stdout[-6000:]}"
    assert "exam_z_scores_standardised" in out.stdout
    assert "exam_top_n_ties_at_boundary_and_absence" in out.stdout
    assert "exam_top_n_per_subject_cohorts" in out.stdout
