"""The command line as a user meets it: mistakes give one line on stderr and exit 2,
never a traceback; the lake comes from --lake or EDUHOUSE_LAKE; a lake another run holds
is refused (or waited for with --wait)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.runner.recovery import lake_lock

EDUHOUSE = [sys.executable, "-m", "orchestration.cli"]


def _eduhouse(*args: str, lake_env: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "EDUHOUSE_LAKE")}
    if lake_env is not None:
        env["EDUHOUSE_LAKE"] = str(lake_env)
    return subprocess.run([*EDUHOUSE, *args], env=env, capture_output=True, text=True, timeout=300, **kwargs)


def _one_line_exit_2(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout[-1000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["status"], ["audit"], ["report", "--role", "district_admin"]])
def test_reading_a_lake_that_is_not_there_is_an_error(tmp_path, command):
    missing = tmp_path / "no-such-lake"
    line = _one_line_exit_2(_eduhouse(*command, "--lake", str(missing)))
    assert str(missing) in line and "no lake" in line
    assert not missing.exists(), "a read-only command must not create the lake"


def test_the_lake_comes_from_the_environment(tmp_path):
    missing = tmp_path / "from-env"
    line = _one_line_exit_2(_eduhouse("status", lake_env=missing))
    assert str(missing) in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["report", "--lang", "fr"], "--lang"),
        (["simulate", "--days", "-1"], "--days"),
        (["simulate", "--dirt-rate", "5"], "--dirt-rate"),
        (["simulate", "--start", "2021-13-40"], "--start"),
        (["run", "--no-such-flag"], "unrecognized"),
        (["serve", "--port", "99999"], "--port"),
        (["serve", "--port", "-1"], "--port"),
        (["status", "--days", "-3"], "--days"),
    ],
)
def test_wrong_arguments_give_one_line(tmp_path, args, words):
    line = _one_line_exit_2(_eduhouse(*args, "--lake", str(tmp_path / "lake")))
    assert words in line


def test_run_without_an_inbox_says_so(tmp_path):
    line = _one_line_exit_2(_eduhouse("run", "--lake", str(tmp_path)))
    assert "no inbox" in line


def test_run_on_an_empty_inbox_says_the_inbox_is_empty(tmp_path):
    (tmp_path / "inbox").mkdir()
    result = _eduhouse("run", "--lake", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "the inbox is empty" in result.stderr
    assert (tmp_path / "ops" / "dagster").is_dir(), "the lake's instance lives in the lake"


def test_a_second_run_on_a_locked_lake_is_refused_or_waits(tmp_path):
    (tmp_path / "inbox").mkdir()
    with lake_lock(tmp_path, wait=False, what="a test holding the lake"):
        line = _one_line_exit_2(_eduhouse("run", "--lake", str(tmp_path)))
        assert "another eduhouse run" in line and str(os.getpid()) in line and "--wait" in line
        env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "EDUHOUSE_LAKE")}
        waiting = subprocess.Popen([*EDUHOUSE, "run", "--wait", "--lake", str(tmp_path)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # queued, it says so at once (it printed nothing: a waiting command looked hung);
        # read before the lock is let go, however long the command takes to start on a
        # loaded machine (a fixed 3 s let it start after the release and never queue)
        ready, _, _ = select.select([waiting.stderr], [], [], 120)
        assert ready, "--wait printed nothing in 120 s"
        first = waiting.stderr.readline()
        assert "waiting for another eduhouse run" in first and str(os.getpid()) in first and "--wait" in first
        time.sleep(1)
        assert waiting.poll() is None, "--wait must queue behind the run holding the lake"
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err[-2000:]
    assert "the inbox is empty" in err


def test_status_names_a_stopped_run_that_holds_the_lake(tmp_path):
    """A run frozen by SIGSTOP (Ctrl-Z in its terminal) holds the lake and does nothing:
    status said 'an eduhouse run is working on this lake now', overall OK. It now names
    the stopped process and how to resume it, and asks for attention."""
    (tmp_path / "inbox").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from orchestration.runner.recovery import lake_lock\n"
        f"with lake_lock(Path({str(tmp_path)!r}), what='eduhouse run'):\n"
        "    print('held', flush=True); time.sleep(120)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        working = _eduhouse("status", "--lake", str(tmp_path))
        assert "working on this lake now" in working.stdout and "is stopped" not in working.stdout
        os.kill(holder.pid, signal.SIGSTOP)
        time.sleep(0.2)
        stopped = _eduhouse("status", "--lake", str(tmp_path))
        assert stopped.returncode == 1, stopped.stdout
        assert f"(pid {holder.pid}) is stopped" in stopped.stdout and f"kill -CONT {holder.pid}" in stopped.stdout
        assert "overall: ATTENTION" in stopped.stdout
    finally:
        os.kill(holder.pid, signal.SIGCONT)
        holder.kill()
        holder.wait()


def test_a_refused_backfill_is_one_line_and_leaves_no_log(tmp_path):
    """A range the partitions refuse is one line, exit 2: the 'tool output: <log>' line
    came first and named a log file the refused command left behind (the backfill probe)."""
    (tmp_path / "inbox").mkdir()
    line = _one_line_exit_2(_eduhouse("backfill", "--lake", str(tmp_path), "--from", "2021-10-03",
                                      "--to", "2021-10-01"))
    assert "after" in line
    assert not list((tmp_path / "logs").glob("backfill-*.log"))


def test_a_backfill_over_days_retention_removed_is_refused(tmp_path):
    """A backfill recomputes its days from bronze: over days retention removed it emptied
    them in the warehouse and the marts, and said nothing (the retention probe)."""
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    from orchestration.landing.expired import record_removal

    (tmp_path / "inbox").mkdir()
    day = tmp_path / "bronze/xapi/statements/local_date=2021-10-02"
    day.mkdir(parents=True)
    pq.write_table(pa.table({"_delivery": ["d1.jsonl"]}), day / "d1.jsonl.parquet")
    record_removal(tmp_path, "xapi", "bronze", [day / "d1.jsonl.parquet"], datetime(2021, 11, 1, tzinfo=UTC))
    (day / "d1.jsonl.parquet").unlink()
    line = _one_line_exit_2(_eduhouse("backfill", "--lake", str(tmp_path), "--from", "2021-10-01",
                                      "--to", "2021-10-03"))
    assert "retention removed the bronze of 1 day" in line and "2021-10-02" in line


def test_backfill_closes_with_a_summary():
    """Without --json, a backfill closes as `eduhouse run` does: what it covered, how its
    runs ended (held back ones with their checks), where the tools' output is."""
    from orchestration.automation.commands import backfill_summary

    summary = {"backfill_id": "ab12cd34", "partitions": ["2021-10-01"], "exams": ["ex-1"], "seconds": 41.6,
               "success": False, "landing": {"run_id": "r0", "success": True},
               "runs": [{"label": "daily models", "run_id": "r1", "success": True},
                        {"label": "models, checks, reports and audit", "run_id": None, "success": False,
                         "held_by": ["bronze/roster:contract"]}]}
    text = backfill_summary(summary, Path("/lake/logs/backfill-x.log"))
    assert text.splitlines() == [
        "backfill ab12cd34: FAILED in 42 s, over 2021-10-01..2021-10-01 (1 day), exam ex-1",
        "  landing: ok",
        "  rebuilt: 2 runs, 1 ok, 0 failed, 1 held back",
        "  held back: models, checks, reports and audit: a blocking check still fails on what it reads "
        "(bronze/roster:contract)",
        "  tool output: /lake/logs/backfill-x.log",
    ]


