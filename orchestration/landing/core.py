"""The landing loop shared by every source: ledger, de-duplication, unreadable deliveries.

Each source supplies a handler that validates one delivery set-based in DuckDB and
writes its bronze tables through :class:`LandContext`; this module decides which
deliveries to land, records rejects and writes the ledger row last.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.faults import fault_point
from orchestration.lake import LakePaths
from orchestration.landing import ledger, quarantine
from orchestration.landing.deliveries import Delivery, Unreadable, discover
from orchestration.landing.writer import copy_atomic, copy_partitioned, remove_delivery, sql_str

log = logging.getLogger(__name__)

# Bronze tables of each source; the time-based ones are stored per local date.
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "roster": ("manifest", "orgs", "academic_sessions", "courses", "classes", "users",
               "enrollments", "demographics", "staff_assignments"),
    "xapi": ("statements",),
    "exams": ("exams", "exam_items", "exam_scores"),
    "catalog": ("knowledge_points",),
    "fitness": ("fitness_results",),
    "psych": ("psych_screenings",),
    "governance": ("grants", "consents"),
    "access": ("events",),
}
PARTITIONED = ("xapi", "access")


@dataclass
class EngineOptions:
    """DuckDB knobs for landing (the machine is shared: keep threads low). ``threads`` is
    how many threads landing keeps busy in all: that many deliveries land side by side,
    each on one DuckDB thread (one delivery alone gets them all)."""

    threads: int = 2
    memory_limit: str = "2GB"


@dataclass
class DeliveryResult:
    delivery_id: str
    status: str
    records_in: int = 0
    landed: int = 0
    quarantined: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    rows_by_date: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    duplicate_of: str | None = None
    # Dates whose data this delivery changes without adding rows there (a voided
    # statement's day): listed in the ledger so those days and months are rebuilt.
    touched_dates: set[str] = field(default_factory=set)
    started_at: datetime | None = None

    @property
    def local_dates(self) -> list[str]:
        return sorted(set(self.rows_by_date) | self.touched_dates)


@dataclass
class LandingSummary:
    source: str
    deliveries: list[DeliveryResult] = field(default_factory=list)

    def _sum(self, attr: str) -> int:
        return sum(getattr(d, attr) for d in self.deliveries)

    @property
    def records_in(self) -> int:
        return self._sum("records_in")

    @property
    def landed(self) -> int:
        return self._sum("landed")

    @property
    def quarantined(self) -> int:
        return self._sum("quarantined")

    def _merge(self, attr: str) -> dict[str, int]:
        total: Counter = Counter()
        for d in self.deliveries:
            total.update(getattr(d, attr))
        return dict(sorted(total.items()))

    @property
    def tables(self) -> dict[str, int]:
        return self._merge("tables")

    @property
    def reasons(self) -> dict[str, int]:
        return self._merge("reasons")

    @property
    def rows_by_date(self) -> dict[str, int]:
        return self._merge("rows_by_date")

    @property
    def local_dates(self) -> list[str]:
        return sorted(self.rows_by_date)

    def by_status(self) -> dict[str, int]:
        return dict(Counter(d.status for d in self.deliveries))


class LandContext:
    """What a handler needs to land one delivery: a connection, its files, writers."""

    def __init__(self, con, lake_root: Path, source: str, delivery: Delivery, timezone: str,
                 landed_at: datetime, members: dict[str, Path]):
        self.con = con
        self.lake_root = Path(lake_root)
        self.source = source
        self.delivery = delivery
        self.delivery_id = delivery.delivery_id
        self.timezone = timezone
        self.members = members
        self.landed_at = landed_at
        self.landed_at_sql = f"TIMESTAMPTZ '{landed_at.isoformat()}'"
        self.records_in = 0
        self.result = DeliveryResult(delivery.delivery_id, "landed")

    def single_member(self) -> tuple[str, Path]:
        """The one file of a single-file source's delivery (xAPI, access, fitness, psych);
        a folder or zip of several files, or of none, is not that shape."""
        if len(self.members) != 1:
            names = ", ".join(sorted(self.members)[:5]) or "nothing"
            raise Unreadable("unexpected_shape",
                             f"a {self.source} delivery is one file; this one holds {len(self.members)}: {names}")
        (name, path), = self.members.items()
        return name, path

    def lineage_sql(self, file_sql: str, position_sql: str) -> str:
        """The four lineage columns, as a SELECT list fragment."""
        return (f"{sql_str(self.delivery_id)} AS _delivery, {file_sql} AS _file, "
                f"{position_sql}::BIGINT AS _position, {self.landed_at_sql} AS _landed_at")

    def write_table(self, table: str, select_sql: str) -> int:
        """Write the delivery's rows of one bronze table; returns the row count."""
        table_dir = LakePaths(Path(self.lake_root)).bronze / self.source / table
        if self.source in PARTITIONED:
            counts = self.con.execute(
                f"SELECT strftime(local_date, '%Y-%m-%d'), count(*) FROM ({select_sql}) GROUP BY 1"
            ).fetchall()
            if counts:
                copy_partitioned(self.con, select_sql, table_dir, self.delivery_id, [d for d, _ in counts])
            else:
                remove_delivery(table_dir, self.delivery_id)
            n = 0
            for d, c in counts:
                self.result.rows_by_date[d] = self.result.rows_by_date.get(d, 0) + c
                n += c
        else:
            target = table_dir / f"{self.delivery_id}.parquet"
            copy_atomic(self.con, select_sql, target)
            n = self.con.execute(
                "SELECT count(*) FROM read_parquet(?)", [str(target)]
            ).fetchall()[0][0]
        self.result.tables[table] = self.result.tables.get(table, 0) + n
        self.result.landed += n
        return n


