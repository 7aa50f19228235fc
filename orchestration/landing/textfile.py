"""Reading a delivered file as numbered text lines with DuckDB, and naming read failures.

``read_csv`` with one VARCHAR column, a delimiter that never occurs and no quoting gives
each physical line (1-based ``WITH ORDINALITY``), decompresses ``.gz`` on the fly, strips
a UTF-8 BOM, and fails on a truncated gzip or invalid UTF-8, which we turn into a
whole-delivery quarantine reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from orchestration.landing.core import Unreadable
from orchestration.landing.writer import sql_str


def lines_sql(path: Path) -> str:
    """A FROM-able relation ``(line VARCHAR, ordinality BIGINT)`` over the file's lines.

    ``new_line='\\r\\n'`` makes DuckDB accept both LF and CRLF line ends (and a mix)
    without counting an extra line; blank lines come through as NULL. The single-threaded
    reader (``parallel=false``): gzip is decompressed serially anyway, and the parallel
    one refuses some files with this dialect ("does not support a full read").
    """
    return (
        f"read_csv({sql_str(str(path))}, columns={{'line': 'VARCHAR'}}, delim='\\x01', quote='', "
        "escape='', header=false, auto_detect=false, strict_mode=false, new_line='\\r\\n', "
        "compression='auto', parallel=false) WITH ORDINALITY"
    )


# Errors that mean "this file cannot be read", as opposed to a bug in our SQL.
READ_ERRORS = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)


def as_unreadable(exc: duckdb.Error, file: str | None) -> Unreadable:
    """Map a DuckDB read error to a quarantine reason code."""
    msg = str(exc)
    first = msg.splitlines()[0] if msg else type(exc).__name__
    # Keep the file's name, drop the folders: a quarantine row says what is wrong with
    # the delivery, the same in every lake, and does not publish the server's layout.
    first = re.sub(r"/\S*/", "", first)
    low = msg.lower()
    if "gzip" in low:
        return Unreadable("truncated_gzip", first, file)
    if "invalid unicode" in low or "not utf-8 encoded" in low:
        return Unreadable("not_utf8", first, file)
    return Unreadable("unreadable_file", first, file)


def load_lines(con: duckdb.DuckDBPyConnection, path: Path, table: str, file: str) -> int:
    """Materialize non-blank lines as ``table(pos, line)``; returns how many."""
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT ordinality AS pos, line "
            f"FROM {lines_sql(path)} WHERE line IS NOT NULL AND trim(line) <> ''"
        )
    except READ_ERRORS as exc:
        raise as_unreadable(exc, file) from exc
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
