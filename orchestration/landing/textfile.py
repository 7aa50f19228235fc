"""Reading a delivered file as numbered text lines with DuckDB, and naming read failures.

``read_csv`` with one VARCHAR column, a delimiter that never occurs and no quoting gives
each physical line (1-based ``WITH ORDINALITY``), decompresses ``.gz`` on the fly, strips
a UTF-8 BOM, and fails on a truncated gzip or invalid UTF-8, which we turn into a
whole-delivery quarantine reason.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import duckdb

from orchestration.landing.core import Unreadable
from orchestration.landing.writer import sql_str

# A record line longer than MAX_LINE_BYTES is quarantined alone (line_too_long) and the
# rest of its file lands; the reader accepts lines up to READ_LINE_BYTES so that it can.
MAX_LINE_BYTES = 2 << 20
READ_LINE_BYTES = 16 << 20


def _line_end(path: Path) -> str:
    """The ``new_line`` option for the file: ``\\r\\n`` accepts LF, CRLF and a mix, but
    splits a CR-only file (old Mac exports) one character late; those get ``\\r``.
    Sniffed from the first 64 kB (decompressed for .gz)."""
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            head = fh.read(64 << 10)
    except (OSError, EOFError):
        head = b""  # unreadable: DuckDB's read says why
    return "\\r" if b"\r" in head and b"\n" not in head else "\\r\\n"


def lines_sql(path: Path) -> str:
    """A FROM-able relation ``(line VARCHAR, ordinality BIGINT)`` over the file's lines.

    ``new_line`` (``_line_end``) accepts LF, CRLF, a mix, or CR alone, without counting
    an extra line; blank lines come through as NULL. The single-threaded
    reader (``parallel=false``): gzip is decompressed serially anyway, and the parallel
    one refuses some files with this dialect ("does not support a full read").
    """
    return (
        f"read_csv({sql_str(str(path))}, columns={{'line': 'VARCHAR'}}, delim='\\x01', quote='', "
        f"escape='', header=false, auto_detect=false, strict_mode=false, new_line='{_line_end(path)}', "
        f"compression='auto', parallel=false, max_line_size={READ_LINE_BYTES}, "
        f"buffer_size={2 * READ_LINE_BYTES}) WITH ORDINALITY"
    )


# Errors that mean "this file cannot be read", as opposed to a bug in our SQL.
READ_ERRORS = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)


def _legacy_encoding_hint(path: Path) -> str:
    """"; it reads as GB18030 ...": a Chinese file saved in the national encoding (Excel's
    default on a Chinese system) is the usual not-UTF-8 delivery; saying so tells the
    school what to change. Empty when the head does not read as GB18030 text with CJK."""
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return ""
    for cut in range(4):  # the head may end inside a two- or four-byte character
        try:
            text = head[:len(head) - cut].decode("gb18030")
            break
        except UnicodeDecodeError:
            continue
    else:
        return ""
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return ""
    return "; it reads as GB18030 (GBK), the Chinese national encoding: export it again as UTF-8"


def as_unreadable(exc: duckdb.Error, file: str | None, path: Path | None = None) -> Unreadable:
    """Map a DuckDB read error to a quarantine reason code (``path``: the file, to say
    which encoding a file that is not UTF-8 is in)."""
    msg = str(exc)
    first = msg.splitlines()[0] if msg else type(exc).__name__
    # Keep the file's name, drop the folders: a quarantine row says what is wrong with
    # the delivery, the same in every lake, and does not publish the server's layout.
    first = re.sub(r"/\S*/", "", first)
    low = msg.lower()
    if "gzip" in low:
        return Unreadable("truncated_gzip", first, file)
    if "invalid unicode" in low or "not utf-8 encoded" in low:
        return Unreadable("not_utf8", first + (_legacy_encoding_hint(path) if path is not None else ""), file)
    return Unreadable("unreadable_file", first, file)


def load_lines(con: duckdb.DuckDBPyConnection, path: Path, table: str, file: str) -> int:
    """Materialize non-blank lines as ``table(pos, line)``; returns how many."""
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT ordinality AS pos, line "
            f"FROM {lines_sql(path)} WHERE line IS NOT NULL AND trim(line) <> ''"
        )
    except READ_ERRORS as exc:
        raise as_unreadable(exc, file, path) from exc
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