Handler = Callable[[LandContext], None]


def connect(timezone: str, options: EngineOptions | None = None) -> duckdb.DuckDBPyConnection:
    options = options or EngineOptions()
    con = duckdb.connect()
    con.execute(f"SET threads={int(options.threads)}")
    con.execute(f"SET memory_limit={sql_str(options.memory_limit)}")
    con.execute(f"SET TimeZone={sql_str(timezone)}")
    con.execute(f"SET temp_directory={sql_str(str(Path(tempfile.gettempdir()) / 'eduhouse-duckdb'))}")
    return con


def to_land(lake_root: Path, source: str, rebuild: Iterable[str] = (), rows: list[dict] | None = None) -> list[Delivery]:
    """The deliveries a landing run takes: no ledger row yet, or asked to be rebuilt
    (``rows``: the source's ledger, when the caller has read it)."""
    rebuild = set(rebuild)
    rows = ledger.read_ledger(lake_root, source) if rows is None else rows
    done = {r["delivery_id"] for r in rows}
    return [d for d in discover(lake_root, source) if d.delivery_id not in done or d.delivery_id in rebuild]


def pending(lake_root: Path, source: str) -> list[Delivery]:
    """Deliveries in the inbox with no ledger row yet."""
    return to_land(lake_root, source)


def known_hashes(rows: list[dict]) -> dict[str, str]:
    """Content hash -> the delivery that landed it first (resends are judged against it)."""
    return {r["content_sha256"]: r["delivery_id"] for r in rows if r["status"] != "duplicate"}


def first_landings(rows: list[dict], rebuild: Iterable[str]) -> dict[str, datetime]:
    """The first landing time of each delivery of ``rebuild`` the ledger ``rows`` hold as
    landed: what it keeps when landed again."""
    again = set(rebuild)
    return {r["delivery_id"]: r["started_at"] for r in rows
            if r["delivery_id"] in again and r["status"] == "landed" and r["started_at"] is not None}


def duplicate_of(delivery_id: str, first: str, started: datetime) -> DeliveryResult:
    """The verdict for a resend of ``first``: ledgered, nothing landed."""
    return DeliveryResult(delivery_id, "duplicate", duplicate_of=first, reason=f"same content as {first}",
                          started_at=started)


