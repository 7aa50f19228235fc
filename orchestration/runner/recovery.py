"""What makes `eduhouse run` safe to kill: the lake lock, the work journal, dead runs.

- **The lake lock** (`<lake>/ops/run.lock`, `flock`): one `eduhouse run` or backfill per
  lake at a time. The kernel drops the lock when its holder dies, however it dies, so a
  killed run never wedges the next one.
- **The work journal** (`<lake>/ops/work.json`): before its first stage a run writes down
  what it must build (the asset keys, the ledger as it was before landing, `--full`),
  atomically. It is removed only when every stage succeeded. A run that dies leaves it,
  and the next run merges it into its own plan, so deliveries a dead run landed still
  reach the marts, checks, reports and audit although the inbox has nothing new.
  `eduhouse backfill --no-downstream` leaves one too, naming the days it landed (and
  rebuild): the next `eduhouse run` builds what they feed, as the backfill would have,
  rather than find nothing new in the inbox and call every asset up to date.
- **Dead runs**: a run executed by the CLI carries the tag `eduhouse/pid`. Under the lock
  no other CLI run of this lake is alive, so one still STARTED/STARTING/QUEUED is dead:
  it is marked failed and the pool slots it holds are freed (else the next dbt step
  would wait for the warehouse slot forever). Runs launched by the daemon (`make ui`)
  carry no such tag; Dagster's run monitoring fails those (instance dagster.yaml) while
  the daemon lives. When the whole UI died with them (killed, a reboot), nothing would:
  such a run stays STARTED holding the warehouse slot, and every later `eduhouse run`
  waited for it without a word (the Dagster probe). So a daemon run whose worker process,
  as its "Started process for run (pid N)" event names it, is gone is dead too. The
  daemon's `dead_run_release` sensor does the same without waiting for an `eduhouse run`
  (the daemon probe: after `make ui` was killed and started again, the dead runs held the
  warehouse slot and every queued run waited until someone ran `eduhouse run`), for the
  CLI's runs too when the process of their pid tag is gone.
- **Tools left running**: dbt started by a killed run may still write the warehouse; the
  next run waits for it (DuckDB allows one writer) before its own dbt starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.errors import UserError
from orchestration.lake import LakePaths, lake_in_use

PID_TAG = "eduhouse/pid"
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _holder(lock_path: Path) -> str:
    """Who holds the lock, as it wrote itself down: "pid N, <command>"."""
    try:
        pid, _, what = lock_path.read_text().strip().partition(" ")
        os.kill(int(pid), 0)
        return f"pid {pid}, {what}"
    except (OSError, ValueError):
        return "pid unknown"


@contextlib.contextmanager
def lake_lock(lake: Path, wait: bool = False, what: str = "eduhouse run") -> Iterator[None]:
    """Hold the lake's run lock; without `wait`, a lake in use is a UserError (exit 2)."""
    path = LakePaths(lake).run_lock
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise UserError(f"another eduhouse run ({_holder(path)}) is working on {lake}; "
                                "wait for it to finish, or pass --wait to queue behind it") from None
            # queued: say so, or a waiting command looks hung
            print(f"  waiting for another eduhouse run ({_holder(path)}) to finish on {lake} (--wait)",
                  file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {what}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def stopped_holder(lake: Path) -> int | None:
    """The pid holding the lake's lock when that process is stopped (SIGSTOP, a terminal
    job suspended with Ctrl-Z): it holds the lake and makes no progress until resumed,
    which the lock alone cannot tell from a run at work. Linux's /proc; None elsewhere."""
    try:
        pid = int(LakePaths(lake).run_lock.read_text().split()[0])
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    return pid if state in ("T", "t") else None


@dataclass
class WorkJournal:
    """The plan of a run not yet finished (see the module docstring)."""

    keys: set[str] = field(default_factory=set)  # asset keys, user strings
    ledger_before: dict[str, set[str]] = field(default_factory=dict)
    full: bool = False
    started_at: str = ""
    pid: int = 0
    # Runs of the plan that succeeded (stage_marker): the run finishing a dead one's plan
    # starts where it died instead of redoing every stage before.
    done: set[str] = field(default_factory=set)
    # Days and exams whose partitions the plan rebuilds (a backfill's, deferred with
    # --no-downstream) beside those of the deliveries it lands; who deferred them.
    dates: set[str] = field(default_factory=set)
    exams: set[str] = field(default_factory=set)
    deferred_by: str = ""

    @classmethod
    def load(cls, lake: Path) -> WorkJournal | None:
        path = LakePaths(lake).pending_work
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(set(data["keys"]), {s: set(ids) for s, ids in data["ledger_before"].items()},
                   bool(data["full"]), data.get("started_at", ""), int(data.get("pid", 0)),
                   set(data.get("done", [])), set(data.get("dates", [])), set(data.get("exams", [])),
                   data.get("deferred_by", ""))

    def merged(self, leftover: WorkJournal | None) -> WorkJournal:
        """This plan plus what a dead run left: its keys, and its (older) ledger, so the
        deliveries it landed count as new for this run's partitions."""
        if leftover is None:
            return self
        return WorkJournal(self.keys | leftover.keys, leftover.ledger_before, self.full or leftover.full,
                           self.started_at, self.pid, self.done | leftover.done,
                           self.dates | leftover.dates, self.exams | leftover.exams)

    def save(self, lake: Path) -> None:
        path = LakePaths(lake).pending_work
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        body = {"keys": sorted(self.keys), "ledger_before": {s: sorted(i) for s, i in self.ledger_before.items()},
                "full": self.full, "started_at": self.started_at, "pid": self.pid,
                "done": sorted(self.done), "dates": sorted(self.dates), "exams": sorted(self.exams),
                "deferred_by": self.deferred_by}
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @staticmethod
    def clear(lake: Path) -> None:
        LakePaths(lake).pending_work.unlink(missing_ok=True)

    @staticmethod
    def new(keys: set[str], ledger_before: dict[str, set[str]], full: bool) -> WorkJournal:
        return WorkJournal(keys, ledger_before, full, datetime.now(UTC).isoformat(timespec="seconds"), os.getpid())

    @staticmethod
    def defer(lake: Path, keys: set[str], ledger_before: dict[str, set[str]], dates: list[str],
              exams: list[str], by: str) -> WorkJournal:
        """Write down what `by` (a backfill run with --no-downstream) leaves to the next
        `eduhouse run`: `keys` over `dates` and `exams`, rebuilt; merged into a journal
        already there (a dead run's plan, an earlier deferral)."""
        journal = WorkJournal.new(keys, ledger_before, False)
        journal.dates, journal.exams = set(dates), set(exams)
        journal = journal.merged(WorkJournal.load(lake))
        # new data landed: every stage after landing runs again, whatever a dead run finished
        journal.done.clear()
        journal.deferred_by = by
        journal.save(lake)
        return journal


def stage_marker(label: str, keys) -> str:
    """A run of the plan: its label (stage and partitions) and what it materializes."""
    digest = hashlib.sha256("\n".join(sorted(k.to_user_string() for k in keys)).encode()).hexdigest()[:16]
    return f"{label}|{digest}"


def cli_runs_in_flight(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Runs started by `eduhouse` (tagged with their pid) that never finished."""
    return [r for r in instance.get_runs(dg.RunsFilter(statuses=IN_FLIGHT)) if PID_TAG in r.tags]


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The pid of a launched run's worker process and when Dagster said it started it, from
    the engine event it records then (None: not started in a process of its own, or not yet)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.engine_event_data if event else None
        pid = (data.metadata or {}).get("pid") if data else None
        if pid is not None and (event.message or "").startswith("Started process for run"):
            return int(pid.value), record.event_log_entry.timestamp
    return None


def _started_at(pid: int) -> float | None:
    """When process `pid` started (epoch seconds, from /proc), None where /proc cannot say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, after the command in parentheses
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _alive(pid: int, since: float) -> bool:
    """Process `pid` still the one started at `since`: it exists and did not start after
    (a pid reused by a later process is not the worker). Spawned workers carry no telling
    command line, so their start time is what tells them apart."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = _started_at(pid)
    return started is None or started <= since + 5  # /proc's start time has a tick's and a clock's slack


def dead_daemon_runs(instance: dg.DagsterInstance) -> list[tuple[dg.DagsterRun, int]]:
    """Runs the daemon launched (no eduhouse pid tag) that are STARTING, STARTED or
    CANCELING while the worker process Dagster started for them is gone, with that pid. A
    run killed while STARTING (its worker started, its first step not yet) held the queue
    until run monitoring's 5-minute start timeout, and `status` said OK meanwhile (the
    second daemon probe)."""
    out = []
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                                                          dg.DagsterRunStatus.CANCELING])):
        if PID_TAG in run.tags:
            continue
        worker = worker_pid(instance, run.run_id)
        if worker is not None and not _alive(*worker):
            out.append((run, worker[0]))
    return out


def _release(instance: dg.DagsterInstance, run: dg.DagsterRun, pid: str, by: str) -> None:
    instance.report_run_failed(run, message=f"the process running it (pid {pid}) died; marked failed by {by}")
    with contextlib.suppress(NotImplementedError):
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def release_dead_runs(instance: dg.DagsterInstance, log=print) -> list[str]:
    """Under the lake lock: mark the runs left in flight by a dead process failed (the CLI's,
    and the daemon's whose worker is gone) and free their slots."""
    dead = [(r, r.tags[PID_TAG]) for r in cli_runs_in_flight(instance) if r.tags.get(PID_TAG) != str(os.getpid())]
    dead += [(r, str(pid)) for r, pid in dead_daemon_runs(instance)]
    for run, pid in dead:
        _release(instance, run, pid, "the next eduhouse run")
        log(f"  run {run.run_id[:8]} ({run.tags.get('eduhouse/label', run.job_name)}) died with its process "
            f"(pid {pid}): marked failed, its warehouse slot freed")
    return [r.run_id for r, _ in dead]


def orphaned_runs(instance: dg.DagsterInstance, lake: Path) -> list[tuple[dg.DagsterRun, int]]:
    """Without the lake lock (the daemon's sensor): the runs whose process is gone for
    certain, the daemon's (their worker) and the CLI's, with that pid. A CLI run is dead
    only while no one holds the lake lock (a living `eduhouse run` holds it, wherever it
    runs: a pid of another host or container would look gone) and the `eduhouse` process
    of its pid tag is gone (started before the run: a pid reused since is not it)."""
    out = list(dead_daemon_runs(instance))
    if lake_in_use(lake):
        return out
    for run in cli_runs_in_flight(instance):
        try:
            pid = int(run.tags[PID_TAG])
        except ValueError:
            continue
        record = instance.get_run_record_by_id(run.run_id)
        since = (record.start_time or record.create_timestamp.timestamp()) if record else time.time()
        if pid != os.getpid() and not _alive(pid, since):
            out.append((run, pid))
    return out


def release_orphaned_runs(instance: dg.DagsterInstance, lake: Path, by: str) -> list[tuple[dg.DagsterRun, int]]:
    """Mark the orphaned runs failed and free their slots (Dagster's retry then runs them
    again, and the queue behind the warehouse slot moves)."""
    found = orphaned_runs(instance, lake)
    for run, pid in found:
        _release(instance, run, str(pid), by)
    return found


def tools_still_working(lake: Path) -> list[int]:
    """dbt processes working on this lake (found by their environment in /proc): a run
    killed while dbt wrote the warehouse leaves its dbt running on its own for a while."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    marker = f"EDUHOUSE_LAKE={Path(lake).resolve()}".encode()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone, or another user's
            continue
        if marker in environ and b"DAGSTER_DBT_CLI=true" in environ:
            found.append(int(entry.name))
    return sorted(found)


def wait_for_tools(lake: Path, log=print, timeout: float = 1800, poll: float = 1.0) -> None:
    """Before a run touches the warehouse: let a dbt left behind by a killed run finish
    (DuckDB allows one writer; its work is redone by this run anyway)."""
    deadline = time.monotonic() + timeout
    pids = tools_still_working(lake)
    if pids:
        # A dbt of the UI's daemon (`make ui`) is as much in the way as one a killed run left.
        log(f"  waiting for dbt (pid {', '.join(map(str, pids))}) working on this lake without an eduhouse run "
            "(a run the UI's daemon launched, or one that died)")
    while pids:
        if time.monotonic() > deadline:
            raise UserError(f"dbt (pid {', '.join(map(str, pids))}) has worked on {lake} for over "
                            f"{timeout / 60:.0f} minutes without its run; stop it, then run again")
        time.sleep(poll)
        pids = tools_still_working(lake)


def remove_orphan_temp_files(lake: Path) -> int:
    """Half-written files a killed writer left (`.<name>.<hex>.tmp`): never read, removed."""
    paths = LakePaths(lake)
    removed = 0
    cutoff = time.time() - 1  # under the lock nobody writes; the margin is only for clocks
    for folder in (paths.bronze, paths.quarantine, paths.ledger, paths.marts,
                   paths.restricted, paths.ops):
        if not folder.exists():
            continue
        for tmp in folder.rglob(".*.tmp"):
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)
                removed += 1
    return removed