def test_report_refuses_no_workers_and_renders_only_the_role_of_a_pdf_page(tmp_path):
    """The reports probe: `--workers 0` was accepted; `--pdf student/nonexist` rendered
    every role's pages before saying there was no such page."""
    from orchestration.cli import main
    from orchestration.reporting.scopes import ROLES

    assert main(["sample-marts", "--lake", str(tmp_path)]) == 0
    line = _one_line_exit_2(_eduhouse("report", "--lake", str(tmp_path), "--workers", "0"))
    assert line.endswith("--workers 0: at least 1 render process")
    line = _one_line_exit_2(_eduhouse("report", "--lake", str(tmp_path), "--workers", "1",
                                      "--pdf", "student/nonexist"))
    assert "no rendered report at" in line and line.endswith("student/nonexist.html")
    rendered = {p.parent.name for p in (tmp_path / "reports").glob("*/*.html")
                if p.name != "index.html" and p.parent.name in ROLES}
    assert rendered == {"student"}


@pytest.mark.parametrize("home", ["file", "elsewhere"])
def test_dagster_home_must_be_the_lakes_own_instance(tmp_path, home):
    """The daemon probe: DAGSTER_HOME naming a file was a FileExistsError traceback, and a
    mistyped one made `status` read a new empty instance and say OK of a lake it had never
    seen (an instance shared by two lakes would also share the warehouse slot)."""
    lake = tmp_path / "lake"
    (lake / "inbox").mkdir(parents=True)
    target = tmp_path / ("a-file" if home == "file" else "no-such-home")
    if home == "file":
        target.write_text("x")
    env = {**{k: v for k, v in os.environ.items() if k != "EDUHOUSE_LAKE"}, "DAGSTER_HOME": str(target)}
    result = subprocess.run([*EDUHOUSE, "status", "--lake", str(lake)], env=env, capture_output=True, text=True,
                            timeout=300)
    line = _one_line_exit_2(result)
    assert f"DAGSTER_HOME={target} is not the instance of the lake {lake}" in line
    assert str(lake / "ops" / "dagster") in line
    assert not (tmp_path / "no-such-home").exists()
    env["DAGSTER_HOME"] = str(lake / "ops" / "dagster")  # as `make ui` sets it: the lake's own
    assert subprocess.run([*EDUHOUSE, "status", "--lake", str(lake)], env=env, capture_output=True,
                          text=True, timeout=300).returncode in (0, 1)


def test_serve_on_a_lake_never_run_says_how_to_publish(tmp_path):
    """The newcomer probe: `eduhouse serve` on a lake simulated and never run started
    quietly; every read then failed without a hint. It serves (503 not_published until a
    run publishes) and says so."""
    lake = tmp_path / "lake"
    (lake / "inbox" / "xapi").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "EDUHOUSE_LAKE")}
    proc = subprocess.Popen([*EDUHOUSE, "serve", "--lake", str(lake), "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "http://127.0.0.1:" in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert f"eduhouse serve: {lake} has no published marts yet: `eduhouse run --lake {lake}` publishes them" in err
    assert "Traceback" not in err
