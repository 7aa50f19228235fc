"""The district's monthly usage publication (月度通报), one page per month.

Built only from public marts as dbt published them, small cells already suppressed (macro
suppress_small_cells): Fangshan's usage and micro-test tables (``usage_monthly``,
``microtest_monthly``) and, next to them, Linze's indicators, lagging and model schools
and follow-up (``platform_use_monthly``, ``school_flags_monthly``; seed 004). This module
formats, it hides nothing of its own. Headings come from the message catalogue (zh, or
en with ``lang="en"``); percentages have one decimal; the page prints on A4 landscape.
Written to ``<lake>/reports/publication/<YYYY-MM>.html`` with an index of the months,
linked from the top report index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.errors import UserError
from orchestration.lake import LakePaths
from orchestration.pages.i18n import Translator
from orchestration.reporting.components import Section, Table, cell
from orchestration.reporting.contexts.platform import platform_use_section, school_flags_sections
from orchestration.reporting.data import publication
from orchestration.reporting.store import MartStore, records
from orchestration.reporting.usage_table import usage_table

MARTS = ("usage_monthly", "microtest_monthly")
FOLDER = "publication"


class MissingMart(UserError):
    """A mart the publication reads is not published yet (run the dbt marts first)."""


def _month_rows(path: Path, month: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        return con.execute("select * from read_parquet(?) where month = ?", [str(path), month]).df()
    finally:
        con.close()


def _micro_table(t: Translator, min_cell: int, m: pd.DataFrame) -> Table:
    m = m.sort_values(["org_type", "segment", "org_name"], ascending=[False, True, True])
    rows = [[cell(r.org_name), cell(t(f"segment.{r.segment}")), cell(r.microtests_assigned, "int"),
             cell(r.students_assigned, "int", suppressed=r.is_suppressed),
             cell(r.students_answering, "int", suppressed=r.is_suppressed),
             cell(r.answer_rate, "pct", suppressed=r.is_suppressed),
             cell(r.answers, "int", suppressed=r.is_suppressed)] for r in records(m)]
    return Table([t("col.org"), t("col.segment"), t("col.microtests_assigned"), t("col.students_assigned"),
                  t("col.students_answering"), t("col.micro_answer_rate"), t("col.micro_answers")], rows,
                 footnote=t("note.suppressed", n=min_cell),
                 row_classes=["total" if o != "school" else "" for o in m.org_type])


def publication_context(t: Translator, usage: pd.DataFrame, micro: pd.DataFrame, month: str, min_cell: int,
                        platform_use: pd.DataFrame | None = None, school_flags: pd.DataFrame | None = None) -> dict:
    """The month's sections; Linze's when its marts are given (every month's flags up to
    this one, for the follow-up)."""
    u, m = publication(usage, micro)
    usec = Section(t("publication.usage"), period=month)
    msec = Section(t("publication.micro"), period=month)
    if len(u):
        usec.tables.append(usage_table(t, min_cell, u, m, month))
    else:
        usec.paragraphs.append(t("msg.no_data"))
    if len(m):
        msec.tables.append(_micro_table(t, min_cell, m))
    else:
        msec.paragraphs.append(t("msg.no_data"))
    sections = [usec, msec]
    if platform_use is not None and school_flags is not None:
        orgs = sorted(platform_use.org_sourced_id.astype(str).unique())
        schools = sorted(school_flags.school_sourced_id.astype(str).unique())
        sections.append(platform_use_section(t, platform_use, min_cell, orgs, month))
        flag_sections, _ = school_flags_sections(t, school_flags, schools, month)
        sections += flag_sections
    return {"title": t("publication.title", month=month), "subtitle": t("publication.subtitle"),
            "intro": t("note.usage"), "sections": sections}


def render_publication(lake: str | Path, month: str, min_cell: int, lang: str = "zh") -> Path | None:
    """Write one month's publication page (temp file, then rename) and the months' index;
    None, writing nothing, for a month the usage mart does not hold (no one on the roster
    then: a backfill over days before or after the data published an empty page for it)
    or holds without a statement in it."""
    from orchestration.pages.env import make_env

    paths = LakePaths(Path(lake))
    frames = {}
    for name in MARTS:
        path = paths.marts / f"{name}.parquet"
        if not path.exists():
            raise MissingMart(f"mart {name} is not published yet: run the dbt marts first")
        frames[name] = _month_rows(path, month)
    usage = frames["usage_monthly"]
    # a month with no learning-log statement (data_through empty: a backfill over days
    # without data built it from the roster alone) has nothing to publish: its zeros would
    # read as a month nobody used the platform (the operations probe)
    if usage.empty or ("data_through" in usage.columns and usage.data_through.isna().all()):
        return None
    store = MartStore(lake)  # Linze's marts: empty, with their columns, in a lake built before them
    platform_use = store.table("platform_use_monthly")
    platform_use = platform_use[platform_use.month.astype(str) == month]
    school_flags = store.table("school_flags_monthly")
    school_flags = school_flags[school_flags.month.astype(str) <= month]
    env = make_env(lang)
    t = env.globals["t"]
    ctx = publication_context(t, frames["usage_monthly"], frames["microtest_monthly"], month, min_cell,
                              platform_use, school_flags)
    # dated as every page is, by the last day the month's learning logs reach, not by the
    # month (it printed 数据截至 2021-10 over data through 10-05: the metrics probe)
    as_of = (pd.to_datetime(usage.data_through).max().date().isoformat()
             if "data_through" in usage.columns else month)
    html = env.get_template("publication.html").render(
        **ctx, root="../", generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), as_of=as_of, missing=[])
    out = paths.reports / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{month}.html"
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    write_publication_index(paths.reports, env)
    return target


def published_months(lake: str | Path) -> list[str]:
    """Every month the usage mart holds, oldest first (none when it is not published)."""
    path = LakePaths(Path(lake)).marts / "usage_monthly.parquet"
    if not path.exists():
        return []
    con = duckdb.connect()
    try:
        return [r[0] for r in con.execute("select distinct month from read_parquet(?) order by 1", [str(path)]).fetchall()]
    finally:
        con.close()


def write_publication_index(reports: Path, env) -> Path:
    """``publication/index.html``: every month published so far, newest first."""
    t = env.globals["t"]
    folder = reports / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    months = sorted((p.stem for p in folder.glob("????-??.html")), reverse=True)
    links = [{"href": f"{m}.html", "text": t("publication.title", month=m), "extra": ""} for m in months]
    html = env.get_template("index.html").render(
        title=t("publication.index"), subtitle=t("index.pages", n=len(months)),
        intro=None if months else t("publication.none"),
        groups=[{"title": t("publication.index"), "links": links}] if links else [],
        root="../", generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), missing=[])
    target = folder / "index.html"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target
