"""A run's captured stdout and stderr, mirrored to the terminal by a thread, not by processes.

Dagster keeps what a run's steps print (the UI's stdout/stderr view) and also shows it
where the run was started. Its ``LocalComputeLogManager`` does the showing with two
processes per stream: the stream's file descriptor points at the log file, a ``tail -F``
copies the file back to the terminal and a Python watcher kills the tail if the run's
process dies; each run of `eduhouse run` started four such processes. The tail is
killed the moment the run ends, so lines written just before it (the run's last step
lines: `eduhouse run` prints them inside the capture, orchestration/runner/progress.py)
could be lost from the terminal; and Ctrl-C reached the watchers, whose
``KeyboardInterrupt`` tracebacks landed on the terminal after the run's own message.

``LakeComputeLogManager`` points the descriptor at a pipe instead: a thread of the run's
own process copies each chunk to the log file and to where the stream went before
(the terminal, or the run's tool log: orchestration/runner/execute.py). Leaving the
capture restores the descriptor and waits for the thread to copy everything written
before: lines keep their order with what the run prints next, nothing outlives the
process, and there is nothing to interrupt. The logs are the same files in the same
folder (``<instance>/storage``, Dagster's default), read back by Dagster's own code.

The lake's dagster.yaml names this class (the webserver, the daemon and the runs it
launches); ``orchestration.dagster_home.get_instance`` gives it the instance folder (and
puts it in place of Dagster's default in an older lake's instance).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from collections.abc import Generator, Sequence

from dagster import StringSource
from dagster._core.storage.compute_log_manager import CapturedLogContext, ComputeIOType
from dagster._core.storage.local_compute_log_manager import IO_TYPE_EXTENSION, LocalComputeLogManager
from dagster._serdes import ConfigurableClassData
from dagster._utils import ensure_file, touch_file

CHUNK = 1 << 16
# How long leaving a capture waits for the pipe's last writers. Every process the run
# started has ended by then (dagster-dbt waits for dbt); one that lives on (started in
# the background by a step) keeps the pipe open, and its later output still reaches the
# log file and the terminal, copied by the thread until it exits.
DRAIN_SECONDS = 5.0


def logs_folder(instance_dir: str) -> str:
    """Where Dagster keeps an instance's captured logs by default."""
    return os.path.join(instance_dir, "storage")


class LakeComputeLogManager(LocalComputeLogManager):
    """Dagster's local compute logs, mirrored to the terminal by a thread (module docstring)."""

    def __init__(self, instance_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir=logs_folder(instance_dir), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"instance_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> LakeComputeLogManager:
        return cls(inst_data=inst_data, **config_value)

    @contextlib.contextmanager
    def capture_logs(self, log_key: Sequence[str]) -> Generator[CapturedLogContext, None, None]:
        out = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDOUT])
        err = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDERR])
        with mirrored(sys.stdout, out), mirrored(sys.stderr, err):
            yield CapturedLogContext(log_key)
        # the mark Dagster's readers wait for: this capture is complete
        touch_file(self.complete_artifact_path(log_key))


def _fileno(stream) -> int | None:
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return None  # a stream without a descriptor (a test's captured stdout)
    return fd if isinstance(fd, int) else None


@contextlib.contextmanager
def mirrored(stream, path: str) -> Generator[None, None, None]:
    """Everything written to ``stream``'s file descriptor, by this process or the ones it
    starts, goes to the end of ``path`` and to where the descriptor pointed before."""
    ensure_file(path)
    fd = _fileno(stream)
    if fd is None:
        yield  # nothing to redirect, as Dagster's own capture does then
        return
    stream.flush()
    before = os.dup(fd)
    read_end, write_end = os.pipe()
    copier = threading.Thread(target=_copy, args=(read_end, before, path), name=f"compute-log-{fd}", daemon=True)
    copier.start()
    os.dup2(write_end, fd)
    os.close(write_end)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError):
            stream.flush()
        # The descriptor gets its target back and the pipe loses this process's writer:
        # the thread reads to the end of what was written, then stops.
        os.dup2(before, fd)
        copier.join(DRAIN_SECONDS)


def _copy(read_end: int, target: int, path: str) -> None:
    """The thread: each chunk from the pipe to the log file, then to the target."""
    reaching_target = True
    try:
        with open(path, "ab", buffering=0) as log:
            while chunk := os.read(read_end, CHUNK):
                log.write(chunk)
                if reaching_target:
                    reaching_target = _write_all(target, chunk)
    finally:
        os.close(read_end)
        os.close(target)


def _write_all(fd: int, data: bytes) -> bool:
    """False once the target is gone (a closed pipe: `eduhouse run | head`); the log file
    still gets everything."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        return False
    return True
