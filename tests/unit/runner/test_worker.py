"""The run's worker (orchestration/worker.py): `eduhouse-dbt` runs dbt forked from a
process that has imported it, with the caller's arguments, streams and exit code, and
runs the venv's dbt itself when no worker answers; `call` runs a function in a forked
child and returns its result or raises its error, in-process when no worker answers.
The end-to-end runs build every model and run every suite through it; these tests pin
the edges."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.runner.recovery import tools_still_working
from orchestration.worker import (
    DBT_MODULES,
    SCHEMA_CLASSES,
    WORKER_ENV,
    call,
    run_worker,
    step_dbt_executable,
)

CLIENT = str(Path(sys.executable).with_name("eduhouse-dbt"))


def _client(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CLIENT, *args], capture_output=True, text=True, timeout=120, env=env)


def _wait_for_socket(timeout: float = 60) -> Path:
    path = Path(os.environ[WORKER_ENV])
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "the dbt worker did not come up"
        time.sleep(0.1)
    return path


def test_the_dbt_steps_call_the_client():
    assert step_dbt_executable() == CLIENT and Path(CLIENT).exists()


@pytest.mark.parametrize("socket_path", [None, "/nonexistent/eduhouse-dbt.sock"])
def test_without_a_worker_the_client_runs_dbt_itself(socket_path):
    env = {k: v for k, v in os.environ.items() if k != WORKER_ENV}
    if socket_path:
        env[WORKER_ENV] = socket_path
    done = _client("--help", env=env)
    assert done.returncode == 0, done.stderr
    assert "Usage: dbt" in done.stdout


def test_the_worker_forks_dbt_with_the_callers_arguments_streams_and_exit_code(tmp_path):
    lake = tmp_path / "lake"
    lake.mkdir()
    with run_worker(lake):
        _wait_for_socket()
        done = _client("--help")
        assert done.returncode == 0, done.stderr
        assert "Usage: dbt" in done.stdout  # dbt's own name, in the caller's stdout
        # a request larger than one read of the socket (the environment goes with it)
        big = _client("--help", env={**os.environ, "EDUHOUSE_TEST_PADDING": "x" * 100_000})
        assert big.returncode == 0 and "Usage: dbt" in big.stdout, big.stderr
        bad = _client("--no-such-flag")
        assert bad.returncode == 2 and "No such option" in bad.stderr  # the caller's stderr
        # the worker (and so every dbt it forks) carries the lake in its environment: a dbt
        # left working by a run that died is one the next run waits for
        assert tools_still_working(lake)
    deadline = time.monotonic() + 15
    while tools_still_working(lake):
        assert time.monotonic() < deadline, "the worker outlived its context"
        time.sleep(0.2)
    assert WORKER_ENV not in os.environ


def test_the_worker_stops_with_its_context_even_if_the_caller_ignores_sigterm(tmp_path):
    """A disposition to ignore SIGTERM is inherited across exec; the run's end must still
    stop the worker (seen in the full suite, where an earlier test left SIGTERM ignored)."""
    lake = tmp_path / "lake"
    lake.mkdir()
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with run_worker(lake):
            _wait_for_socket()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not tools_still_working(lake)


def test_a_command_that_fails_at_once_leaves_no_worker_folder(tmp_path, monkeypatch):
    """`eduhouse backfill --exam unknown` stops its worker before the worker has made its
    socket; the worker's folder under /tmp stayed behind, empty, once per such command."""
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    lake = tmp_path / "lake"
    lake.mkdir()
    with pytest.raises(ValueError), run_worker(lake):
        raise ValueError("not registered exam partitions")
    assert list(scratch.glob("eduhouse-worker-*")) == []
    assert not tools_still_working(lake)


