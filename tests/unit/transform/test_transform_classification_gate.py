"""The classification gate (issue 12): the project's dbt test
`assert_public_marts_hold_no_protected_columns`, over the project's own
`column_classification` model, fails the build on every public-mart column classified as a
direct identifier or sensitive, and on nothing else. Run by dbt on a probe project whose
marts are hand-made, so that each class is tried where it may and may not be."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

sys.path.insert(0, str(Path(__file__).parent))
from dbt_probe import make_probe  # noqa: E402

TEST = "assert_public_marts_hold_no_protected_columns"
SCHEMA = """
version: 2
models:
- name: public_mart
  config: {meta: {exposure: public}}
  columns:
  - {name: student_key, meta: {classification: pseudonymous}}
  - {name: student_sourced_id, meta: {classification: direct_identifier}}
  - {name: fitness_grade, meta: {classification: sensitive_health}}
  - {name: risk_level, meta: {classification: sensitive_psych}}
  - {name: students, meta: {classification: aggregate}}
  - {name: grade, meta: {classification: minor}}
- name: restricted_mart
  config: {meta: {exposure: restricted}}
  columns:
  - {name: student_sourced_id, meta: {classification: direct_identifier}}
  - {name: risk_level, meta: {classification: sensitive_psych}}
"""
COLUMNS = "'k' as student_key, 's' as student_sourced_id, 'A' as fitness_grade, 'none' as risk_level, " \
          "1 as students, '07' as grade"


def test_a_public_mart_fails_the_build_on_each_identifying_or_sensitive_column(tmp_path):
    probe = make_probe(tmp_path, "gate_probe")
    marts = probe.project / "models" / "marts"
    marts.mkdir()
    shutil.copy(DBT_PROJECT_DIR / "models" / "marts" / "governance" / "column_classification.sql", marts)
    shutil.copy(DBT_PROJECT_DIR / "tests" / "governance" / f"{TEST}.sql", probe.project / "tests")
    (marts / "public_mart.sql").write_text(f"select {COLUMNS}\n")
    (marts / "restricted_mart.sql").write_text("select 's' as student_sourced_id, 'none' as risk_level\n")
    (marts / "schema.yml").write_text(SCHEMA)
    status, output = probe.run("build")
    assert status == {TEST: ("fail", 3)}, output  # the build fails
    assert probe.failing_rows(TEST) == [("public_mart", "fitness_grade", "sensitive_health"),
                                        ("public_mart", "risk_level", "sensitive_psych"),
                                        ("public_mart", "student_sourced_id", "direct_identifier")]
