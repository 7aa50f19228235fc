"""dbt started by forking a process that has already imported it.

Every dbt step of `eduhouse run` starts a dbt process, and a new Python process spends
about 1.6 s importing dbt before it reads a file (`dbt.cli.main` alone 1.3 s on this
machine, most of it generating the artifact classes' (de)serialisers); a new day runs
three dbt steps, a district month six. So `eduhouse run` starts one worker per run that
imports dbt once (while landing runs), and the dbt executable Dagster calls
(`eduhouse-dbt`, :func:`client_main`) asks the worker to fork a child that runs dbt's own
command line with the client's arguments, working directory, environment and standard
streams. The child is a process of its own, as a dbt subprocess was: dbt's global state,
its memory and the warehouse file are its alone, and it dies or lives on as one would
(the client forwards SIGINT and SIGTERM; `recovery.tools_still_working` finds a child
left working by a run that died, since it inherits the worker's environment, which names
the lake).

Anything amiss (no worker configured, not started yet, gone) and the client execs the
venv's dbt instead: the worker only ever saves start-up time.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

WORKER_ENV = "EDUHOUSE_DBT_WORKER"  # the worker's socket, for the client
MAX_REQUEST = 1 << 22


def dbt_executable() -> str:
    """The venv's dbt, so Dagster never picks up another installation on PATH. (Here, not
    in project.py, so that the client, which execs it, imports nothing heavy.)"""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def step_dbt_executable() -> str:
    """The dbt executable of the dbt steps: the venv's `eduhouse-dbt` (this module's
    client), else the venv's dbt."""
    client = Path(sys.executable).with_name("eduhouse-dbt")
    return str(client) if client.exists() else dbt_executable()


# -- the worker ------------------------------------------------------------------------


def serve(socket_path: str) -> None:
    """Import dbt, then fork one child per request until the parent process is gone."""
    # Stopped with SIGTERM at the end of the run, whatever the starting process ignores
    # (a disposition to ignore is inherited across exec).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import dbt.adapters.duckdb  # noqa: F401 - imported once here, inherited by every child
    import dbt.cli.main  # noqa: F401

    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(4)
    server.settimeout(1.0)
    while os.getppid() == parent:  # the run that started it is gone: so is the worker
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        with conn:
            _serve_one(conn, server)


def _serve_one(conn: socket.socket, server: socket.socket) -> None:
    conn.settimeout(30)
    # the client's three standard streams come with the first bytes; the request (one
    # JSON line: arguments, working directory, environment) may take several reads
    first, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    payload = first[1:]  # after the byte that carried the streams
    while not payload.endswith(b"\n") and len(payload) < MAX_REQUEST:
        chunk = conn.recv(1 << 16)
        if not chunk:
            break
        payload += chunk
    if len(fds) != 3 or not payload.endswith(b"\n"):
        for fd in fds:
            os.close(fd)
        return
    conn.settimeout(None)
    request = json.loads(payload)
    pid = os.fork()
    if pid == 0:  # the dbt process
        code = 1
        try:
            server.close()
            conn.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            signal.signal(signal.SIGINT, signal.default_int_handler)  # as a dbt process has
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            sys.argv = ["dbt", *request["args"]]
            # each log line reaches Dagster as dbt writes it, as from an unbuffered dbt
            sys.stdout.reconfigure(line_buffering=True)
            code = _run_dbt()
        finally:
            # A dbt process closes the warehouse in its exit handlers (dbt-duckdb's), and
            # closing is when DuckDB checkpoints its write-ahead log into the file. os._exit
            # skips them: run them as that process's exit would, or every later open replays
            # a log that grows by every run's writes.
            with contextlib.suppress(Exception):
                atexit._run_exitfuncs()
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    for fd in fds:
        os.close(fd)
    conn.sendall(f"{pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


def _run_dbt() -> int:
    """What the `dbt` console script does: dbt's click group, its exit code."""
    from dbt.cli.main import cli

    try:
        cli(prog_name="dbt")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


@contextlib.contextmanager
def dbt_worker(lake: Path) -> Iterator[None]:
    """A worker for this process's dbt steps (on `lake`), stopped on exit.

    Its environment names the lake and says it is dagster-dbt's (`DAGSTER_DBT_CLI`), as a
    dbt subprocess's does: a child it forked for a run that then died is a dbt process
    left working on this lake, which the next run waits for."""
    folder = Path(tempfile.mkdtemp(prefix="eduhouse-dbt-"))
    path = str(folder / "worker.sock")
    env = {**os.environ, "EDUHOUSE_LAKE": str(Path(lake).resolve()), "DAGSTER_DBT_CLI": "true",
           "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "orchestration.transform.dbt_worker", path], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    saved = os.environ.get(WORKER_ENV)
    os.environ[WORKER_ENV] = path
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(WORKER_ENV, None)
        else:
            os.environ[WORKER_ENV] = saved
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:  # not gone after 10 s: killed
            worker.kill()
            worker.wait()
        with contextlib.suppress(OSError):
            os.unlink(path)
            folder.rmdir()


# -- the client (the `eduhouse-dbt` executable) ----------------------------------------


def _lines(sock: socket.socket) -> Iterator[str]:
    buffer = b""
    while True:
        try:
            chunk = sock.recv(64)
        except OSError:  # the worker is gone: as if it had closed the connection
            return
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode()


def client_main() -> None:
    """Run dbt with these arguments: forked by the worker when one is up, else exec'd."""
    args = sys.argv[1:]
    path = os.environ.get(WORKER_ENV)
    sock = None
    if path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except OSError:
            sock.close()
            sock = None
    lines = _request(sock, args) if sock is not None else iter(())
    forked = next(lines, None)
    if forked is None:  # no worker, or it went away before forking: dbt itself
        real = dbt_executable()
        os.execv(real, [real, *args])
    pid = int(forked)
    for sig in (signal.SIGINT, signal.SIGTERM):  # what Dagster sends to stop dbt
        signal.signal(sig, lambda signum, _frame: os.kill(pid, signum))
    code = next(lines, None)
    if code is None:  # the worker went away: wait for the dbt it forked, then fail
        while _alive(pid):
            time.sleep(0.5)
        sys.exit(1)
    sys.exit(int(code))


def _request(sock: socket.socket, args: list[str]) -> Iterator[str]:
    """Hand the worker this process's streams and request; its answer lines (the pid it
    forked, then dbt's exit code), none if it closed the connection."""
    request = {"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}
    try:
        socket.send_fds(sock, [b"\0"], [0, 1, 2])  # one byte carries the streams
        sock.sendall(json.dumps(request).encode() + b"\n")
    except OSError:
        return iter(())
    return _lines(sock)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    serve(sys.argv[1])
