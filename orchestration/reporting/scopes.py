"""Who gets which report: scopes resolved from restricted ``staff_scope`` and
``student_identity``. A scope is the filter every query of a page goes through, so a
page can only hold what its scope selects (scope by construction).
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

import pandas as pd

from orchestration.governance.policy import REPORT_ROLES

# The nine report roles come from the role policy (roles whose template opens a report page).
ROLES = REPORT_ROLES
# One page per student for the first two roles (117,000 at district scale), one per
# teacher and per homeroom for the next two (4,300), one per school grade and per school
# for the last two (690): each read by one person, nearly all by nobody on a given day,
# and changed by every day's activity. The pipeline lists them and `eduhouse serve`
# renders each when its reader asks for it, through the policy (docs/reports.md, "Pages
# on demand"). The district's and city's pages (subject researcher, district and city
# administrator: 8 at a district) stay files the pipeline writes.
ON_DEMAND_ROLES = ("student", "parent", "teacher", "head_teacher", "grade_leader", "principal")
_ROLE_ALIASES = {
    "head_teacher": "head_teacher", "headteacher": "head_teacher", "homeroom_teacher": "head_teacher",
    "teacher": "teacher", "subject_teacher": "teacher", "grade_leader": "grade_leader",
    "principal": "principal", "subject_researcher": "subject_researcher", "researcher": "subject_researcher",
    "district_admin": "district_admin", "city_admin": "city_admin",
}


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_id(value: str) -> str:
    """A file-name-safe form of an id (same rule as ledger delivery ids). Compiled once:
    a district's 123 k page paths spent half of this in re's pattern cache."""
    return _UNSAFE.sub("_", str(value))


class Scope(NamedTuple):
    """One page's filter. Immutable: what a page may read is decided once, here. A named
    tuple, not a frozen dataclass: a district resolves 123 k of them each run, and a frozen
    dataclass's __init__ sets each field through object.__setattr__ (0.56 s against 0.1 s)."""

    role: str
    page_id: str
    org_id: str  # the organisation whose index lists the page
    person_id: str | None = None
    class_ids: tuple[str, ...] = ()
    school_id: str | None = None
    grade: str | None = None
    subject: str | None = None
    district_id: str | None = None
    city_id: str | None = None
    student_key: str | None = None

    @property
    def relpath(self) -> str:
        return f"{self.role}/{safe_id(self.page_id)}.html"


