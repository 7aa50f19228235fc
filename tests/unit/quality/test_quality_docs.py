"""The data docs page (orchestration/quality/docs.py) reads each check's last runs only:
every check run adds a result file, and the page is rebuilt after every check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from orchestration.quality.docs import HISTORY, build_data_docs
from orchestration.quality.results import results_dir, write_results
from orchestration.quality.validate import Outcome


def _run(lake, day: int, passed: bool, note: str) -> None:
    outcome = Outcome(expectation="expect_column_values_to_not_be_null", column="score", kwargs="{}",
                      severity="error", success=passed, observed=note)
    write_results(lake, dataset="exam_scores", layer="bronze", asset_key="bronze/exams", check_name="exam_scores",
                  outcomes=[outcome], partition=None, run_id=f"run-{day}", seconds=0.1,
                  run_ts=datetime(2021, 9, 1, 2, tzinfo=UTC) + timedelta(days=day))


def test_the_page_shows_the_last_runs_and_reads_no_older_file(tmp_path):
    runs = HISTORY + 5
    for day in range(runs):
        _run(tmp_path, day, passed=day % 2 == 0, note=f"night {day}")
    # a file older than the page's history is never opened: it may be anything
    oldest = sorted(results_dir(tmp_path, "exam_scores").glob("*.parquet"))[0]
    oldest.write_bytes(b"not parquet")
    html = build_data_docs(tmp_path).read_text(encoding="utf-8")
    assert f"({runs} check runs kept)" in html
    assert f"night {runs - 1}" in html  # the latest run's expectations
    assert "night 0" not in html
    # the history strip: the last HISTORY runs, oldest first
    strip = re.findall(r"2021-\d\d-\d\d 02:00", html)
    first_shown = (datetime(2021, 9, 1, tzinfo=UTC) + timedelta(days=runs - HISTORY)).strftime("%Y-%m-%d")
    assert f"{first_shown} 02:00" in strip
    assert (datetime(2021, 9, 1, tzinfo=UTC) + timedelta(days=runs - HISTORY - 1)).strftime("%Y-%m-%d 02:00") not in strip
