"""The project's own generic data tests (dbt_project/macros/test_*.sql, and its hash-first
implementation of dbt's `unique`), run by dbt on a probe project of hand-made tables:
they must fail exactly on the rows they name."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

sys.path.insert(0, str(Path(__file__).parent))
from dbt_probe import make_probe  # noqa: E402

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
    probe = make_probe(tmp_path, "grain_probe")
    for macro in ("test_unique_combination.sql", "test_unique.sql"):
        shutil.copy(DBT_PROJECT_DIR / "macros" / macro, probe.project / "macros")
    for name, sql in MODELS.items():
        (probe.project / "models" / f"{name}.sql").write_text(sql + "\n")
    (probe.project / "models" / "schema.yml").write_text(SCHEMA)
    status, output = probe.run("build")
    # unique: a repeats as 1 (three rows) and NULL (two), and NULLs are not tested (dbt's rule)
    assert status == {"grain_repeats": ("fail", 2), "grain_unique_rows": ("pass", 0),
                      "unique_repeats_a": ("fail", 1), "unique_rows_b": ("pass", 0)}, output

    assert probe.failing_rows("grain_repeats", "select a, b, n_rows from {t} order by all") == [(1, "x", 2), (None, "y", 2)]
    assert probe.failing_rows("unique_repeats_a") == [(1, 3)]
    compiled = next((tmp_path / "target" / "compiled").rglob("unique_repeats_a.sql")).read_text()
    assert "repeated_hashes" in compiled  # the project's implementation, not dbt's own
