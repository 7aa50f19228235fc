"""Run the project's dbt against a throw-away lake, with its own target folder so tests
never disturb dbt_project/target (Dagster's manifest) or each other."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.lake import LakePaths
from orchestration.resources import EngineResource
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.transform.engine import engine_env
from orchestration.transform.project import dbt_executable, prepare_lake

# Part A's marts and everything upstream of them.
CORE_SELECTION = ["+usage_monthly", "+microtest_monthly", "+student_identity", "+staff_scope", "+org_hierarchy"]


def run_dbt(lake: Path, args: list[str], target: Path, timeout: int = 300,
            partitions: dict | None = None, min_cell: int | None = None,
            engine: str = "duckdb") -> subprocess.CompletedProcess:
    """``partitions``: the partition request Dagster would pass (EDUHOUSE_DBT_PARTITIONS).
    ``min_cell``: the small-cell size (EDUHOUSE_MIN_CELL); 1 shows every group, for tests
    of the counting on a handful of hand-made people. ``engine`` ``spark``: the profile's
    spark target with the environment the dbt asset gives it, on an in-process
    ``local[2]`` Spark (the SQL under test is the same on a cluster)."""
    prepare_lake(LakePaths(lake))
    env = {
        **os.environ,
        "EDUHOUSE_DBT_PARTITIONS": json.dumps(partitions or {}),
        "EDUHOUSE_LAKE": str(lake),
        "EDUHOUSE_TZ": "Asia/Shanghai",
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # As Dagster runs dbt: a test runs only when every model it reads was selected.
        "DBT_INDIRECT_SELECTION": "cautious",
    }
    env.pop("EDUHOUSE_PSEUDONYM_SECRET", None)
    if engine == "spark":
        env.update(engine_env(EngineResource(name="spark", spark_master="local[2]"), LakePaths(lake)))
    if min_cell is not None:
        env["EDUHOUSE_MIN_CELL"] = str(min_cell)
    result = subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result


def build_core(lake: Path, target: Path, extra: list[str] | None = None,
               min_cell: int | None = None) -> subprocess.CompletedProcess:
    """dbt build of part A's models and the tests whose parents are all among them."""
    return run_dbt(lake, ["build", "--select", *CORE_SELECTION, "--indirect-selection", "cautious", *(extra or [])], target,
                   min_cell=min_cell)


def run_core(lake: Path, target: Path, partitions: dict | None = None,
             min_cell: int | None = None) -> subprocess.CompletedProcess:
    """dbt run (models only, no tests) of part A's models: for tests about what runs."""
    return run_dbt(lake, ["run", "--select", *CORE_SELECTION], target, partitions=partitions, min_cell=min_cell)
