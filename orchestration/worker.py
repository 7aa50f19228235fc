"""The run's worker: a process that imports dbt and Great Expectations once, then forks a
child per request.

Every dbt step of `eduhouse run` starts a dbt process, and a new Python process spends
about 1.6 s importing dbt before it reads a file (`dbt.cli.main` alone 1.3 s on this
machine, most of it generating the artifact classes' (de)serialisers); a new day runs
three dbt steps, a district month six. Every Great Expectations check imports GX, 2.6 s
more, in the run's own process. So `eduhouse run` (and `eduhouse backfill`) starts a
worker first, on the other core, which imports GX while the code location loads and
then answers; between requests it imports dbt and does, a piece at a time, what each dbt
process did on its own start (:func:`_warming_dbt`, 0.7 s more per step), before the
first dbt step comes. It freezes what it holds out of the garbage collector's way
(``gc.freeze``: a child's collections no longer walk the objects it inherits; 0.3 s of
every dbt step). It takes two kinds of request:

- dbt: the dbt executable Dagster calls (`eduhouse-dbt`, :func:`client_main`) asks the
  worker to fork a child that runs dbt's own command line with the client's arguments,
  working directory, environment and standard streams. The child is a process of its
  own, as a dbt subprocess was: dbt's global state, its memory and the warehouse file
  are its alone, and it dies or lives on as one would (the client forwards SIGINT and
  SIGTERM; `recovery.tools_still_working` finds a child left working by a run that died,
  since it inherits the worker's environment, which names the lake).
- call: :func:`call` runs a function of this package in a forked child (a suite's
  validation: `quality.validate.run_suite`) and returns its result, or raises its error.

Anything amiss (no worker configured, gone, a request it cannot take) and the client
does the work itself (the venv's dbt exec'd; the function called in-process): the
worker only ever saves start-up time.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import gc
import importlib
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

WORKER_ENV = "EDUHOUSE_WORKER"  # the worker's socket, for the client
FOLDER_PREFIX = "eduhouse-worker-"  # the socket's folder in the temp directory (a short path)
OWNERS = "owners"  # in that folder: the pids of the run and of its worker
MAX_REQUEST = 1 << 22
# GX before the worker answers: the landing run's checks come before any dbt step, and
# dbt's modules are imported between requests, first of the warm-up (_warming_dbt)
PRELOADED = ("great_expectations",)
DBT_MODULES = ("dbt.adapters.duckdb", "dbt.cli.main")
IDLE_TICK = 0.05  # s without a request after which the worker warms dbt a piece further
RESULT = b"result:"  # a call's answer line (the worker's own last line is the exit code)


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
    """Import dbt and GX, then fork one child per request until the parent process is gone.

    The socket is bound first: a request that comes before the imports are done waits in
    the backlog for them rather than doing them itself."""
    # Stopped with SIGTERM at the end of the run, whatever the starting process ignores
    # (a disposition to ignore is inherited across exec).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(4)
    # imported once here, inherited by every child (dbt's too, imported while warming)
    for module in PRELOADED:
        importlib.import_module(module)
    gc.collect()
    gc.freeze()

    # Warming waits for a moment without requests: the landing's checks come first, and
    # a request waits for the piece under way at most (dbt.cli.main's import, 1.3 s).
    warming = _warming_dbt(os.environ.get("EDUHOUSE_LAKE"))
    server.settimeout(IDLE_TICK)
    while os.getppid() == parent:  # the run that started it is gone: so is the worker
        try:
            conn, _ = server.accept()
        except TimeoutError:
            if warming is not None and next(warming, None) is None:
                warming = None
                gc.collect()
                gc.freeze()
                server.settimeout(1.0)
            continue
        with conn:
            _serve_one(conn, server)
    # The run that started it is gone without stopping it (killed: its own cleanup never
    # ran), so nobody else removes the socket and its folder. A child still serving a
    # request keeps its connection.
    _remove(Path(socket_path).parent)


# dbt validates its project, profile, flags and test results against JSON schemas that it
# builds on first use and keeps per class (dataclass_schema's lru_cache): 0.45 s of every
# dbt process's start. tests/unit/runner/test_worker.py fails if one of these moves.
SCHEMA_CLASSES = (
    "dbt.contracts.project:Project", "dbt.contracts.project:ProjectFlags",
    "dbt.contracts.project:Configuration", "dbt.contracts.project:PackageConfig",
    "dbt.contracts.project:ProfileConfig", "dbt.contracts.selection:SelectorFile",
    "dbt.task.test:TestResultData", "dbt.adapters.duckdb.credentials:DuckDBCredentials",
)


def _warming_dbt(lake_root: str | None) -> Iterator[str]:
    """Do in the worker what every dbt child would do first, once for all of them, one
    piece per step, and name each piece done:

    - "import <module>": import DBT_MODULES (1.6 s; a dbt request that comes before
      waits for the module under way, and its child imports the rest);
    - "schema <class>": build the JSON schema of each of SCHEMA_CLASSES;
    - "module files": let the adapter's behaviour flags find their source with
      ``inspect.stack()``, whose first call maps every loaded module to its file (0.25 s);
    - "partial parse": read the lake's saved partial parse once, so that mashumaro writes
      each node type's decoder here rather than in every child (0.5 s here, 0.3 s a child).

    Only time is at stake: a piece that fails (a dbt that moved a class, no partial parse
    yet, a file from another dbt) is left to each child, as before."""
    from orchestration.lake import LakePaths

    for module in DBT_MODULES:
        importlib.import_module(module)
        yield f"import {module}"
    for spec in SCHEMA_CLASSES:
        module, name = spec.split(":")
        try:
            getattr(importlib.import_module(module), name).json_schema()
        except Exception:
            continue
        yield f"schema {name}"
    try:
        from dbt_common.behavior_flags import BehaviorFlagRendered

        BehaviorFlagRendered._default_source()
    except Exception:
        pass
    else:
        yield "module files"
    if not lake_root:
        return
    try:
        from dbt.constants import PARTIAL_PARSE_FILE_NAME
        from dbt.contracts.graph.manifest import Manifest
        from dbt.parser.manifest import extended_mashumuro_decoder

        saved = LakePaths(Path(lake_root)).dbt_target / PARTIAL_PARSE_FILE_NAME
        Manifest.from_msgpack(saved.read_bytes(), decoder=extended_mashumuro_decoder)
    except Exception:
        return
    yield "partial parse"


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
    call = request.get("kind") == "call"
    pid = os.fork()
    if pid == 0:  # the child: dbt, or the call
        code = 1
        try:
            server.close()
            if not call:
                conn.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            signal.signal(signal.SIGINT, signal.default_int_handler)  # as a dbt process has
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            # each log line reaches Dagster as it is written, as from an unbuffered dbt
            sys.stdout.reconfigure(line_buffering=True)
            if call:
                code = _run_call(conn, request["payload"])
            else:
                sys.argv = ["dbt", *request["args"]]
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
    if not call:  # a call's child answers on the connection itself
        conn.sendall(f"{pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


def _run_call(conn: socket.socket, payload: str) -> int:
    """Run the requested function; its result (or error) goes back as one line."""
    try:
        target, args, kwargs = pickle.loads(base64.b64decode(payload))
        module, name = target.split(":")
        answer = ("ok", getattr(importlib.import_module(module), name)(*args, **kwargs))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the caller
        text = traceback.format_exc()
        try:
            pickle.dumps(error)
            answer = ("error", error, text)
        except Exception:  # noqa: BLE001 - an error pickle cannot carry
            answer = ("error", RuntimeError(f"{type(error).__name__}: {error}"), text)
    conn.sendall(RESULT + base64.b64encode(pickle.dumps(answer)) + b"\n")
    return 0 if answer[0] == "ok" else 1


# dbt commands that write manifest.json when they finish (GraphRunnableTask's run)
WRITE_MANIFEST_AT_END = frozenset({"build", "run", "test", "seed", "snapshot"})


def _run_dbt() -> int:
    """What the `dbt` console script does: dbt's click group, its exit code."""
    from dbt.cli.main import cli

    command = next((arg for arg in sys.argv[1:] if arg in cli.commands), None)
    if command in WRITE_MANIFEST_AT_END:
        _skip_the_manifest_writes()
    try:
        cli(prog_name="dbt")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def _skip_the_manifest_writes() -> None:
    """A dbt build writes manifest.json twice: once parsed, before any node runs, and again
    when it finishes, with the compiled SQL added. Each write is 2.7-3.1 MB of JSON and
    cost 0.7 s (the first) and 0.31-0.36 s (the last, dbt.log's timestamps) of every dbt
    step: three a new day, six a month. Nothing reads either: Dagster runs from the
    project's manifest (dbt_project/target), and the compiled SQL is in the invocation's
    compiled/ and run/ folders. The child is dbt's alone, so it drops both:
    ``parse_manifest`` calls ``write_manifest`` through its module and the task that
    writes at the end through ``dbt.task.runnable``'s own reference.

    What stays in the invocation's folder: run_results.json (each node's status and
    time), the graph, the compiled and run SQL, dbt.log; and the lake's partial parse.
    `dbt parse` still writes its manifest: that is its purpose.
    tests/unit/runner/test_worker.py fails if dbt writes one again."""
    import dbt.parser.manifest as parser
    import dbt.task.runnable as runnable

    parser.write_manifest = runnable.write_manifest = lambda *_args, **_kwargs: None


