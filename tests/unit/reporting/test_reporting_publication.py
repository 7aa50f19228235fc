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


def test_no_page_for_a_month_the_marts_do_not_hold(sample_reports):
    """A backfill over days without data ran the publication of their month: it wrote a
    'no data' page and listed it in the index (found by the backfill probe). Nothing is
    written for a month the usage mart does not hold."""
    lake, _ = sample_reports
    assert render_publication(lake, "2025-01", min_cell=10) is None
    assert not (lake / "reports" / "publication" / "2025-01.html").exists()
    index = lake / "reports" / "publication" / "index.html"
    assert not index.exists() or "2025-01" not in index.read_text(encoding="utf-8")


def test_publication_carries_linze_beside_fangshan(sample_reports):
    """Seed 004 next to seed 001: the month's platform-use indicators, its lagging and
    model schools, and the follow-up of schools flagged before, as the marts decided."""
    lake, _ = sample_reports
    zh = load_catalogue("zh")
    october = render_publication(lake, "2021-10", min_cell=10).read_text(encoding="utf-8")
    november = render_publication(lake, "2021-11", min_cell=10).read_text(encoding="utf-8")
    for page in (october, november):
        for key in ("section.platform_use", "section.lagging", "section.follow_up", "col.registration_rate"):
            assert zh[key] in page
    with duckdb.connect() as con:
        flags = con.execute(f"select month, school_name, flag, use_rate_change_since_flag from "
                            f"'{lake}/marts/school_flags_monthly.parquet' where flag in ('lagging', 'model') "
                            "or followed_up").fetchall()
    lagging = [(m, n) for m, n, f, _ in flags if f == "lagging"]
    assert lagging and all(n in (october if m == "2021-10" else november) for m, n in lagging)
    # the follow-up appears from the month after the flag, its change in percentage points
    followed = [c for m, _, f, c in flags if m == "2021-11" and c is not None]
    assert followed and all(f"{c * 100:+.1f} {zh['unit.pp']}" in november for c in followed)
    # October flags schools that nothing followed up yet: the page says when it begins, not
    # that no school was flagged right under the table of those flagged (the reports probe)
    assert zh["msg.follow_up_from_next_month"] in october and zh["msg.no_follow_up"] not in october


def test_no_page_for_a_month_without_a_statement(tmp_path):
    """A backfill over days without data built their month from the roster alone: rows of
    zeros, data_through empty. Published, they read as a month nobody used the platform
    (the operations probe); the month with a statement is published."""
    import pandas as pd

    marts = tmp_path / "marts"
    marts.mkdir()
    usage = pd.DataFrame({
        "month": ["2021-10", "2021-11"], "org_sourced_id": ["d1", "d1"], "org_type": ["district", "district"],
        "org_name": ["区", "区"], "segment": ["all", "all"], "population": ["student", "student"],
        "on_roster": [40, 40], "online": [30, 0], "online_rate": [0.75, 0.0], "suppressed": [False, False],
        "data_through": pd.to_datetime(["2021-10-30", None]).date,
    })
    usage.to_parquet(marts / "usage_monthly.parquet")
    usage[["month", "org_sourced_id"]].iloc[0:0].to_parquet(marts / "microtest_monthly.parquet")
    assert render_publication(tmp_path, "2021-11", min_cell=10) is None
    assert not (tmp_path / "reports" / "publication" / "2021-11.html").exists()


def test_publication_is_dated_by_the_last_day_of_data(tmp_path):
    """Every page is dated by usage_monthly.data_through, the last day the month's learning
    logs reach; the publication printed 数据截至：2021-10 over data through 10-05 (the
    metrics probe)."""
    from eduhouse_dev.sample_lake import build_sample_lake

    lake = build_sample_lake(tmp_path / "lake")
    path = lake / "marts" / "usage_monthly.parquet"
    with duckdb.connect() as con:
        con.execute(f"copy (select *, case when month = '{MONTH}' then date '2021-10-05' end as data_through "
                    f"from read_parquet('{path}')) to '{path}.new' (format parquet)")
    path.with_name(path.name + ".new").replace(path)
    page = render_publication(lake, MONTH, min_cell=10).read_text(encoding="utf-8")
    as_of = load_catalogue("zh")["label.as_of"]
    assert as_of.format(date="2021-10-05") in page and as_of.format(date=MONTH) + "<" not in page
