"""Which local dates the not-yet-landed deliveries of a time-based source contain.

Found cheaply for the runner and the inbox sensor: DuckDB reads the lines as text and
regexp-extracts the first timestamp property, with no full JSON parse. Unreadable
deliveries contribute no dates (landing them quarantines them whatever the partition).
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from orchestration.landing.core import pending
from orchestration.landing.textfile import READ_ERRORS, lines_sql
from orchestration.landing.writer import sql_str
from orchestration.settings import DEFAULT_TIMEZONE

log = logging.getLogger(__name__)

TIME_KEYS = {"xapi": "timestamp", "access": "event_time"}


def pending_dates(lake_root: Path, source: str, timezone: str = DEFAULT_TIMEZONE) -> list[str]:
    """Sorted ``YYYY-MM-DD`` local dates found in the source's unledgered deliveries."""
    key = TIME_KEYS[source]
    deliveries = [d for d in pending(Path(lake_root), source) if d.kind == "file"]
    if not deliveries:
        return []
    pattern = sql_str(f'"{key}"\\s*:\\s*"([^"]+)"')
    con = duckdb.connect()
    dates: set[str] = set()
    try:
        con.execute("SET threads=2")
        con.execute(f"SET TimeZone={sql_str(timezone)}")
        for d in deliveries:
            sql = (f"SELECT DISTINCT strftime((TRY_CAST(regexp_extract(line, {pattern}, 1) AS TIMESTAMPTZ) "
                   f"AT TIME ZONE {sql_str(timezone)})::DATE, '%Y-%m-%d') AS d "
                   f"FROM {lines_sql(d.path)} WHERE line IS NOT NULL")
            try:
                dates.update(r[0] for r in con.execute(sql).fetchall() if r[0] is not None)
            except READ_ERRORS as exc:
                log.warning("pending_dates: %s unreadable (%s)", d.path, str(exc).splitlines()[0])
    finally:
        con.close()
    return sorted(dates)
