"""Bulk CSV formatting with Arrow compute: minimal RFC 4180 quoting, one pass per column.

pyarrow's own writer quotes every string; real exports quote only what needs it
("09,10"), and the dirt injector needs each row's text to know line numbers, so rows are
built here as strings and written in one go.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def as_text(values) -> pa.Array:
    """Any column (numpy, list, Arrow) as an Arrow string array; None stays null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values.tolist() if isinstance(values, np.ndarray) else values)
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return values


def quote(values: pa.Array) -> pa.Array:
    """Quote the values that contain a comma, quote or line break (RFC 4180)."""
    needs = pc.match_substring_regex(values, r'[",\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, values)


def format_rows(columns: dict[str, object]) -> tuple[str, pa.Array]:
    """Header line and the data lines (without line ends) of a CSV file."""
    names = list(columns)
    cols = [pc.fill_null(quote(as_text(v)), "") for v in columns.values()]
    if not cols or len(cols[0]) == 0:
        return ",".join(names), pa.array([], pa.string())
    rows = pc.binary_join_element_wise(*cols, ",")
    return ",".join(names), rows


def write_lines(path: Path, header: str, rows: pa.Array, encoding: str = "utf-8", *,
                windows: bool = False) -> None:
    """Write header + rows with a final newline; `windows` = UTF-8 BOM and CRLF line ends,
    as spreadsheet exports on Windows do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding != "utf-8":
        path.write_bytes(("\n".join([header, *rows.to_pylist()]) + "\n").encode(encoding))
        return
    end = "\r\n" if windows else "\n"
    with open(path, "wb") as fh:
        fh.write((("\ufeff" if windows else "") + header + end).encode())
        if len(rows):
            fh.write(joined_view(rows, end))


def joined_view(rows: pa.Array, end: str = "\n") -> memoryview:
    """The rows as one UTF-8 buffer, each followed by a line end, without a Python loop
    (a view on an Arrow buffer: no further copy)."""
    with_nl = pc.binary_join_element_wise(rows, end, "")
    offsets = np.frombuffer(with_nl.buffers()[1], dtype=np.int32)
    first, last = offsets[with_nl.offset], offsets[with_nl.offset + len(with_nl)]
    return memoryview(with_nl.buffers()[2])[first:last]


def joined_bytes(rows: pa.Array, end: str = "\n") -> bytes:
    return joined_view(rows, end).tobytes()


def write_csv(path: Path, columns: dict[str, object], encoding: str = "utf-8") -> int:
    """Write a CSV file; returns the number of data rows."""
    header, rows = format_rows(columns)
    write_lines(path, header, rows, encoding)
    return len(rows)


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Vectorised `f"{prefix}{n:0{width}d}"`."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")
