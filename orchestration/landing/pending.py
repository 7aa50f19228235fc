"""Which local dates the not-yet-landed deliveries of a time-based source contain.

Found cheaply for the runner and the inbox sensor: DuckDB reads the lines as text and
regexp-extracts the first timestamp property, with no full JSON parse. Unreadable
deliveries contribute no dates (landing them quarantines them whatever the partition).
"""

from __future__ import annotations

import logging
import os
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
