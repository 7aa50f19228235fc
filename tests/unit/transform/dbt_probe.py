"""A throwaway dbt project on DuckDB, to try the project's own test macros and singular
tests on hand-made tables: each test writes its models and copies what it tries; this
writes the project's two files, runs dbt in it and reads what each data test gave."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.transform.project import dbt_executable


@dataclass(frozen=True)
class Probe:
    root: Path  # the test's tmp_path
    name: str

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def warehouse(self) -> Path:
        return self.root / "probe.duckdb"

    def run(self, *commands: str) -> tuple[dict[str, tuple[str, int]], str]:
        """Each dbt command in turn; every data test's (status, failures) by name, and the
        last command's output (for an assertion's message)."""
        target = self.root / "target"
        for command in commands:
            done = subprocess.run([dbt_executable(), command, "--project-dir", str(self.project),
                                   "--profiles-dir", str(self.project), "--target-path", str(target)],
                                  capture_output=True, text=True, timeout=300, cwd=self.project)
        results = json.loads((target / "run_results.json").read_text())["results"]
        status = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results
                  if r["unique_id"].startswith("test.")}
        return status, done.stdout[-3000:]

    def failing_rows(self, test: str, sql: str = "select * from {t} order by all") -> list[tuple]:
        """The rows a test stored (store_failures) in the probe's warehouse."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql.format(t=f"main_dbt_test__audit.{test}")).fetchall()


def make_probe(tmp_path: Path, name: str) -> Probe:
    """An empty project `name` with models/, macros/ and tests/ folders: models as tables,
    data tests storing their failing rows."""
    probe = Probe(tmp_path, name)
    for folder in ("models", "macros", "tests"):
        (probe.project / folder).mkdir(parents=True, exist_ok=True)
    (probe.project / "dbt_project.yml").write_text(
        f"name: {name}\nversion: '1.0'\nconfig-version: 2\nprofile: {name}\n"
        f"models:\n  {name}:\n    +materialized: table\n"
        f"data_tests:\n  {name}:\n    +store_failures: true\n")
    (probe.project / "profiles.yml").write_text(
        f"{name}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{probe.warehouse}'\n"
        "      threads: 1\n")
    return probe
