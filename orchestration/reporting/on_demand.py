"""Pages rendered when they are asked for (ON_DEMAND_ROLES): student, parent, teacher,
head teacher, grade leader and principal pages.

At district scale these are all but 8 of the 123,300 pages, and every day's learning
activity changes most of them (a teacher's page counts each student's days without
activity; a grade's and a school's pages their classes' online shares and the month's
use), so rendering them all each night costs minutes for pages few will open that day.
Instead the pipeline lists them (reports/pages.json) and `eduhouse serve` renders the
one a reader asks for, after the policy allowed it, from the same contexts and templates
as the batch, so the page is the one the batch would have written:

- once per publication, every mart but the per-student ones is loaded (``base``: about
  a second at district scale);
- per page, the rows of the per-student marts of the page's students (the student; a
  teacher's or head teacher's classes' members; none for a grade's or a school's page,
  which read the class, school and identity marts only), then the context and the
  template;
- the class rows every teacher, head teacher and grade leader page filters
  (contexts/class_rows.py) are built from ``base`` the first time a staff page is asked
  for, and kept with it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lake import LakePaths
from orchestration.pages.env import make_env
from orchestration.reporting.contexts.class_rows import share_class_rows
from orchestration.reporting.data import ReportData, for_students, load_report_data
from orchestration.reporting.render import page_html
from orchestration.reporting.scopes import ON_DEMAND_ROLES, ROLES, Scope, resolve_scopes
from orchestration.reporting.store import STUDENT_PAGES_ONLY
from orchestration.settings import get_settings

CHECK_EVERY_S = 1.0
# Grade and school pages read no per-student mart (the batch renders them without any).
SCHOOL_PAGES = ("grade_leader", "principal")


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

    def classes(self, role: str, page_id: str) -> tuple[str, ...] | None:
        """The classes a teacher's or head teacher's page shows (None: no such page)."""
        scope = _scope(self.base(), role, str(page_id))
        return None if scope is None else tuple(scope.class_ids)

    def html(self, role: str, page_id: str, psych_withheld: frozenset[str] | None = None) -> str | None:
        """The page of ``role`` with this id (a student key; a teacher's person id; a
        homeroom's class id), or None when there is no such page today (not on the
        roster, no longer teaching; a parent page needs a guardian). ``psych_withheld``:
        the students whose psych flag the page may not show, judged by the server when
        the page is read (else the publication's, at the end of the data's last day)."""
        if role not in ON_DEMAND_ROLES:
            raise ValueError(f"{role} pages are rendered by the pipeline, not on demand")
        base = self.base()
        scope = _scope(base, role, str(page_id))
        if scope is None:
            return None
        if role in SCHOOL_PAGES:  # no per-student mart: base holds all they read
            data = base
        elif role in ("teacher", "head_teacher"):  # a class page: its classes' members
            students = sorted(set(base.members_by_class.get_many(scope.class_ids).student_key.astype(str)))
            data = for_students(base, students, self._con.cursor(), unread=STUDENT_PAGES_ONLY)
        else:
            data = for_students(base, [str(page_id)], self._con.cursor())
        if psych_withheld is not None:
            data = replace(data, psych_withheld={**(data.psych_withheld or {}), role: frozenset(psych_withheld)})
        share_class_rows(base, data)  # one build per publication serves every staff page
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return page_html(self.env, self.templates, data, scope, generated)[0]


def _scope(base: ReportData, role: str, page_id: str) -> Scope | None:
    """The page's scope, resolved as the batch resolves it (scopes.resolve_scopes): a
    student's from that student's identity row; a staff role's pages all at once, the
    first time one is asked for, and kept with ``base`` (one publication)."""
    staff = base.store.table("staff_scope")
    if role in ("student", "parent"):
        ident = base.ident[base.ident.student_key.astype(str) == page_id]
        return next((s for s in resolve_scopes(staff.iloc[0:0], ident, base.orgs, base.as_of, (role,))
                     if s.role == role), None)
    by_role = base.__dict__.setdefault("_staff_scopes", {})
    if role not in by_role:
        by_role[role] = {s.page_id: s for s in resolve_scopes(staff, base.ident.iloc[0:0], base.orgs, base.as_of, (role,))
                         if s.role == role}
    return by_role[role].get(page_id)
