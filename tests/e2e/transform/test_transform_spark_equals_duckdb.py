"""The same dbt project on Spark builds the same marts as on DuckDB (issue: scale-out).

A tiny district is simulated and landed into a lake of this test's own (not the shared
pipeline's: this test then runs beside the pipeline's tests, on the other core, instead
of after them). From that one bronze, dbt runs with the environment the dbt asset gives it
(orchestration.transform.engine): on DuckDB, and on the lake's Spark standalone master
and worker that `eduhouse cluster up` starts from the installed pyspark (the command a
user runs).

- DuckDB: one full `dbt build`, the reference.
- Spark: reached the way a nightly run reaches it. A full build without the newest xAPI
  delivery (which carries late statements for earlier days) and the newest exam; then
  those come back, and one run of everything downstream of them asks for their days,
  months and exam only. The daily, monthly and exam tables overwrite just the partitions
  that run recomputes (macros/partition_configs.sql) and keep every other one from the
  first build.

Every build runs its models, data tests, unit tests, seeds and contracts. Every public
and restricted mart of the Spark build must then equal the DuckDB build's row for row,
doubles to 1e-9: no figure depends on the engine, nor on the path by which the tables
were reached. It fails loudly; nothing here is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from eduhouse_dev.mart_equality import compare_mart_folders
from eduhouse_dev.simulate.run import simulate
from orchestration.lake import LakePaths
from orchestration.landing.sources import LANDERS
from orchestration.resources import EngineResource
from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_MIN_CELL, DEFAULT_TIMEZONE, DEFAULT_TOP_N
from orchestration.transform.engine import engine_env, hive_resources_dir
from orchestration.transform.project import dbt_env, dbt_executable, prepare_lake
from orchestration.transform.publish import publish_all

pytestmark = [pytest.mark.e2e, pytest.mark.spark]  # make test-spark

def _eduhouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def spark_lake(tmp_path):
    """A landed tiny district week, with its own Spark cluster."""
    lake = tmp_path / "spark_lake"
    simulate(lake, scale="tiny", seed=42, start=date(2021, 10, 1), days=7, progress=lambda *_: None)
    for source in ("roster", "catalog", "exams", "fitness", "psych", "governance", "xapi", "access"):
        LANDERS[source](lake)
    started = _eduhouse("cluster", "up", "--lake", str(lake), "--workers", "1", "--memory-per-worker", "1g")
    try:
        assert started.returncode == 0, started.stderr
        yield lake
    finally:
        _eduhouse("cluster", "down", "--lake", str(lake))


def _dbt(lake: Path, engine: str, args: list[str], partitions: dict | None = None) -> None:
    """One dbt invocation on ``engine``, as the dbt asset makes it; every node must pass."""
    paths = LakePaths(lake)
    prepare_lake(paths)
    env = {**os.environ,
           **dbt_env(lake, DEFAULT_TIMEZONE, DEFAULT_MIN_CELL, DEFAULT_TOP_N),
           **engine_env(EngineResource(name=engine), paths),
           "EDUHOUSE_DBT_PARTITIONS": json.dumps(partitions) if partitions else "",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = lake / "ops" / "dbt" / f"target-{engine}"
    build = subprocess.run(
        [dbt_executable(), *args, "--target", "spark" if engine == "spark" else "dev",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(target)],
        env=env, capture_output=True, text=True, timeout=1200)
    results = json.loads((target / "run_results.json").read_text())["results"]
    broken = [(r["unique_id"], r["status"], (r.get("message") or "")[:300])
              for r in results if r["status"] not in ("success", "pass")]
    assert build.returncode == 0 and not broken, (engine, args, broken, build.stdout[-3000:])
    if args == ["build"]:
        assert {"model", "test", "unit_test", "seed"} <= {r["unique_id"].split(".")[0] for r in results}
    assert publish_all(paths)


def _collect(lake: Path, engine: str) -> Path:
    """The lake's published marts, moved to ``<lake>/built-<engine>/{marts,restricted}``."""
    out = lake / f"built-{engine}"
    for area in ("marts", "restricted"):
        (out / area).mkdir(parents=True)
        for mart in (lake / area).glob("*.parquet"):
            mart.rename(out / area / mart.name)
    return out


def _hold_back(lake: Path, away: Path) -> dict:
    """Move the newest xAPI delivery's and the newest exam's bronze files to ``away``;
    return the partitions a run adding them back asks for."""
    statements = lake / "bronze" / "xapi" / "statements"
    newest = max(f.name for f in statements.glob("local_date=*/*.parquet"))
    files = sorted(statements.glob(f"local_date=*/{newest}"))
    dates = sorted(f.parent.name.removeprefix("local_date=") for f in files)
    exams = lake / "bronze" / "exams"
    exam_file = max((f for f in (exams / "exam_scores").glob("*.parquet") if "resend" not in f.name),
                    key=lambda f: f.name)
    exam_id = duckdb.sql(f"select distinct exam_id from '{exam_file}'").fetchall()[0][0]
    files += sorted(exams.glob(f"*/{exam_file.name}"))
    moved = {}
    for i, f in enumerate(files):
        moved[f] = away / f"{i}.parquet"
        moved[f].parent.mkdir(parents=True, exist_ok=True)
        f.rename(moved[f])
    return {"moved": moved,
            "partitions": {"partition_dates": {"start": dates[0], "end": dates[-1]},
                           "partition_months": {"start": dates[0][:7], "end": dates[-1][:7]},
                           "partition_exams": [exam_id]}}


def _hive_resources_in_temp() -> set[Path]:
    """Hive's per-session resources folders in the JVM's temp folder, its default place
    (java.io.tmpdir: /tmp on Linux, whatever TMPDIR says)."""
    return set(Path("/tmp").glob("*_resources"))


def test_every_mart_built_on_spark_equals_the_duckdb_build(spark_lake, tmp_path):
    in_temp_before = _hive_resources_in_temp()
    status = _eduhouse("cluster", "status", "--lake", str(spark_lake), "--json")
    assert json.loads(status.stdout)["alive_workers"] == 1

    _dbt(spark_lake, "duckdb", ["build"])
    on_duckdb = _collect(spark_lake, "duckdb")

    held = _hold_back(spark_lake, tmp_path / "held")
    _dbt(spark_lake, "spark", ["build"])
    for original, away in held["moved"].items():
        away.rename(original)
    # `run`, not `build`: the tests of these models passed in the full build, and the
    # marts' equality below is the check of this run.
    _dbt(spark_lake, "spark", ["run", "--select", "source:xapi+", "source:exams+"], held["partitions"])
    on_spark = _collect(spark_lake, "spark")
    # The executors ran on the cluster's worker, not in the driver.
    assert any((spark_lake / "ops" / "spark" / "work").glob("app-*")), "no application ran on the cluster"
    # dbt's Hive sessions kept their resources folder in the lake, not in the machine's /tmp
    assert hive_resources_dir(LakePaths(spark_lake)).is_dir()
    assert _hive_resources_in_temp() - in_temp_before == set()

    for area in ("marts", "restricted"):
        compared, differences = compare_mart_folders(on_duckdb / area, on_spark / area)
        assert compared >= (15 if area == "marts" else 10)
        assert not differences, "\n".join(str(d) for d in differences)
