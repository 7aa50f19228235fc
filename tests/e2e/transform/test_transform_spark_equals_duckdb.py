"""The same dbt project on Spark builds the same marts as on DuckDB (issue: scale-out).

The tiny district's bronze, landed by the shared pipeline run, is copied into a lake of
its own (other tests of the pipeline group go on landing days into the shared lake, so
its marts are not the reference). From that one copy, `dbt build` runs twice, with the
environment the dbt asset gives it (orchestration.transform.engine): on DuckDB, and on
the lake's Spark standalone master and worker that `eduhouse cluster up` starts from the
installed pyspark (the command a user runs). Each build runs every model, data test,
seed and contract. Every public and restricted mart of the Spark build must then equal
the DuckDB build's row for row, doubles to 1e-9: no figure depends on the engine. It
fails loudly; nothing here is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eduhouse_dev.mart_equality import compare_mart_folders
from orchestration.lake import LakePaths
from orchestration.resources import EngineResource
from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_MIN_CELL, DEFAULT_TIMEZONE, DEFAULT_TOP_N
from orchestration.transform.engine import engine_env
from orchestration.transform.project import dbt_env, dbt_executable, prepare_lake
from orchestration.transform.publish import publish_all


def _eduhouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def spark_lake(pipeline, tmp_path):
    """A lake holding the pipeline's bronze and pseudonym key, with its own Spark cluster."""
    lake = tmp_path / "spark_lake"
    source = LakePaths(pipeline.lake)
    shutil.copytree(source.bronze, lake / "bronze")
    shutil.copytree(source.ops / "secrets", lake / "ops" / "secrets")
    started = _eduhouse("cluster", "up", "--lake", str(lake), "--workers", "1", "--memory-per-worker", "1g")
    try:
        assert started.returncode == 0, started.stderr
        yield lake
    finally:
        _eduhouse("cluster", "down", "--lake", str(lake))


def _build(lake: Path, engine: str) -> Path:
    """A full `dbt build` of ``lake`` on ``engine``; its marts published, then moved to
    ``<lake>/built-<engine>/{marts,restricted}``."""
    paths = LakePaths(lake)
    prepare_lake(paths)
    env = {**os.environ,
           **dbt_env(lake, DEFAULT_TIMEZONE, DEFAULT_MIN_CELL, DEFAULT_TOP_N),
           **engine_env(EngineResource(name=engine), paths),
           "EDUHOUSE_DBT_PARTITIONS": "", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = lake / "ops" / "dbt" / f"target-{engine}"
    build = subprocess.run(
        [dbt_executable(), "build", "--target", "spark" if engine == "spark" else "dev",
         "--exclude-resource-type", "unit_test",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(target)],
        env=env, capture_output=True, text=True, timeout=1200)
    results = json.loads((target / "run_results.json").read_text())["results"]
    broken = [(r["unique_id"], r["status"], (r.get("message") or "")[:300])
              for r in results if r["status"] not in ("success", "pass")]
    assert build.returncode == 0 and not broken, (engine, broken, build.stdout[-3000:])
    assert {"model", "test", "seed"} <= {r["unique_id"].split(".")[0] for r in results}
    assert publish_all(paths)
    out = lake / f"built-{engine}"
    for area in ("marts", "restricted"):
        (out / area).mkdir(parents=True)
        for mart in (lake / area).glob("*.parquet"):
            mart.rename(out / area / mart.name)
    return out


def test_every_mart_built_on_spark_equals_the_duckdb_build(spark_lake):
    status = _eduhouse("cluster", "status", "--lake", str(spark_lake), "--json")
    assert json.loads(status.stdout)["alive_workers"] == 1

    on_duckdb = _build(spark_lake, "duckdb")
    on_spark = _build(spark_lake, "spark")
    # The executors ran on the cluster's worker, not in the driver.
    assert any((spark_lake / "ops" / "spark" / "work").glob("app-*")), "no application ran on the cluster"

    for area in ("marts", "restricted"):
        compared, differences = compare_mart_folders(on_duckdb / area, on_spark / area)
        assert compared >= (15 if area == "marts" else 10)
        assert not differences, "\n".join(str(d) for d in differences)
