"""A district that delivers rosters, exams and surveys but no learning logs (no xAPI, no
access log) builds every mart it can: the daily and monthly models exist, empty and
typed, and every run succeeds. A district without fitness and psych data is the same."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.runner.run import run_everything

pytestmark = pytest.mark.e2e


def test_no_learning_logs_no_surveys_still_builds_every_mart(tmp_path):
    lake = tmp_path / "lake"
    simulate(lake, scale="tiny", seed=3, start=date(2021, 10, 1), days=2, progress=lambda *_: None)
    for source in ("xapi", "access", "fitness", "psych"):
        shutil.rmtree(lake / "inbox" / source)
    outcomes = run_everything(lake)
    broken = [(o.label, o.failed_steps) for o in outcomes if not o.success]
    assert outcomes and not broken, broken
    con = duckdb.connect()
    # Exam marts have rows; the activity marts exist and are empty, with their columns.
    assert con.execute(f"select count(*) from '{lake}/marts/student_exam.parquet'").fetchone()[0] > 0
    assert con.execute(f"select count(*) from '{lake}/marts/usage_monthly.parquet'").fetchone()[0] == 0
    columns = [r[0] for r in con.execute(f"describe from '{lake}/marts/usage_monthly.parquet'").fetchall()]
    assert {"month", "online", "on_roster"} <= set(columns)
    assert (lake / "reports" / "index.html").exists()


def test_no_exams_yet_still_builds_every_mart(tmp_path):
    """September, before a district's first exam: rosters and learning logs only. The exam
    models are built once, empty and typed, on a placeholder exam partition, so the
    models that read them (term profiles, knowledge, the reports) build and every run
    succeeds; the first real exam then replaces the placeholder."""
    from orchestration.dagster_home import get_instance
    from orchestration.partitions import EXAM_PARTITIONS_NAME, NO_EXAM_YET

    lake = tmp_path / "lake"
    simulate(lake, scale="tiny", seed=3, start=date(2021, 10, 1), days=2, progress=lambda *_: None)
    held = tmp_path / "held"
    shutil.move(lake / "inbox" / "exams", held)
    outcomes = run_everything(lake)
    broken = [(o.label, o.failed_steps) for o in outcomes if not o.success]
    assert outcomes and not broken, broken
    con = duckdb.connect()
    assert con.execute(f"select count(*) from '{lake}/marts/student_exam.parquet'").fetchone()[0] == 0
    assert con.execute(f"select count(*) from '{lake}/marts/usage_monthly.parquet'").fetchone()[0] > 0
    assert (lake / "reports" / "index.html").exists()
    assert get_instance(lake).get_dynamic_partitions(EXAM_PARTITIONS_NAME) == [NO_EXAM_YET]
    # a second run with nothing new succeeds too
    assert all(o.success for o in run_everything(lake))
    # the exams arrive: they are the partitions now, and their marts have rows
    shutil.move(held, lake / "inbox" / "exams")
    outcomes = run_everything(lake)
    assert all(o.success for o in outcomes), [(o.label, o.failed_steps) for o in outcomes if not o.success]
    assert con.execute(f"select count(*) from '{lake}/marts/student_exam.parquet'").fetchone()[0] > 0
    exams = get_instance(lake).get_dynamic_partitions(EXAM_PARTITIONS_NAME)
    assert exams and NO_EXAM_YET not in exams
    # `eduhouse backfill --json` prints the summary alone on stdout (a script reads it), a
    # line per step on stderr, and dbt's output into a log file
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-m", "orchestration.cli", "backfill", "--lake", str(lake), "--exam",
                           exams[0], "--json"], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["success"] and summary["exams"] == [exams[0]]
    assert "DEBUG" not in done.stderr and "Running dbt command" not in done.stderr, done.stderr[:3000]
