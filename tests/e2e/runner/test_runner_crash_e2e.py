"""A run that dies is finished by the next one, with nothing lost and nothing doubled.

The same district as the shared `pipeline` fixture (same simulator arguments, so the same
inbox) is run through `eduhouse run` as a user runs it, in a subprocess, and killed with
SIGKILL at seven moments in turn: after a delivery's bronze is written but before its
ledger row, between a Parquet write and its rename, after the last delivery's ledger row
but before the landing's checks (nothing is left pending, yet the checks that prove
nothing was lost must still run), inside each dbt partitioning (daily, exam, monthly) and
while rendering the role reports. `status` must call each death a failure, a
second run must be refused while the lake is locked, and the run after the kills must
produce the very marts, restricted marts and ledger of the uninterrupted run, row for
row (EXCEPT ALL both ways).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.runner.recovery import lake_lock

pytestmark = pytest.mark.e2e

EDUHOUSE = [sys.executable, "-m", "orchestration.cli"]


def _eduhouse(lake: Path, *args: str, fault: str | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "EDUHOUSE_FAULT_AT")}
    env["EDUHOUSE_LAKE"] = str(lake)  # the lake comes from the environment, as the CLI promises
    if fault:
        env["EDUHOUSE_FAULT_AT"] = fault
    return subprocess.run([*EDUHOUSE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _tables(root: Path) -> dict[str, str]:
    """Every Parquet table under `root`, by its folder (a partitioned table is one table)."""
    tables: dict[str, str] = {}
    for file in root.rglob("*.parquet"):
        rel = file.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        tables[rel.parts[0]] = f"{root / rel.parts[0]}/**/*.parquet" if len(rel.parts) > 1 else str(file)
    return tables


# When a row was written, not what it says: differs between any two runs.
LOAD_TIME = {"_landed_at", "quarantined_at"}


def _normal(value):
    """A value with its doubles rounded to 9 places (sums in another order differ in the
    last bits), nested lists and structs included."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list):
        return tuple(_normal(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _normal(v)) for k, v in value.items())
    return value


def _rows(pattern: str) -> Counter:
    con = duckdb.connect()
    relation = con.sql(f"from read_parquet('{pattern}', union_by_name=true, hive_partitioning=false)")
    columns = ", ".join(f'"{c}"' for c in sorted(relation.columns) if c not in LOAD_TIME)
    return Counter(tuple(_normal(v) for v in row) for row in relation.select(columns).fetchall())


def _differences(a: str, b: str) -> tuple[int, int]:
    """Rows only in `a`, rows only in `b` (multisets: EXCEPT ALL both ways)."""
    ours, theirs = _rows(a), _rows(b)
    return sum((ours - theirs).values()), sum((theirs - ours).values())


@pytest.fixture(scope="module")
def crashed_lake(tmp_path_factory, pipeline) -> Path:
    lake = tmp_path_factory.mktemp("crash") / "lake"
    simulate(lake, scale="tiny", seed=42, start=date(2021, 10, 1), days=7, progress=lambda *_: None)
    # Compared row for row with the pipeline lake: the same pseudonym key, or every
    # student_key would differ (each lake draws its own).
    secrets = lake / "ops" / "secrets"
    secrets.mkdir(parents=True, exist_ok=True)
    os.chmod(secrets, 0o700)
    shutil.copy(pipeline.lake / "ops" / "secrets" / "pseudonym.key", secrets / "pseudonym.key")
    os.chmod(secrets / "pseudonym.key", 0o600)
    return lake


