"""The classification gate (issue 12): the project's dbt test
`assert_public_marts_hold_no_protected_columns`, over the project's own
`column_classification` model, fails the build on every public-mart column classified as a
direct identifier or sensitive, and on nothing else. Run by dbt on a probe project whose
marts are hand-made, so that each class is tried where it may and may not be."""

from __future__ import annotations

import json
import shutil
import subprocess

import duckdb

from orchestration.settings import DBT_PROJECT_DIR
from orchestration.transform.project import dbt_executable

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
    project = tmp_path / "project"
    (project / "models" / "marts").mkdir(parents=True)
    (project / "tests").mkdir()
    shutil.copy(DBT_PROJECT_DIR / "models" / "marts" / "governance" / "column_classification.sql",
                project / "models" / "marts")
    shutil.copy(DBT_PROJECT_DIR / "tests" / "governance" / f"{TEST}.sql", project / "tests")
    (project / "dbt_project.yml").write_text(
        "name: gate_probe\nversion: '1.0'\nconfig-version: 2\nprofile: gate_probe\n"
        "data_tests:\n  gate_probe:\n    +store_failures: true\n")
    (project / "models" / "marts" / "public_mart.sql").write_text(f"select {COLUMNS}\n")
    (project / "models" / "marts" / "restricted_mart.sql").write_text(
        "select 's' as student_sourced_id, 'none' as risk_level\n")
    (project / "models" / "marts" / "schema.yml").write_text(SCHEMA)
    warehouse = tmp_path / "probe.duckdb"
    (project / "profiles.yml").write_text(
        f"gate_probe:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{warehouse}'\n"
        "      threads: 1\n")
    done = subprocess.run([dbt_executable(), "build", "--project-dir", str(project), "--profiles-dir", str(project),
                           "--target-path", str(tmp_path / "target")],
                          capture_output=True, text=True, timeout=300, cwd=project)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results
              if r["unique_id"].startswith("test.")}
    assert status == {TEST: ("fail", 3)}, done.stdout[-3000:]
    assert done.returncode != 0  # the build fails

    with duckdb.connect(str(warehouse), read_only=True) as con:
        failing = con.execute(f"select * from main_dbt_test__audit.{TEST} order by all").fetchall()
    assert failing == [("public_mart", "fitness_grade", "sensitive_health"),
                       ("public_mart", "risk_level", "sensitive_psych"),
                       ("public_mart", "student_sourced_id", "direct_identifier")]
