"""Role report pages, delivered only through the server and only to whom they belong.

Student, parent, teacher, head teacher, grade leader and principal pages are rendered when asked for
(:mod:`orchestration.reporting.on_demand`), after the grant check; the others are files
the pipeline rendered. A page is asked for by its page id or by the scope id a grant names
(:meth:`ReportPages._page`). A page (role, scope id) opens under a grant of the principal on the resource
``role_report`` for that role (read, the purpose, valid now, within the role's template)
whose scope, cut to the principal's roster scope today, covers the page: a student's or
a child's page by the student's sourcedId, a teacher's page to that teacher, a homeroom,
grade, school, subject, district or city page by its id. The rendered files stay in the
lake, readable by the service's user only (the render step makes them so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from orchestration.governance.consent import withheld_students
from orchestration.governance.policy import REPORT_RESOURCE as RESOURCE
from orchestration.governance.policy import (
    REPORT_ROLES,
    needs_consent,
    page_sensitive_categories,
    report_purpose,
)
from orchestration.reporting.on_demand import OnDemandPages
from orchestration.reporting.render import PageResult as Page
from orchestration.reporting.render import read_manifest
from orchestration.serve.enforce import Denied, _grants, choose_grant, scope_ids, scope_students

# pages that show named or keyed students: their reads list those students as subjects
STUDENT_PAGES = ("student", "parent", "teacher", "head_teacher", "grade_leader")


@dataclass(frozen=True)
class Opened:
    html: str
    grant_id: str
    subjects: list[str]


class ReportPages:
    def __init__(self, folder: Path, on_demand: OnDemandPages):
        self.folder = Path(folder)
        self.on_demand = on_demand
        self._cache: tuple[int, dict[tuple[str, str], Page]] | None = None

    def pages(self) -> dict[tuple[str, str], Page]:
        manifest = self.folder / "pages.json"
        try:
            mtime = manifest.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache is None or self._cache[0] != mtime:
            self._cache = (mtime, {(p.role, p.page_id): p for p in read_manifest(self.folder)})
        return self._cache[1]

    def _covers(self, cur: duckdb.DuckDBPyConnection, page: Page, principal_id: str, ids: list[str]) -> bool:
        if page.role == "teacher":
            # the teacher's own page shows every class they teach: the grant must cover
            # them all (the pages probe: a grant narrowed to one class opened both)
            shown = self.on_demand.classes("teacher", page.page_id) if page.on_demand else ()
            return page.page_id == principal_id and bool(ids) and set(shown or ()) <= set(ids)
        if page.role in ("student", "parent"):
            row = cur.execute("select student_sourced_id from student_identity where student_key = ?",
                              [page.page_id]).fetchone()
            return row is not None and row[0] in ids
        # grade and subject pages are named '<school>_<grade>', '<district>_<subject>'
        return page.page_id in ids or page.page_id in {i.replace(":", "_", 1) for i in ids}

    def _grant_for(self, cur, principal_id: str, purpose: str, role: str, now: datetime, today: date,
                   grant_id: str | None = None):
        """The grant a page of ``role`` opens under, and its roster-cut scope ids.

        A page is composed for its role's report purpose (what the role may read for it:
        a head teacher's page holds psych screening, read for pastoral care only), so it
        opens for that purpose alone; and a page showing health or psych data opens only
        under a grant marked sensitive, as the marts it shows do (the API probe: both were
        served for teaching under a plain grant)."""
        if role in REPORT_ROLES and purpose != report_purpose(role):
            raise Denied(403, "purpose_not_allowed",
                         f"the {role} page is composed for {report_purpose(role)}, not {purpose}", role, grant_id)
        shows = page_sensitive_categories(role)
        grant = None
        if shows and grant_id is None:
            # a page showing health or psych data opens under the principal's sensitive
            # grant when they hold one beside a plain one (the listing hid such a page)
            for g in _grants(cur, principal_id, RESOURCE):
                if g["role"] == role and g["sensitive"]:
                    try:
                        grant = choose_grant(cur, principal_id, RESOURCE, purpose, now, role=role,
                                             grant_id=g["grant_id"])
                        break
                    except Denied:
                        continue
        if grant is None:
            grant = choose_grant(cur, principal_id, RESOURCE, purpose, now, role=role, grant_id=grant_id)
        if shows and not grant["sensitive"]:
            raise Denied(403, "sensitive_not_granted",
                         f"the {role} page shows {', '.join(shows)} data; grant {grant['grant_id']} is not sensitive",
                         role, grant["grant_id"])
        return grant, scope_ids(cur, grant, today)

    def readable(self, cur, principal_id: str, purpose: str, now: datetime, today: date) -> list[Page]:
        out: list[Page] = []
        by_role: dict[str, tuple | None] = {}
        for page in sorted(self.pages().values(), key=lambda p: (p.role, p.page_id)):
            if page.role not in by_role:
                try:
                    by_role[page.role] = self._grant_for(cur, principal_id, purpose, page.role, now, today)
                except Denied:
                    by_role[page.role] = None
            found = by_role[page.role]
            if found is not None and self._covers(cur, page, principal_id, found[1]):
                out.append(page)
        return out

    def _page(self, cur, role: str, requested: str, principal_id: str, ids: list[str]) -> Page | None:
        """The page asked for, by its page id (as `GET /v1/reports` lists it) or by the scope
        id a grant names: a student's or child's sourcedId for the student and parent pages
        (they are filed under the student's key), `<school>:<grade>` and
        `<district>:<subject>` for the grade and subject pages, one of the teacher's classes
        for the teacher's own page. Whether it may be read is decided after, by `_covers`."""
        pages = self.pages()
        page = pages.get((role, requested))
        if page is not None:
            return page
        if role in ("student", "parent"):
            row = cur.execute("select student_key from student_identity where student_sourced_id = ?",
                              [requested]).fetchone()
            return pages.get((role, row[0])) if row else None
        if role == "teacher":
            return pages.get((role, principal_id)) if requested in ids else None
        if ":" in requested:
            return pages.get((role, requested.replace(":", "_", 1)))
        return None

    def open(self, cur, principal_id: str, purpose: str, role: str, requested: str, now: datetime,
             today: date, grant_id: str | None = None) -> Opened:
        grant, ids = self._grant_for(cur, principal_id, purpose, role, now, today, grant_id)
        page = self._page(cur, role, requested, principal_id, ids)
        # an unknown page and a page of someone else answer alike: nothing leaks about which exist
        if page is None or not self._covers(cur, page, principal_id, ids):
            raise Denied(403, "not_in_scope", "this report is not in your scope", role, grant["grant_id"])
        if page.on_demand:
            withheld = None
            if role == "head_teacher" and needs_consent(role, purpose, "sensitive_psych", under_14=True):
                # consent judged now, as the marts are (the pages probe: a consent given
                # later in the data's last day showed the flag the mart still withheld)
                withheld = withheld_students(cur, "access_consents", "student_identity", purpose,
                                             "sensitive_psych", now, today)
            html = self.on_demand.html(role, page.page_id, psych_withheld=withheld)
        else:
            path = (self.folder / page.relpath).resolve()
            html = path.read_text(encoding="utf-8") \
                if path.is_relative_to(self.folder.resolve()) and path.is_file() else None
        if html is None:
            raise Denied(403, "not_in_scope", "this report is not in your scope", role, grant["grant_id"])
        page_id = page.page_id
        if role == "teacher":  # the classes the page shows, not every class of the grant
            shown = set(self.on_demand.classes("teacher", page_id) or ()) if page.on_demand else set(ids)
            ids = [i for i in ids if i in shown]
        else:  # the page's own scope id, not every id of the grant
            ids = [i for i in ids if i == page_id or i.replace(":", "_", 1) == page_id
                   or role in ("student", "parent")]
        subjects = scope_students(cur, grant["scope_type"], ids, today) if role in STUDENT_PAGES else []
        if role in ("student", "parent"):
            key = {r[0] for r in cur.execute("select student_sourced_id from student_identity where student_key = ?",
                                             [page_id]).fetchall()}
            subjects = [s for s in subjects if s in key]
        return Opened(html, grant["grant_id"], subjects)
