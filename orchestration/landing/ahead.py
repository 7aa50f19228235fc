"""Working ahead: while one delivery is finished, the next ones are read and judged.

DuckDB reads a gzip file on one thread, and a source's judging and writing are separate
queries, so landing a run of large single-file deliveries (xAPI days) one after the other
keeps one core busy. A source that gives ``land_source`` a :class:`Preload` gets a
two-stage pipeline on two threads of the same in-memory database:

- main thread: finish delivery i (its handler: slow-path rules, duplicates, bronze and
  quarantine writes, ledger), then ``read`` delivery i+2 into a table;
- worker thread (its own connection): ``judge`` delivery i+1 from its table.

Everything that decides an outcome or touches the lake (duplicate check, writes, ledger)
still happens on the main thread in delivery order; the stages only build in-memory
tables, which the handler uses and this module drops.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from orchestration.landing.deliveries import Delivery
from orchestration.landing.writer import sql_str


@dataclass(frozen=True)
class Preloaded:
    """Tables a stage built for one delivery (plain tables of the landing database, so
    every connection sees them; dropped once the delivery is done) and a value for the
    next stage / the handler."""

    tables: tuple[str, ...]
    value: object = None


@dataclass(frozen=True)
class Preload:
    """A source's two stages. ``read(con, delivery, key)`` runs on the main thread and
    returns None for a delivery the handler should read itself (e.g. a zip); its errors
    (an unreadable file) are raised to the handler. ``judge(con, preloaded)`` runs on
    the worker. ``key`` is name-safe and unique within the run."""

    read: Callable[[duckdb.DuckDBPyConnection, Delivery, str], Preloaded | None]
    judge: Callable[[duckdb.DuckDBPyConnection, Preloaded], Preloaded]


class ReadAhead:
    """The worker thread and what has been read / is being judged, by delivery id."""

    def __init__(self, con: duckdb.DuckDBPyConnection, timezone: str, preload: Preload):
        self._con = con
        self._cur = con.cursor()  # a second connection: settings are per connection
        self._cur.execute(f"SET TimeZone={sql_str(timezone)}")
        self._preload = preload
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-judge")
        self._read: dict[str, Preloaded | None | BaseException] = {}
        self._judged: dict[str, Future] = {}
        self._count = 0

    def read(self, delivery: Delivery) -> None:
        """Read ``delivery`` (once, now, on this thread) and queue its judging."""
        if delivery.delivery_id in self._read:
            return
        self._count += 1
        try:
            read = self._preload.read(self._con, delivery, f"a{self._count}")
        except Exception as exc:  # handed to the handler, which decides what it means
            self._read[delivery.delivery_id] = exc
            return
        self._read[delivery.delivery_id] = read
        if read is not None:
            self._judged[delivery.delivery_id] = self._pool.submit(self._preload.judge, self._cur, read)

    def result_for(self, delivery_id: str) -> Callable[[], Preloaded | None]:
        """For the handler: the judged delivery (waits for it), re-raising a read or judge
        error; None when nothing was prepared."""
        def result() -> Preloaded | None:
            read = self._read.get(delivery_id)
            if isinstance(read, BaseException):
                raise read
            future = self._judged.get(delivery_id)
            return future.result() if future is not None else None
        return result

    def release(self, delivery_id: str) -> None:
        """The delivery is done (or not needed): wait for its stage, drop its tables."""
        read = self._read.pop(delivery_id, None)
        future = self._judged.pop(delivery_id, None)
        tables = set(read.tables) if isinstance(read, Preloaded) else set()
        if future is not None and not future.cancelled() and future.exception() is None:
            tables |= set(future.result().tables)
        for table in sorted(tables):
            self._con.execute(f"DROP TABLE IF EXISTS {table}")

    def close(self) -> None:
        """Stop: cancel what has not started, interrupt what runs, wait, drop the rest."""
        for future in self._judged.values():
            future.cancel()
        if any(f.running() for f in self._judged.values()):
            self._cur.interrupt()
        self._pool.shutdown(wait=True)
        for delivery_id in list(self._read):
            self.release(delivery_id)
        self._cur.close()
