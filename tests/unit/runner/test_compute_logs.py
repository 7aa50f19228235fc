"""The lake's compute logs (orchestration/compute_logs.py): a run's output goes to Dagster's
log files and to where it went before, copied by a thread, in order, with no process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from orchestration.compute_logs import LakeComputeLogManager, mirrored
from orchestration.dagster_home import get_instance

# A run in a process of its own: its stdout and stderr are real descriptors (pipes the
# test reads), as a terminal's are, not pytest's captured streams.
RUN = textwrap.dedent("""
    import os, subprocess, sys
    import dagster as dg
    from orchestration.dagster_home import get_instance

    @dg.asset
    def talkative() -> None:
        print("from print", flush=True)
        os.write(1, b"from the descriptor\\n")
        subprocess.run(["echo", "from a subprocess"], check=True)
        print("to stderr", file=sys.stderr, flush=True)
        # the processes this one started: Dagster's default started tail and a watcher here
        children = [pid for pid in os.listdir("/proc") if pid.isdigit() and _parent(pid) == os.getpid()]
        print(f"children: {len(children)}", flush=True)

    def _parent(pid):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return int(stat.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return None

    instance = get_instance(sys.argv[1])
    print(type(instance.compute_log_manager).__name__, flush=True)
    result = dg.materialize([talkative], instance=instance)
    print(f"after the run: {result.success}", flush=True)
""")


def test_a_run_mirrors_its_output_by_a_thread_in_order_into_dagsters_log_files(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RUN)
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "lake")], capture_output=True, text=True,
                          timeout=120, check=True)
    out = done.stdout.splitlines()
    assert out[0] == "LakeComputeLogManager"
    # everything the step wrote reached the terminal before what the process printed next
    assert out[1:] == ["from print", "from the descriptor", "from a subprocess", "children: 0", "after the run: True"]
    assert "to stderr" in done.stderr
    assert "Traceback" not in done.stderr
    # and Dagster's log files (the UI's stdout / stderr view) hold the run's output alone
    logs = tmp_path / "lake" / "ops" / "dagster" / "storage"
    (stdout_log,) = logs.rglob("*.out")
    assert stdout_log.read_text().splitlines() == out[1:5]
    (stderr_log,) = logs.rglob("*.err")
    assert "to stderr" in stderr_log.read_text()
    assert list(logs.rglob("*.complete"))


def test_leaving_a_capture_does_not_wait_for_a_process_left_running(tmp_path, capfd):
    log = tmp_path / "out.log"
    started = time.monotonic()
    with mirrored(sys.stdout, str(log)):
        print("before", flush=True)
        sleeper = subprocess.Popen(["sleep", "30"])  # holds the pipe open
    took = time.monotonic() - started
    sleeper.kill()
    sleeper.wait()
    assert took < 15
    assert "before" in log.read_text()
    assert "before" in capfd.readouterr().out


def test_an_instance_gets_the_lake_manager_with_its_logs_where_dagster_keeps_them(tmp_path):
    instance = get_instance(tmp_path)
    manager = instance.compute_log_manager
    assert isinstance(manager, LakeComputeLogManager)
    assert manager.get_captured_local_path(["run", "key"], "out").startswith(
        str((tmp_path / "ops" / "dagster" / "storage").resolve()))
    instance.dispose()