def land_source(
    lake_root: Path,
    source: str,
    timezone: str,
    handler: Handler,
    *,
    rebuild: Iterable[str] = (),
    options: EngineOptions | None = None,
    prepare: Callable[[duckdb.DuckDBPyConnection, Path], None] | None = None,
    given: Sequence[tuple[Delivery, tuple[str, int]]] | None = None,
    ledger_rows: bool = True,
    landed_at: Mapping[str, datetime] | None = None,
) -> LandingSummary:
    """Land every not-yet-ledgered delivery of ``source`` (and re-land ``rebuild`` ids),
    ``options.threads`` of them side by side (``_land_side_by_side``).

    ``given`` and ``ledger_rows=False`` are how landing runs on a cluster (``on_cluster``):
    a task lands exactly the deliveries it was given, with their content hash and size,
    which the caller already judged not to be resends; the caller, which saw the whole
    batch, writes the ledger rows afterwards.

    A delivery's landing time (``_landed_at`` in bronze, the ledger's ``started_at``)
    orders it against the others of its key downstream (the latest grant, consent or
    exam delivery wins): ``landed_at`` fixes it for some (the cluster's driver gives each
    delivery its turn), and a delivery landed again (``rebuild``, `--full`) keeps its
    first landing's. Re-stamped, a rebuild reordered a source's deliveries by their names,
    and a correction named to sort first lost to its original."""
    lake_root = Path(lake_root)
    summary = LandingSummary(source)
    hashes: dict[str, tuple[str, int]] = {}
    landed_at = dict(landed_at or {})
    if given is not None:
        todo = [d for d, _ in given]
        hashes.update((d.delivery_id, content) for d, content in given)
        known: dict[str, str] = {}
    else:
        rows = ledger.read_ledger(lake_root, source)
        known = known_hashes(rows)
        todo = to_land(lake_root, source, rebuild, rows)
        landed_at = {**first_landings(rows, rebuild), **landed_at}
    if not todo:
        return summary
    options = options or EngineOptions()
    con = connect(timezone, options)
    try:
        if options.threads >= 2 and len(todo) > 1:
            summary.deliveries = _land_side_by_side(
                con, lake_root, source, timezone, handler, todo, known, hashes, prepare,
                options.threads, ledger_rows, landed_at)
            return summary
        if prepare is not None:
            prepare(con, lake_root)
        for delivery in todo:
            if delivery.delivery_id not in hashes:
                hashes[delivery.delivery_id] = delivery.content_sha256()
            summary.deliveries.append(_land_one(con, lake_root, source, timezone, delivery, handler, known,
                                                hashes[delivery.delivery_id], ledger_rows,
                                                landed_at.get(delivery.delivery_id)))
    finally:
        con.close()
    return summary


def _land_side_by_side(con, lake_root: Path, source: str, timezone: str, handler: Handler,
                       todo: list[Delivery], known: dict[str, str],
                       hashes: dict[str, tuple[str, int]],
                       prepare: Callable[[duckdb.DuckDBPyConnection, Path], None] | None,
                       workers: int, ledger_rows: bool,
                       landed_at: Mapping[str, datetime]) -> list[DeliveryResult]:
    """Land ``workers`` deliveries at a time, each on its own connection to the landing
    database with one DuckDB thread; the results in inbox order.

    A source's deliveries are independent once they are known not to be resends: each
    writes its own bronze, quarantine and ledger files, and its temp tables live in its
    connection. Landing one delivery keeps about 1.4 cores busy at most (a gzip file is
    read on one thread, Parquet written on few, and most deliveries are small: one exam,
    one school's survey), so two side by side use both.

    Resend order still holds: the hashes are taken first, and a delivery whose content
    an earlier one of this batch holds lands after the batch, once the one it repeats is
    ledgered. A failure cancels what has not started; what runs finishes and commits,
    which is what a crash between two deliveries leaves too. xAPI's voided statements
    are looked up in bronze by the delivery that voids them; a target landing beside it
    in the same run is missed there, but the target's own day is in this run's dates.
    """
    con.execute("SET threads=1")
    local = threading.local()
    opened: list[duckdb.DuckDBPyConnection] = []
    # A delivery's landing time orders it against the others downstream (the latest
    # delivery of a consent or a grant wins by ``_landed_at``), so the deliveries take
    # their times in inbox order, each later than the one before, whichever thread
    # starts first.
    turn = threading.Condition()
    clock: dict = {"next": 0, "last": None}

    def start_time(position: int) -> datetime:
        with turn:
            turn.wait_for(lambda: clock["next"] == position)
            now = datetime.now(UTC)
            if clock["last"] is not None and now <= clock["last"]:
                now = clock["last"] + timedelta(microseconds=1)
            clock["next"], clock["last"] = position + 1, now
            turn.notify_all()
        return now

    def cursor() -> duckdb.DuckDBPyConnection:
        cur = getattr(local, "cur", None)
        if cur is None:
            cur = con.cursor()  # settings such as TimeZone are per connection
            opened.append(cur)
            cur.execute(f"SET TimeZone={sql_str(timezone)}")
            if prepare is not None:
                prepare(cur, lake_root)
            local.cur = cur
        return cur

    def land(position: int, d: Delivery) -> DeliveryResult:
        started = start_time(position)  # first: a task only starts after the one before it
        started = landed_at.get(d.delivery_id, started)
        return _land_one(cursor(), lake_root, source, timezone, d, handler, known, hashes[d.delivery_id],
                         ledger_rows, started)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"landing-{source}")
    try:
        missing = [d for d in todo if d.delivery_id not in hashes]
        for d, content in zip(missing, pool.map(Delivery.content_sha256, missing), strict=True):
            hashes[d.delivery_id] = content
        batch, repeats, seen = [], [], set()
        for d in todo:
            sha = hashes[d.delivery_id][0]
            (repeats if sha in seen else batch).append(d)
            seen.add(sha)
        results = dict(zip((d.delivery_id for d in batch), pool.map(land, range(len(batch)), batch), strict=True))
        for i, d in enumerate(repeats, len(batch)):  # rare: a resend of a delivery of this batch
            results[d.delivery_id] = pool.submit(land, i, d).result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for cur in opened:
            cur.close()
    return [results[d.delivery_id] for d in todo]


