"""Which local dates the not-yet-landed deliveries of a time-based source contain.

``pending_dates``, for the inbox sensor: every line of every delivery, read as text, its
first timestamp property regexp-extracted (no full JSON parse). ``head_dates``, for
`eduhouse run`: the same from the first records of each delivery only. Unreadable
deliveries contribute no dates (landing them quarantines them whatever the partition).
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from orchestration.landing.core import pending
from orchestration.landing.textfile import READ_ERRORS, lines_sql
from orchestration.landing.writer import sql_str
from orchestration.settings import DEFAULT_TIMEZONE

log = logging.getLogger(__name__)

TIME_KEYS = {"xapi": "timestamp", "access": "event_time"}


def pending_dates(lake_root: Path, source: str, timezone: str = DEFAULT_TIMEZONE) -> list[str]:
    """Sorted ``YYYY-MM-DD`` local dates found in the source's unledgered deliveries.

    One file per thread on as many threads as cores: a gzip file is decompressed on one
    thread whatever DuckDB's setting, so a month's inbox (60 files) read one after the
    other kept a core idle for half a minute before landing began."""
    key = TIME_KEYS[source]
    deliveries = [d for d in pending(Path(lake_root), source) if d.kind == "file"]
    if not deliveries:
        return []
    pattern = sql_str(f'"{key}"\\s*:\\s*"([^"]+)"')

    def dates_of(path: Path) -> set[str]:
        con = duckdb.connect(config={"threads": 1})
        try:
            con.execute(f"SET TimeZone={sql_str(timezone)}")
            sql = (f"SELECT DISTINCT strftime((TRY_CAST(regexp_extract(line, {pattern}, 1) AS TIMESTAMPTZ) "
                   f"AT TIME ZONE {sql_str(timezone)})::DATE, '%Y-%m-%d') AS d "
                   f"FROM {lines_sql(path)} WHERE line IS NOT NULL")
            return {r[0] for r in con.execute(sql).fetchall() if r[0] is not None}
        except READ_ERRORS as exc:
            log.warning("pending_dates: %s unreadable (%s)", path, str(exc).splitlines()[0])
            return set()
        finally:
            con.close()

    workers = min(len(deliveries), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = list(pool.map(dates_of, [d.path for d in deliveries]))
    return sorted(set().union(*found))


# Of each delivery, the decompressed bytes head_dates reads: a few hundred records.
HEAD_BYTES = 256 << 10


def head_dates(lake_root: Path, source: str, timezone: str = DEFAULT_TIMEZONE) -> list[str]:
    """Sorted ``YYYY-MM-DD`` local dates of the first records (``HEAD_BYTES``) of each of
    the source's unledgered deliveries: the days they are for, at a glance.

    What `eduhouse run` sets its landing run's range by. The landing reads every record
    whatever the range: the dates it lands outside it get their own partition
    materializations, and the bronze checks widen their window to them (landing/assets.py,
    quality/checks.py). So this need not find every date, where ``pending_dates`` read a
    district month's whole inbox for it (62 files, 18.5 CPU s, on the two cores the first
    landing and the code location's load were using), and where any stray record stretched
    the run's range (one of April: over 200 days). With no date found for pending
    deliveries (their heads all malformed) it falls back to ``pending_dates``."""
    deliveries = [d for d in pending(Path(lake_root), source) if d.kind == "file"]
    if not deliveries:
        return []
    stamp = re.compile(rb'"%s"\s*:\s*"([^"]+)"' % TIME_KEYS[source].encode())
    stamps: list[str] = []
    for delivery in deliveries:
        opener = gzip.open if delivery.path.name.lower().endswith(".gz") else open
        try:
            with opener(delivery.path, "rb") as fh:
                head = fh.read(HEAD_BYTES)
        except (OSError, EOFError, zlib.error):
            continue  # unreadable: landing quarantines it whole
        stamps += [m.decode("utf-8", "replace") for m in stamp.findall(head)]
    con = duckdb.connect(config={"threads": 1})
    try:
        con.execute(f"SET TimeZone={sql_str(timezone)}")
        rows = con.execute(
            f"SELECT DISTINCT strftime((TRY_CAST(s AS TIMESTAMPTZ) AT TIME ZONE {sql_str(timezone)})::DATE, "
            "'%Y-%m-%d') FROM unnest(?::VARCHAR[]) AS t(s)", [stamps]).fetchall()
    finally:
        con.close()
    dates = sorted(r[0] for r in rows if r[0] is not None)
    return dates or pending_dates(lake_root, source, timezone)