def _clean(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value == "":
        return None
    return str(value)


def _cleaned(values: pd.Series) -> list[str | None]:
    """_clean of every value of a column, computed on the column."""
    text = values.astype(str)
    blank = values.isna().to_numpy() | (text == "").to_numpy()
    return [None if b else v for v, b in zip(text.tolist(), blank.tolist(), strict=True)]


def active_staff(staff: pd.DataFrame, as_of: date | None) -> pd.DataFrame:
    """Rows in force on ``as_of`` (date-effective assignments); all rows when unknown."""
    frame = staff.copy()
    frame["role"] = frame["role"].astype(str).str.lower().map(_ROLE_ALIASES)
    frame = frame[frame.role.notna()]
    if as_of is None or frame.empty:
        return frame
    begin = pd.to_datetime(frame.begin_date, errors="coerce")
    end = pd.to_datetime(frame.end_date, errors="coerce")
    day = pd.Timestamp(as_of)
    ok = (begin.isna() | (begin <= day)) & (end.isna() | (end >= day))
    return frame[ok.to_numpy()]


def resolve_scopes(
    staff: pd.DataFrame,
    identity: pd.DataFrame,
    orgs: pd.DataFrame,
    as_of: date | None,
    roles: tuple[str, ...] = ROLES,
) -> list[Scope]:
    """Every report page to build, one Scope each."""
    parent_of = dict(zip(orgs.sourced_id.astype(str), orgs.parent_sourced_id.map(_clean), strict=False))
    kinds = dict(zip(orgs.sourced_id.astype(str), orgs.type.astype(str), strict=False))
    districts = sorted(k for k, v in kinds.items() if v == "district")
    cities = sorted(k for k, v in kinds.items() if v in ("local", "city", "state"))
    has_district_col = "district_sourced_id" in staff.columns

    def district_of(school: str | None) -> str | None:
        d = parent_of.get(str(school)) if school else None
        return d or (districts[0] if len(districts) == 1 else None)

    scopes: list[Scope] = []
    if "student" in roles or "parent" in roles:
        # column by column, then one Scope per page: 118 k pages at a district (a dict of
        # the shared fields and _clean per row and field took 0.6 s)
        keys = identity.student_key.astype(str).tolist()
        org_ids = identity.school_sourced_id.astype(str).tolist()  # str(school), as every org_id
        schools = _cleaned(identity.school_sourced_id)
        grades = _cleaned(identity.grade)
        homerooms = [(hr,) if hr else () for hr in _cleaned(identity.homeroom_class_sourced_id)]
        district_by_school = {school: district_of(school) for school in set(schools)}
        rows = zip(keys, org_ids, schools, grades, homerooms, identity.guardian_sourced_ids.tolist(), strict=True)
        for key, org, school, grade, homeroom, guardians in rows:
            district = district_by_school[school]
            if "student" in roles:
                scopes.append(Scope("student", key, org, class_ids=homeroom, school_id=school, grade=grade,
                                    district_id=district, student_key=key))
            if "parent" in roles and guardians is not None and len(guardians) > 0:
                scopes.append(Scope("parent", key, org, person_id=";".join(map(str, guardians)), class_ids=homeroom,
                                    school_id=school, grade=grade, district_id=district, student_key=key))
    staff = active_staff(staff, as_of)
    for role in ("teacher", "head_teacher", "grade_leader", "principal", "subject_researcher", "district_admin", "city_admin"):
        if role not in roles:
            continue
        rows = staff[staff.role == role]
        if role == "teacher":
            # teaching classes only: a homeroom enrollment (no subject) is the head teacher's
            rows = rows[rows.subject.notna() & rows.person_sourced_id.notna()]
            # one page per teacher, in teacher order: the classes of all their rows, the
            # school of their first (plain lists: a pandas group per teacher took 0.6 s)
            classes_of: dict = {}
            school_of: dict = {}
            for person, cls, sid, school in zip(rows.person_sourced_id.tolist(), _cleaned(rows.class_sourced_id),
                                                _cleaned(rows.scope_id), _cleaned(rows.school_sourced_id), strict=True):
                school_of.setdefault(person, school)
                if cls or sid:
                    classes_of.setdefault(person, set()).add(cls or sid)
            for person in sorted(school_of):
                school = school_of[person]
                scopes.append(Scope(role=role, page_id=str(person), person_id=str(person), org_id=str(school),
                                    class_ids=tuple(sorted(classes_of.get(person, ()))), school_id=school,
                                    district_id=district_of(school)))
        elif role == "head_teacher":
            for r in rows.itertuples(index=False):
                hr = _clean(r.class_sourced_id) or _clean(r.scope_id)
                school = _clean(r.school_sourced_id)
                scopes.append(Scope(role=role, page_id=hr, person_id=str(r.person_sourced_id), org_id=str(school),
                                    class_ids=(hr,), school_id=school, grade=_clean(r.grade), district_id=district_of(school)))
        elif role == "grade_leader":
            for r in rows.itertuples(index=False):
                sid = (_clean(r.scope_id) or ":").split(":")
                school, grade = _clean(r.school_sourced_id) or sid[0], _clean(r.grade) or sid[-1]
                scopes.append(Scope(role=role, page_id=f"{school}_{grade}", person_id=str(r.person_sourced_id),
                                    org_id=str(school), school_id=school, grade=grade, district_id=district_of(school)))
        elif role == "principal":
            for r in rows.itertuples(index=False):
                school = _clean(r.school_sourced_id) or _clean(r.scope_id)
                scopes.append(Scope(role=role, page_id=school, person_id=str(r.person_sourced_id), org_id=school,
                                    school_id=school, district_id=district_of(school)))
        elif role == "subject_researcher":
            for r in rows.itertuples(index=False):
                sid = _clean(r.scope_id) or ""
                district = (_clean(r.district_sourced_id) if has_district_col else None) or sid.split(":")[0] or (
                    districts[0] if len(districts) == 1 else None)
                subject = _clean(r.subject)
                scopes.append(Scope(role=role, page_id=f"{district}_{subject}", person_id=str(r.person_sourced_id),
                                    org_id=str(district), subject=subject, district_id=district))
        elif role == "district_admin":
            for r in rows.itertuples(index=False):
                district = (_clean(r.district_sourced_id) if has_district_col else None) or _clean(r.scope_id) or (
                    districts[0] if districts else None)
                scopes.append(Scope(role=role, page_id=str(district), person_id=str(r.person_sourced_id),
                                    org_id=str(district), district_id=district))
        elif role == "city_admin":
            for r in rows.itertuples(index=False):
                city = _clean(r.scope_id) or (cities[0] if cities else "city")
                scopes.append(Scope(role=role, page_id=str(city), person_id=str(r.person_sourced_id),
                                    org_id=str(city), city_id=city))
    # one page per scope: several people holding the same scope share it
    seen: dict[tuple[str, str], Scope] = {}
    for s in scopes:
        seen.setdefault((s.role, s.page_id), s)
    return list(seen.values())