def _land_one(con, lake_root, source, timezone, delivery: Delivery, handler: Handler,
              known_hashes: dict[str, str], content: tuple[str, int],
              ledger_rows: bool = True, started: datetime | None = None) -> DeliveryResult:
    started = started or datetime.now(UTC)
    sha, size = content
    first = known_hashes.get(sha)
    if first is not None and first != delivery.delivery_id:
        result = duplicate_of(delivery.delivery_id, first, started)
        if ledger_rows:
            write_ledger(lake_root, source, delivery, sha, size, result)
        log.info("%s/%s: duplicate of %s", source, delivery.delivery_id, first)
        return result
    quarantine.create(con)
    try:
        with delivery.members() as members:
            ctx = LandContext(con, lake_root, source, delivery, timezone, started, members)
            handler(ctx)
            result = ctx.result
            result.records_in = ctx.records_in
    except (Unreadable, OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, Unreadable):
            unreadable = exc
        elif isinstance(exc, zipfile.BadZipFile):
            unreadable = Unreadable("unreadable_file", f"zip will not open: {exc}")
        else:
            unreadable = Unreadable("unreadable_file", str(exc))
        for table in SOURCE_TABLES[source]:
            remove_delivery(LakePaths(Path(lake_root)).bronze / source / table, delivery.delivery_id)
        quarantine.create(con)
        quarantine.add_whole(con, unreadable.file, unreadable.reason, unreadable.detail)
        result = DeliveryResult(delivery.delivery_id, "unreadable", records_in=1,
                                reason=f"{unreadable.reason}: {unreadable.detail}"[:500])
    result.quarantined = quarantine.count(con)
    result.reasons = quarantine.by_reason(con)
    result.started_at = started
    quarantine.write(con, lake_root, source, delivery.delivery_id,
                     f"TIMESTAMPTZ '{started.isoformat()}'")
    known_hashes[sha] = delivery.delivery_id
    if ledger_rows:
        commit(lake_root, source, delivery, sha, size, result)
    log.info("%s/%s: %s in=%d landed=%d quarantined=%d", source, delivery.delivery_id,
             result.status, result.records_in, result.landed, result.quarantined)
    return result


def commit(lake_root, source, delivery: Delivery, sha: str, size: int, result: DeliveryResult) -> None:
    """The ledger row of a delivery whose bronze and quarantine files are written.

    It is written last: a crash before it leaves the delivery pending, and landing it
    again overwrites exactly its own bronze and quarantine files."""
    fault_point(f"landing:{source}:{delivery.delivery_id}")
    write_ledger(lake_root, source, delivery, sha, size, result)


def write_ledger(lake_root, source, delivery: Delivery, sha: str, size: int, result: DeliveryResult) -> None:
    ledger.write_row(
        lake_root,
        ledger.LedgerRow(
            source=source, delivery_id=delivery.delivery_id,
            delivery_path=str(delivery.path.relative_to(lake_root)),
            content_sha256=sha, size_bytes=size, records_in=result.records_in,
            landed=result.landed, quarantined=result.quarantined, status=result.status,
            duplicate_of=result.duplicate_of, reason=result.reason,
            local_dates=result.local_dates, started_at=result.started_at or datetime.now(UTC),
            finished_at=datetime.now(UTC),
        ),
    )