@contextlib.contextmanager
def run_worker(lake: Path) -> Iterator[None]:
    """A worker for this process's dbt steps and checks (on `lake`), stopped on exit.

    Its environment names the lake and says it is dagster-dbt's (`DAGSTER_DBT_CLI`), as a
    dbt subprocess's does: a child it forked for a run that then died is a dbt process
    left working on this lake, which the next run waits for."""
    sweep_left_folders()
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    path = str(folder / "worker.sock")
    env = {**os.environ, "EDUHOUSE_LAKE": str(Path(lake).resolve()), "DAGSTER_DBT_CLI": "true",
           "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "orchestration.worker", path], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (folder / OWNERS).write_text(f"{os.getpid()} {worker.pid}\n")
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
        # apart: a worker stopped before it made its socket (a command that failed at
        # once) left no socket, and the folder stayed behind in /tmp
        _remove(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _remove(folder: Path) -> None:
    for name in ("worker.sock", OWNERS):
        with contextlib.suppress(OSError):
            (folder / name).unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


def sweep_left_folders(tmp: Path | None = None) -> list[Path]:
    """Remove the socket folders of workers whose run and worker both died (the run's
    process group killed at once: neither could remove it), as the folder's owners file
    names them. A folder with a live owner, or none named, is left alone: it may be
    another lake's run at work."""
    removed = []
    for folder in Path(tmp or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            pids = [int(x) for x in (folder / OWNERS).read_text().split()]
        except (OSError, ValueError):
            continue
        if pids and not any(_alive(pid) for pid in pids):
            _remove(folder)
            removed.append(folder)
    return removed


# -- the clients: `eduhouse-dbt`, and call() ------------------------------------------


def _lines(sock: socket.socket, chunk: int = 64) -> Iterator[str]:
    buffer = b""
    while True:
        try:
            received = sock.recv(chunk)
        except OSError:  # the worker is gone: as if it had closed the connection
            return
        if not received:
            return
        buffer += received
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
    request = {"kind": "dbt", "args": args, "cwd": os.getcwd(), "env": dict(os.environ)}
    try:
        socket.send_fds(sock, [b"\0"], [0, 1, 2])  # one byte carries the streams
        sock.sendall(json.dumps(request).encode() + b"\n")
    except OSError:
        return iter(())
    return _lines(sock)


def call(target: Callable, *args, **kwargs):
    """``target(*args, **kwargs)`` in a child of the run's worker, which has GX and dbt
    imported already; in this process when there is no worker, or it answered nothing
    (gone, killed). An error the call raised in the child is raised here, with the
    child's traceback as a note; it is not run again."""
    path = os.environ.get(WORKER_ENV)
    answer = _call_in_worker(path, target, args, kwargs) if path else None
    if answer is None:
        return target(*args, **kwargs)
    if answer[0] == "ok":
        return answer[1]
    error = answer[1]
    error.add_note(f"raised in the worker's child:\n{answer[2]}")
    raise error


def _call_in_worker(path: str, target: Callable, args: tuple, kwargs: dict) -> tuple | None:
    module = sys.modules.get(getattr(target, "__module__", None) or "")
    if getattr(module, getattr(target, "__qualname__", ""), None) is not target:
        return None  # not a module-level function: the child could not find it by name
    try:
        payload = base64.b64encode(pickle.dumps((f"{target.__module__}:{target.__qualname__}", args, kwargs)))
    except (pickle.PicklingError, TypeError, AttributeError):  # arguments a child cannot be sent
        return None
    request = {"kind": "call", "cwd": os.getcwd(), "env": dict(os.environ), "payload": payload.decode()}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(path)
            socket.send_fds(sock, [b"\0"], [0, 1, 2])  # the child writes to this process's streams
            sock.sendall(json.dumps(request).encode() + b"\n")
        except OSError:
            return None
        line = next(_lines(sock, chunk=1 << 16), "")
    if not line.startswith(RESULT.decode()):  # the worker's exit-code line, or nothing
        return None
    return pickle.loads(base64.b64decode(line[len(RESULT):]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    serve(sys.argv[1])
