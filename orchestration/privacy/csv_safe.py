"""Every CSV eduhouse writes is safe to open in a spreadsheet (no CSV injection).

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR is read by Excel and
LibreOffice as a formula (``=HYPERLINK(...)`` phones home, ``=cmd|...`` runs DDE). Such
a cell is written with a leading ``'``, which spreadsheets show as text; the value stays
readable. Numbers are numeric columns and untouched (``-3`` stays a number).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def safe_cell(value):
    """One value as it may be written: text that starts like a formula gets a `'`."""
    if isinstance(value, str) and FORMULA_START.match(value):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell neutralised (object and string columns)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            text = out[column]
            risky = text.astype("string").str.match(FORMULA_START.pattern).fillna(False).astype(bool)
            out[column] = text.where(~risky, "'" + text.astype("string"))
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` neutralised, through a temp file renamed into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    csv_safe(frame).to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path
