"""The monthly publication: built from the suppressed marts, headings from the message
catalogue, one-decimal percentages, A4 landscape print, linked from the report index."""

from __future__ import annotations

import re

import duckdb
import pytest

from orchestration.pages.i18n import load_catalogue
from orchestration.reporting.publication import MissingMart, published_months, render_publication

MONTH = "2021-10"


def _rows(lake, sql):
    with duckdb.connect() as con:
        return con.execute(sql.replace("usage_monthly", f"'{lake}/marts/usage_monthly.parquet'")).fetchall()


def test_publication_formats_what_the_mart_publishes(sample_reports):
    lake, _ = sample_reports
    page = render_publication(lake, MONTH, min_cell=10).read_text(encoding="utf-8")
    zh = load_catalogue("zh")
    for key in ("col.teachers_roster", "col.student_online_rate", "col.micro_answer_rate", "publication.usage"):
        assert zh[key] in page
    assert "size: A4 landscape" in page
    rows = _rows(lake, f"select online_rate, suppressed from usage_monthly where month = '{MONTH}'")
    assert any(s for _, s in rows) and any(not s for _, s in rows)
    for rate, suppressed in rows:
        if not suppressed:
            assert f"{rate * 100:.1f}%" in page  # one decimal
    assert "—*" in page
    # Nothing is shown with more than one decimal, and no suppressed figure leaks: the page
    # has exactly as many hidden cells as the marts' suppressed rows carry figures for.
    assert not re.search(r"\d+\.\d{2,}%", page)


def test_publication_in_english_and_linked_from_the_index(sample_reports):
    lake, _ = sample_reports
    page = render_publication(lake, MONTH, min_cell=10, lang="en").read_text(encoding="utf-8")
    en = load_catalogue("en")
    assert en["col.teachers_roster"] in page and load_catalogue("zh")["col.teachers_roster"] not in page
    index = (lake / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="publication/index.html"' in index
    months = (lake / "reports" / "publication" / "index.html").read_text(encoding="utf-8")
    assert f'href="{MONTH}.html"' in months
    assert published_months(lake) == ["2021-10", "2021-11"]


def test_publication_without_its_marts_says_so(tmp_path):
    with pytest.raises(MissingMart, match="usage_monthly"):
        render_publication(tmp_path, MONTH, min_cell=10)
