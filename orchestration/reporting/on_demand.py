"""Student and parent pages rendered when they are asked for (ON_DEMAND_ROLES).

At district scale these are 117,000 of the 123,000 pages, and every day's learning
activity changes most of them, so rendering them all each night costs minutes for pages
few will open that day. Instead the pipeline lists them (reports/pages.json) and
`eduhouse serve` renders the one a reader asks for, from the same contexts and templates
as the batch, so the page is the one the batch would have written:

- once per publication, every mart but the per-student ones is loaded (``base``: about
  a second at district scale);
- per page, the student's rows of the per-student marts (a row group of each, the marts
  being written in student_key order), then the context and the template.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lake import LakePaths
from orchestration.pages.env import make_env
from orchestration.reporting.data import ReportData, for_students, load_report_data
from orchestration.reporting.render import page_html
from orchestration.reporting.scopes import ON_DEMAND_ROLES, ROLES, resolve_scopes
from orchestration.settings import get_settings

CHECK_EVERY_S = 1.0


class OnDemandPages:
    def __init__(self, lake: Path, lang: str = "zh"):
        self.paths = LakePaths(Path(lake))
        self.env = make_env(lang)
        self.templates = {role: self.env.get_template(f"{role}.html") for role in ROLES}
        settings = get_settings(lake)  # the lake's, as the pipeline's render used them
        self._settings = {"min_cell": settings.min_cell, "top_n": settings.top_n}
        self._lock = threading.Lock()
        self._base: ReportData | None = None
        self._stamp: tuple | None = None
        self._checked = 0.0
        self._con = duckdb.connect()  # each page reads through a cursor of it

    def _publication_stamp(self) -> tuple:
        """Every published mart file and its mtime: a new publication changes it."""
        files = sorted([*self.paths.marts.glob("*.parquet"), *self.paths.restricted.glob("*.parquet")])
        return tuple((f.name, f.stat().st_mtime_ns) for f in files)

    def base(self) -> ReportData:
        """Every mart but the per-student ones, loaded once per publication."""
        now = time.monotonic()
        with self._lock:
            if self._base is None or now - self._checked >= CHECK_EVERY_S:
                stamp = self._publication_stamp()
                if stamp != self._stamp:
                    self._base = load_report_data(self.paths.root, students=[], **self._settings)
                    self._stamp = stamp
                self._checked = now
            return self._base

    def html(self, role: str, student_key: str) -> str | None:
        """The page of ``role`` for the student, or None when the student has no such page
        today (not on the roster; a parent page needs a guardian)."""
        if role not in ON_DEMAND_ROLES:
            raise ValueError(f"{role} pages are rendered by the pipeline, not on demand")
        base = self.base()
        ident = base.ident[base.ident.student_key.astype(str) == str(student_key)]
        staff = base.store.table("staff_scope").iloc[0:0]
        scopes = [s for s in resolve_scopes(staff, ident, base.orgs, base.as_of, (role,)) if s.role == role]
        if not scopes:
            return None
        data = for_students(base, [str(student_key)], self._con.cursor())
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return page_html(self.env, self.templates, data, scopes[0], generated)[0]