def test_a_killed_run_is_finished_by_the_next(pipeline, crashed_lake):
    lake = crashed_lake

    # 1. Killed between a delivery's bronze and its ledger row.
    died = _eduhouse(lake, "run", fault="landing:xapi")
    assert died.returncode == -9, died.stderr[-2000:]
    status = _eduhouse(lake, "status")
    assert status.returncode == 1 and "died" in status.stdout, status.stdout

    # 2. While the lake is locked, a second run is refused with one line, not queued
    #    silently and not run twice.
    with lake_lock(lake, wait=False, what="test"):
        refused = _eduhouse(lake, "run")
    assert refused.returncode == 2, refused.stderr
    assert "another eduhouse run" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    # 3. Killed at every later stage in turn, each time by the run that was finishing the
    #    previous one's work: a Parquet file written but not renamed, then as the learning
    #    logs' conservation check starts (every delivery landed and ledgered: the next run
    #    has nothing to land but must run the landing's checks), inside each dbt
    #    partitioning (daily, exam, monthly), then while rendering the role reports.
    for fault in ("parquet:", "step:bronze__xapi_conservation", "dbt:intermediate/int_activity_daily",
                  "dbt:marts/student_exam", "dbt:marts/usage_monthly", "step:role_reports"):
        died = _eduhouse(lake, "run", fault=fault)
        assert died.returncode == -9, (fault, died.stderr[-2000:])
        if fault.startswith("dbt:intermediate"):  # the run after the conservation kill
            assert "before its checks had all run; running it again" in died.stderr, died.stderr[-3000:]
            assert "✓ check bronze/xapi:conservation" in died.stderr, died.stderr[-3000:]
        status = _eduhouse(lake, "status")
        assert status.returncode == 1 and "did not finish its plan" in status.stdout, (fault, status.stdout)
        assert "of its runs had finished" in status.stdout, status.stdout

    # 4. The next run finishes everything; the one after has nothing to do.
    finished = _eduhouse(lake, "run")
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    # It resumed where the last one died: the stages that run finished are not redone.
    assert "done before the run that started it died" in finished.stderr
    # What a user reads is the run's own lines: no library's warnings or log records
    # (Dagster's beta notices, GX's INFO from the run worker).
    noise = [line for line in (finished.stdout + finished.stderr).splitlines()
             if "Warning:" in line or line.startswith(("INFO:", "WARNING:"))]
    assert not noise, noise[:5]
    status = _eduhouse(lake, "status")
    assert status.returncode == 0, status.stdout
    again = _eduhouse(lake, "run")
    assert again.returncode == 0 and "up to date" in again.stderr, again.stderr[-2000:]

    # 5. The same outputs as the run that never died.
    for folder in ("marts", "restricted", "ledger", "bronze", "quarantine"):
        ours, theirs = _tables(lake / folder), _tables(pipeline.lake / folder)
        assert ours.keys() == theirs.keys(), folder
        for name in sorted(ours):
            if folder == "ledger":
                continue  # timestamps and durations differ; compared below by their counts
            assert _differences(ours[name], theirs[name]) == (0, 0), f"{folder}/{name}"
    counts = (
        "select source, status, count(*), sum(records_in), sum(landed), sum(quarantined) "
        "from read_parquet('{}/ledger/*/*.parquet', union_by_name=true) group by all order by all"
    )
    con = duckdb.connect()
    assert con.execute(counts.format(lake)).fetchall() == con.execute(counts.format(pipeline.lake)).fetchall()


def test_a_killed_backfill_is_finished_by_the_next_run(crashed_lake):
    """A backfill killed in its monthly models left its downstream to nobody: the next
    `eduhouse run` found nothing new and called every asset up to date (the operations
    probe). The backfill writes its plan first; the run after it builds it."""
    lake = crashed_lake  # built and up to date: the test above ends with a run that does nothing
    died = _eduhouse(lake, "backfill", "--from", "2021-10-02", "--to", "2021-10-03",
                     fault="dbt:marts/usage_monthly")
    assert died.returncode == -9, died.stderr[-2000:]
    status = _eduhouse(lake, "status")
    assert status.returncode == 1 and "which did not finish, left" in status.stdout, status.stdout
    finished = _eduhouse(lake, "run")
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "which did not finish, landed and left to the next run (2021-10-02..2021-10-03)" in finished.stderr
    assert "monthly models 2021-10..2021-10" in finished.stderr, finished.stderr[-3000:]
    assert _eduhouse(lake, "status").returncode == 0
