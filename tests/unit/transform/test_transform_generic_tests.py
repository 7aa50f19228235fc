"""The project's own generic data tests (dbt_project/macros/test_*.sql, and its hash-first
implementation of dbt's `unique`), run by dbt on a probe project of hand-made tables:
they must fail exactly on the rows they name."""

from __future__ import annotations

import json
import shutil
import subprocess

import duckdb

from orchestration.settings import DBT_PROJECT_DIR
from orchestration.transform.project import dbt_executable

MODELS = {
    # (a, b) repeats for (1, 'x') and for (NULL, 'y'): a NULL is one value to a grain
    "repeats": "select * from (values (1, 'x'), (1, 'x'), (2, 'x'), (1, 'y'), (null, 'y'), (null, 'y'), (3, null))"
               " as t(a, b)",
    "unique_rows": "select range as a, 'k' || range as b from range(10000)",
}
SCHEMA = """
version: 2
models:
- name: repeats
  data_tests:
  - unique_combination: {name: grain_repeats, arguments: {columns: [a, b]}, config: {store_failures: true}}
  columns:
  - name: a
    data_tests:
    - unique: {name: unique_repeats_a, config: {store_failures: true}}
- name: unique_rows
  data_tests:
  - unique_combination: {name: grain_unique_rows, arguments: {columns: [a, b]}, config: {store_failures: true}}
  columns:
  - name: b
    data_tests:
    - unique: {name: unique_rows_b, config: {store_failures: true}}
"""


def test_grain_and_unique_tests_fail_on_each_repeated_key_and_only_those(tmp_path):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "macros").mkdir()
    for macro in ("test_unique_combination.sql", "test_unique.sql"):
        shutil.copy(DBT_PROJECT_DIR / "macros" / macro, project / "macros")
    (project / "dbt_project.yml").write_text("name: grain_probe\nversion: '1.0'\nconfig-version: 2\nprofile: grain_probe\n")
    for name, sql in MODELS.items():
        (project / "models" / f"{name}.sql").write_text("{{ config(materialized='table') }}\n" + sql + "\n")
    (project / "models" / "schema.yml").write_text(SCHEMA)
    warehouse = tmp_path / "probe.duckdb"
    (project / "profiles.yml").write_text(
        f"grain_probe:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{warehouse}'\n"
        "      threads: 1\n")
    done = subprocess.run([dbt_executable(), "build", "--project-dir", str(project), "--profiles-dir", str(project),
                           "--target-path", str(tmp_path / "target")],
                          capture_output=True, text=True, timeout=300, cwd=project)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results
              if r["unique_id"].startswith("test.")}
    # unique: a repeats as 1 (three rows) and NULL (two), and NULLs are not tested (dbt's rule)
    assert status == {"grain_repeats": ("fail", 2), "grain_unique_rows": ("pass", 0),
                      "unique_repeats_a": ("fail", 1), "unique_rows_b": ("pass", 0)}, done.stdout[-3000:]

    with duckdb.connect(str(warehouse), read_only=True) as con:
        failing = con.execute("select a, b, n_rows from main_dbt_test__audit.grain_repeats order by all").fetchall()
        repeated = con.execute("select * from main_dbt_test__audit.unique_repeats_a").fetchall()
    assert failing == [(1, "x", 2), (None, "y", 2)]
    assert repeated == [(1, 3)]
    compiled = next((tmp_path / "target" / "compiled").rglob("unique_repeats_a.sql")).read_text()
    assert "repeated_hashes" in compiled  # the project's implementation, not dbt's own