def test_a_worker_whose_run_was_killed_removes_its_socket_and_leaves(tmp_path):
    """A run killed outright never stops its worker: the worker notices its parent gone,
    and takes its socket and folder away (each killed run left one in /tmp)."""
    lake = tmp_path / "lake"
    lake.mkdir()
    script = ("import os, sys, time\n"
              "from pathlib import Path\n"
              "from orchestration.worker import WORKER_ENV, run_worker\n"
              "with run_worker(Path(sys.argv[1])):\n"
              "    print(os.environ[WORKER_ENV], flush=True)\n"
              "    time.sleep(120)\n")
    run = subprocess.Popen([sys.executable, "-c", script, str(lake)], stdout=subprocess.PIPE, text=True)
    try:
        socket_path = Path(run.stdout.readline().strip())
        deadline = time.monotonic() + 60
        while not socket_path.exists():
            assert time.monotonic() < deadline, "the worker did not come up"
            time.sleep(0.1)
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 60
    while socket_path.parent.exists() or tools_still_working(lake):
        assert time.monotonic() < deadline, f"the worker of a killed run left {socket_path} (or kept running)"
        time.sleep(0.2)


def _probe_project(project: Path, name: str, sql: str, warehouse: Path) -> Path:
    """A dbt project of one table model (``sql``) on a DuckDB file of its own."""
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(f"name: {name}\nversion: '1.0'\nconfig-version: 2\nprofile: {name}\n")
    (project / "models" / "probe.sql").write_text("{{ config(materialized='table') }}\n" + sql + "\n")
    (project / "profiles.yml").write_text(
        f"{name}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{warehouse}'\n"
        "      threads: 1\n")
    return project


