"""Are two builds' marts the same? Row for row, as multisets, with doubles compared to a
tolerance: the check that the Spark build equals the DuckDB build (issue: scale-out), and
that a refactoring of the SQL changed no figure.

Two engines (or two runs of one with parallel aggregation) sum doubles in different
orders, so a mean can differ in its last bits: 0.534873949579832 against
0.5348739495798321. Each row is turned into a sort key with doubles rounded to
``KEY_DIGITS`` places; both sides are sorted by it and compared pair by pair, doubles to
``tolerance`` (absolute, or relative for large values), lists and structs element by
element. A row whose double sits on a rounding boundary can sort differently on the two
sides; it then shows as a difference, never as a false match.

This reads whole files into Python: it is for the tiny and small districts of the tests
and the bench, not for a city.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

DEFAULT_TOLERANCE = 1e-9
KEY_DIGITS = 6


@dataclass(frozen=True)
class MartDifference:
    mart: str
    reason: str

    def __str__(self) -> str:
        return f"{self.mart}: {self.reason}"


def _key(value: Any) -> Any:
    """A sortable, hashable form of a value with doubles rounded (None sorts first)."""
    if value is None:
        return (0,)
    if isinstance(value, float):
        if math.isnan(value):
            return (1, "nan")
        return (1, round(value, KEY_DIGITS) + 0.0)
    if isinstance(value, dict):
        return (2, tuple((k, _key(v)) for k, v in sorted(value.items())))
    if isinstance(value, list | tuple):
        return (3, tuple(_key(v) for v in value))
    return (4, type(value).__name__, value)


def values_equal(a: Any, b: Any, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            return False
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return a == b


def _rows(path: Path) -> tuple[list[str], list[tuple]]:
    table = pq.read_table(path)
    columns = table.column_names
    data = table.to_pydict()
    return columns, list(zip(*(data[c] for c in columns), strict=True)) if columns else []


def _describe(columns: list[str], rows_a: list[tuple], rows_b: list[tuple], first: int) -> str:
    """Why two sorted row lists differ: the rows only one side has (by rounded key), else
    the first pair that is out of tolerance."""
    keys_a = Counter(_key(r) for r in rows_a)
    keys_b = Counter(_key(r) for r in rows_b)
    only_a = [r for r in rows_a if keys_a[_key(r)] > keys_b[_key(r)]]
    only_b = [r for r in rows_b if keys_b[_key(r)] > keys_a[_key(r)]]
    if only_a or only_b:
        show = lambda rows: dict(zip(columns, rows[0], strict=True)) if rows else None  # noqa: E731
        return f"{len(only_a)} row(s) only left, {len(only_b)} only right; e.g. left {show(only_a)} right {show(only_b)}"
    x, y = rows_a[first], rows_b[first]
    diff = {c: (u, v) for c, u, v in zip(columns, x, y, strict=True) if u != v}
    return f"row {first} of {len(rows_a)} beyond tolerance: {diff}"


def compare_mart_files(a: Path, b: Path, tolerance: float = DEFAULT_TOLERANCE) -> str | None:
    """None when the two files hold the same rows; else why not, in one line."""
    cols_a, rows_a = _rows(a)
    cols_b, rows_b = _rows(b)
    if sorted(cols_a) != sorted(cols_b):
        return f"columns differ: only left {sorted(set(cols_a) - set(cols_b))}, only right {sorted(set(cols_b) - set(cols_a))}"
    if cols_a != cols_b:  # same columns in another order: compare by name
        order = [cols_b.index(c) for c in cols_a]
        rows_b = [tuple(r[i] for i in order) for r in rows_b]
    if len(rows_a) != len(rows_b):
        return f"{len(rows_a)} rows against {len(rows_b)}"
    rows_a.sort(key=_key)
    rows_b.sort(key=_key)
    for n, (x, y) in enumerate(zip(rows_a, rows_b, strict=True)):
        if not values_equal(list(x), list(y), tolerance):
            return _describe(cols_a, rows_a, rows_b, n)
    return None


def compare_mart_folders(a: Path, b: Path, tolerance: float = DEFAULT_TOLERANCE) -> tuple[int, list[MartDifference]]:
    """(marts compared, differences) for every ``*.parquet`` in either folder."""
    names = sorted({p.name for p in a.glob("*.parquet")} | {p.name for p in b.glob("*.parquet")})
    differences = []
    for name in names:
        left, right = a / name, b / name
        if not left.exists() or not right.exists():
            differences.append(MartDifference(name, f"only in {left.parent if left.exists() else right.parent}"))
            continue
        reason = compare_mart_files(left, right, tolerance)
        if reason:
            differences.append(MartDifference(name, reason))
    return len(names), differences
