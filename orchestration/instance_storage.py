"""Dagster's SQLite storage for a lake, with the event log's connections kept open.

Dagster's ``SqliteEventLogStorage`` builds a new SQLAlchemy engine for every event it
writes or reads (``NullPool``) and throws it away after: each write opens the run's
SQLite file, compiles the insert anew (the statement cache lives on the engine), commits
and closes, and an asset or check event does so twice (its run's file and the index).
Profiled on this machine: 5.5 ms per asset event, 2.1 ms per log line. A district month
stores about 5,700 events (the exam run alone 2,100: nine assets for each of 108
exams), a new day about 1,070, so most of what `eduhouse run` spends outside its steps
was SQLite connections.

``LakeEventLogStorage`` keeps one engine per shard (the index and the few latest runs)
with one pooled connection each: 1.6 ms per asset event, 0.4 ms per log line
(bench/results/e2e.md). Two costs were left, found by sampling a new day's `eduhouse run`
(py-spy, stop 48): every commit waited for an fsync of the shard's write-ahead log (1.1 s
of the run's 1,000-odd commits), and every asset check event asked whether the checks'
table exists on a connection of its own (``has_table``: a new engine each time, 0.35 s).
So each kept connection commits with ``synchronous=NORMAL``, SQLite's advice for WAL
mode (Dagster puts every shard in WAL mode): a commit survives a crash of the process
and the database stays consistent through a power cut, which may lose the last events
written (run history, not data: the next run sees the step unrecorded and runs it again).
And a table found once is remembered: Dagster only ever adds tables. Same files, same schema, same locking (each write is still its
own committed transaction, and SQLite locks the file, not the connection), so Dagster's
default storage (a lake whose dagster.yaml predates this one) reads and writes the same
history alongside. The engines are dropped before Dagster deletes shard files
(``wipe``), on ``dispose`` and in a forked child (which must not use its parent's SQLite
connections). It also claims a pool's slot in one statement (``_claim_concurrency_slot``):
Dagster's claim let two processes take the warehouse's one slot at once.

``LakeSqliteStorage`` is Dagster's default ``DagsterSqliteStorage`` with this event log.
The lake's dagster.yaml names it, so the webserver, the daemon and the runs it launches
use it; ``orchestration.dagster_home.get_instance`` gives it the instance folder's path
(and puts it in place of the default in an older lake's instance). Overrides private
members of dagster (pinned with dagster-dbt in pyproject.toml);
tests/unit/runner/test_instance_storage.py fails if Dagster stops calling them.
"""

from __future__ import annotations

import os
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster._core.storage.event_log.schema import ConcurrencySlotsTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from dagster._utils.concurrency import ConcurrencySlotStatus
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# The index, the run being written and a few it reads: more shards would only hold files
# open in a long-lived process (the webserver reads many runs).
KEPT_SHARDS = 6
_LIVE: weakref.WeakSet[LakeEventLogStorage] = weakref.WeakSet()


class LakeEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that keeps an engine (one connection) per recent shard."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables: set[str] = set()  # tables of the index shard known to exist
        super().__init__(base_dir, inst_data=inst_data)
        _LIVE.add(self)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> LakeEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, made on first use; the least recently used one beyond
        KEPT_SHARDS is closed. Called under ``_db_lock``."""
        engine = self._engines.pop(shard, None)
        if engine is None:
            # Every use holds _db_lock, so one kept connection per shard is enough (a
            # shard's first use, the schema check, takes a second one for a moment); it
            # may be used by another thread than the one that opened it (the watcher).
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=2,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", _commit_without_fsync)
        self._engines[shard] = engine
        while len(self._engines) > KEPT_SHARDS:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        """Dagster's answer, remembered once yes (it asks before every asset check event,
        on a connection made for the question)."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _claim_concurrency_slot(self, concurrency_key: str, run_id: str, step_key: str) -> ConcurrencySlotStatus:
        """Take a free slot of the pool in one statement, or report the step blocked.

        Dagster's version selects a free slot, then updates it by id alone. SQLite
        ignores its FOR UPDATE, so two processes that select the same free slot both
        update it and both run: two dbt steps wrote the warehouse at once, and one
        failed on DuckDB's file lock (the pool test caught it in about 1 run of 5).
        One UPDATE that also requires the slot still free is atomic in SQLite (the
        statement takes the write lock before it reads): the second claimant changes
        no row, is told BLOCKED, and Dagster asks again once the slot is freed."""
        free = (
            db.select(ConcurrencySlotsTable.c.id)
            .where(
                ConcurrencySlotsTable.c.concurrency_key == concurrency_key,
                ConcurrencySlotsTable.c.step_key.is_(None),
                ConcurrencySlotsTable.c.deleted.is_(False),
            )
            .limit(1)
            .scalar_subquery()
        )
        with self.index_connection() as conn:
            taken = conn.execute(
                ConcurrencySlotsTable.update()
                .where(ConcurrencySlotsTable.c.id == free, ConcurrencySlotsTable.c.step_key.is_(None))
                .values(run_id=run_id, step_key=step_key)
            ).rowcount
        return ConcurrencySlotStatus.CLAIMED if taken else ConcurrencySlotStatus.BLOCKED

    def close_connections(self, close: bool = True) -> None:
        """Drop every kept engine (``close=False`` in a forked child: the parent's
        connections are left alone, not closed from under it)."""
        engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            engine.dispose(close=close)

    def wipe(self) -> None:
        with self._db_lock:
            self.close_connections()
            self._tables.clear()
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            self.close_connections()
        super().dispose()


class LakeSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (runs, events, schedules under the instance's
    folder) with ``LakeEventLogStorage`` as its event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = LakeEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value) -> LakeSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


def _commit_without_fsync(dbapi_connection, _record) -> None:
    """A kept connection's commits do not wait for the disk (module doc)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _after_fork_in_child() -> None:
    for storage in list(_LIVE):
        storage.close_connections(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)