def test_a_forked_dbt_checkpoints_the_warehouse_as_a_dbt_process_does(tmp_path):
    """dbt-duckdb closes the database in an exit handler, and closing is when DuckDB moves
    its write-ahead log into the file. The forked child must run it too: without it every
    later open replays a log that grows with every run (150 MB after a district month)."""
    warehouse = tmp_path / "probe.duckdb"
    project = _probe_project(tmp_path / "project", "wal_probe", "select range as n from range(1000)", warehouse)
    lake = tmp_path / "lake"
    lake.mkdir()
    with run_worker(lake):
        _wait_for_socket()
        done = subprocess.run([CLIENT, "run", "--project-dir", str(project), "--profiles-dir", str(project)],
                              capture_output=True, text=True, timeout=180, cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert warehouse.exists()
    wal = warehouse.with_name(warehouse.name + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the forked dbt left its write-ahead log"


def _whose() -> tuple[int, bool]:
    """The calling process, and whether it has imported GX (the worker's child has)."""
    return os.getpid(), "great_expectations" in sys.modules


def _fails(message: str) -> None:
    raise ValueError(message)


def test_call_runs_in_a_child_of_the_worker_and_brings_back_result_and_error(tmp_path):
    lake = tmp_path / "lake"
    lake.mkdir()
    here = os.getpid()
    assert call(_whose)[0] == here  # no worker: in this process
    with run_worker(lake):
        _wait_for_socket()
        pid, preloaded = call(_whose)
        assert pid != here and preloaded
        assert call(_whose)[0] != pid  # a child per call
        with pytest.raises(ValueError, match="no such exam") as raised:
            call(_fails, "no such exam")
        assert any("raised in the worker's child" in note for note in raised.value.__notes__)
        local = lambda: os.getpid()  # noqa: E731 - a function a child cannot import by name
        assert call(local) == here


def test_a_forked_dbt_build_writes_no_manifest_but_its_run_results(tmp_path):
    """The child skips both manifests a build writes (worker.py, `_skip_the_manifest_writes`):
    after parsing and when it finishes. Its run results and compiled SQL are there. `dbt
    parse` writes its manifest still: that is its only output."""
    project = _probe_project(tmp_path / "project", "manifest_probe", "select range as n from range(10)",
                             tmp_path / "probe.duckdb")
    lake = tmp_path / "lake"
    lake.mkdir()
    common = ["--project-dir", str(project), "--profiles-dir", str(project), "--log-format", "json",
              "--log-level", "debug"]
    with run_worker(lake):
        _wait_for_socket()
        build = subprocess.run([CLIENT, "build", *common, "--target-path", str(tmp_path / "build")],
                               capture_output=True, text=True, timeout=180, cwd=project)
        parse = subprocess.run([CLIENT, "parse", *common, "--target-path", str(tmp_path / "parse")],
                               capture_output=True, text=True, timeout=180, cwd=project)
    assert build.returncode == 0 and parse.returncode == 0, build.stdout + parse.stdout

    def manifest_writes(stdout: str) -> int:
        return sum(1 for line in stdout.splitlines()
                   if '"ArtifactWritten"' in line and "WritableManifest" in line)

    assert manifest_writes(build.stdout) == 0 and not (tmp_path / "build" / "manifest.json").exists()
    results = json.loads((tmp_path / "build" / "run_results.json").read_text())["results"]
    assert [r["unique_id"] for r in results] == ["model.manifest_probe.probe"]
    compiled = next((tmp_path / "build" / "compiled").rglob("probe.sql")).read_text()
    assert "range(10)" in compiled
    assert manifest_writes(parse.stdout) == 1 and (tmp_path / "parse" / "manifest.json").exists()


_WARM_PROBE = """
import json, sys
from orchestration import worker
def built():  # one cache for all of dbt's classes, keyed by the class
    from dbt_common.dataclass_schema import dbtClassMixin
    return dbtClassMixin.json_schema.cache_info().currsize
before = built()
done = list(worker._warming_dbt(sys.argv[1]))
print(json.dumps({"before": before, "after": built(), "done": done}))
"""


def _warm(lake: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _WARM_PROBE, str(lake)], capture_output=True, text=True,
                          timeout=180, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_the_worker_does_dbts_first_work_once_for_its_children(tmp_path):
    """Between requests the worker imports dbt, builds its schemas, maps the modules to
    their files and reads the lake's partial parse (worker.py, `_warming_dbt`); if dbt moves one of
    those, this fails rather than every dbt step silently paying for it again. A partial
    parse it cannot read is left to dbt."""
    project = _probe_project(tmp_path / "project", "warm_probe", "select 1 as n", tmp_path / "probe.duckdb")
    lake = tmp_path / "lake"
    target = lake / "ops" / "dbt" / "target"
    parsed = subprocess.run([str(Path(sys.executable).with_name("dbt")), "parse", "--project-dir", str(project),
                             "--profiles-dir", str(project), "--target-path", str(target)],
                            capture_output=True, text=True, timeout=180, cwd=project)
    assert parsed.returncode == 0, parsed.stdout
    warmed = _warm(lake)
    assert (warmed["before"], warmed["after"]) == (0, len(SCHEMA_CLASSES))
    imports = [f"import {module}" for module in DBT_MODULES]
    schemas = [f"schema {spec.split(':')[1]}" for spec in SCHEMA_CLASSES]
    assert warmed["done"] == [*imports, *schemas, "module files", "partial parse"]

    (target / "partial_parse.msgpack").write_bytes(b"not a partial parse")
    assert _warm(lake)["done"] == [*imports, *schemas, "module files"]


def test_a_folder_whose_run_and_worker_both_died_is_swept(tmp_path):
    """A run's whole process group killed at once (kill -9 of the group, as the crash
    probe did 22 times) leaves the worker's folder: neither process could remove it. The
    next worker sweeps it, by the pids its owners file names; a folder with a live owner,
    or one naming none, is left alone (another lake's run at work)."""
    from orchestration.worker import OWNERS, sweep_left_folders

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead, live, unnamed = (tmp_path / f"eduhouse-worker-{n}" for n in ("dead", "live", "unnamed"))
    for folder in (dead, live, unnamed):
        folder.mkdir()
        (folder / "worker.sock").write_text("")
    (dead / OWNERS).write_text(f"{gone.pid} {gone.pid}\n")
    (live / OWNERS).write_text(f"{gone.pid} {os.getpid()}\n")
    assert sweep_left_folders(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and unnamed.exists()
