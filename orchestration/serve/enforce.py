"""The policy enforcement point: one decision per request, from the grants as landed,
bounded by the role policy, cut to the roster, filtered by consent.

Default deny. A read of a mart is allowed only under a grant of the principal for that
resource with action ``read``, the declared purpose among its purposes, valid now
(``valid_from <= now < valid_to``, not revoked) and within the role's template in
``role_policy.yaml`` (the same templates the audit compares grants with). The grant's
scope ids are intersected with the principal's roster scope today (``staff_scope``) for a
person, so a grant that outlived a class gives nothing of that class. Then:

- rows: student-level marts keep the students of the scope (self, child, class, grade,
  school, subject, district, city; date-effective), aggregates keep the organisations
  of the scope, those below and those above it; ``aggregate_only`` reads aggregates only;
- columns: outside the grant's ``columns`` or the role template's, or classified sensitive without a
  ``sensitive`` grant, are removed and the decision is ``masked``;
- consent: research, and an under-14's sensitive categories outside the policy's
  exemptions, keep only the students with a consent valid now.

Everything a request names (mart, columns, filters) is checked against the catalogue
first; values are bound parameters, never SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from orchestration.governance.consent import adults_sql, consented_sql
from orchestration.governance.policy import load_policy, purpose_fits, role_template
from orchestration.serve.catalog import ORG_COLUMNS, Mart


@dataclass
class Denied(Exception):  # noqa: N818 - a verdict
    status: int
    code: str
    message: str
    role: str = "none"
    grant_id: str | None = None


@dataclass
class Decision:
    grant: dict
    role: str
    columns: list[str]
    masked: bool
    where: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)
    # the student_keys a student-level read may return (None: not cut by student): the
    # server reads only their rows; ``where`` still applies the scope's own predicate
    student_keys: list[str] | None = None

    @property
    def grant_id(self) -> str:
        return self.grant["grant_id"]

    @property
    def decision(self) -> str:
        return "masked" if self.masked else "allowed"


def _grants(cur: duckdb.DuckDBPyConnection, principal_id: str, resource: str, memo: dict | None = None) -> list[dict]:
    """The principal's grants on ``resource`` as landed (validity is judged per request)."""
    key = ("grants", principal_id, resource)
    if memo is not None and key in memo:
        return memo[key]
    rel = cur.execute("select * from access_grants where principal_id = ? and resource = ? order by grant_id",
                      [principal_id, resource])
    names = [d[0] for d in rel.description]
    found = [dict(zip(names, row, strict=True)) for row in rel.fetchall()]
    if memo is not None:
        memo[key] = found
    return found


def principal_role(cur: duckdb.DuckDBPyConnection, principal_id: str) -> str:
    """The role an event names when no grant decides it (the principal's first grant's)."""
    row = cur.execute("select role from access_grants where principal_id = ? order by grant_id limit 1",
                      [principal_id]).fetchone()
    return row[0] if row else "none"


def _valid(g: dict, now: datetime) -> str:
    if g["revoked_at"] is not None and g["revoked_at"] <= now:
        return "grant_revoked"
    if g["valid_from"] is not None and g["valid_from"] > now:
        return "grant_not_yet_valid"
    if g["valid_to"] is not None and g["valid_to"] <= now:
        return "grant_expired"
    return "valid"


def readable_columns(mart: Mart, grant: dict, template_columns: list[str] | None,
                     sensitive_classes: set[str], purpose: str) -> list[str]:
    """The mart's columns a read under ``grant`` for ``purpose`` may return: those the
    grant opens (no list or ``*``: all) and the role's template lists (no list or ``*``:
    all; the template bounds every grant of the role, and the audit finds a grant beyond
    it: over_broad_grant), without the sensitive ones unless the grant is sensitive, and
    without those whose category the purpose may not read (category_purposes: a
    teacher's attention list for teaching never carries the psych flag)."""
    granted = list(grant["columns"] or ["*"])
    template = list(template_columns or ["*"])
    return [c.name for c in mart.columns
            if ("*" in granted or c.name in granted) and ("*" in template or c.name in template)
            and (grant["sensitive"] or c.classification not in sensitive_classes)
            and purpose_fits(c.classification, purpose)]


def _within_template(g: dict, purpose: str) -> bool:
    t = role_template(g["role"])
    return bool(t) and g["scope_type"] in t["scope_types"] and g["resource"] in t["resources"] \
        and "read" in t["actions"] and purpose in t["purposes"] and (not g["sensitive"] or bool(t.get("sensitive")))


def choose_grant(cur: duckdb.DuckDBPyConnection, principal_id: str, resource: str, purpose: str,
                 now: datetime, role: str | None = None, memo: dict | None = None,
                 grant_id: str | None = None) -> dict:
    """The grant a read runs under, or Denied with the first reason in policy order.

    A read runs under exactly one grant, because its access event names one ``grant_id``
    and the audit judges the returned students against that grant's scope. A principal
    with several grants on a resource (a teacher's classes and their homeroom) names the
    one to use with ``grant_id``; without it the first qualifying grant by id decides."""
    grants = [g for g in _grants(cur, principal_id, resource, memo)
              if (role is None or g["role"] == role) and (grant_id is None or g["grant_id"] == grant_id)]
    role = grants[0]["role"] if grants else principal_role(cur, principal_id)
    if not grants:
        message = (f"the named grant is not yours or does not open {resource}" if grant_id
                   else f"no grant opens {resource} to this principal")
        raise Denied(403, "no_grant", message, role)
    grants = [g for g in grants if "read" in (g["actions"] or [])]
    if not grants:
        raise Denied(403, "action_not_granted", f"no grant allows reading {resource}", role)
    with_purpose = [g for g in grants if purpose in (g["purposes"] or [])]
    if not with_purpose:
        raise Denied(403, "purpose_not_granted", f"purpose {purpose!r} is not granted for {resource}", role,
                     grants[0]["grant_id"])
    states = {g["grant_id"]: _valid(g, now) for g in with_purpose}
    valid = [g for g in with_purpose if states[g["grant_id"]] == "valid"]
    if not valid:
        g = with_purpose[0]
        reason = states[g["grant_id"]]
        raise Denied(403, reason, f"grant {g['grant_id']} is {reason.removeprefix('grant_').replace('_', ' ')}",
                     g["role"], g["grant_id"])
    bounded = [g for g in valid if _within_template(g, purpose)]
    if not bounded:
        g = valid[0]
        raise Denied(403, "grant_exceeds_policy",
                     f"grant {g['grant_id']} exceeds the {g['role']} template of the role policy", g["role"], g["grant_id"])
    return bounded[0]


def scope_ids(cur: duckdb.DuckDBPyConnection, grant: dict, today: date, memo: dict | None = None) -> list[str]:
    """The grant's scope ids still backed by the principal's roster scope today."""
    ids = [i for i in (grant["scope_ids"] or []) if i]
    if grant["principal_type"] != "user" or grant["scope_type"] == "aggregate_only":
        return ids
    key = ("scope", grant["grant_id"], today)
    if memo is not None and key in memo:
        return memo[key]
    backed = {r[0] for r in cur.execute(
        "select scope_id from staff_scope where person_sourced_id = ? and role = ? and scope_type = ? "
        "and coalesce(begin_date, date '0001-01-01') <= ? and coalesce(end_date, date '9999-12-31') >= ?",
        [grant["principal_id"], grant["role"], grant["scope_type"], today, today]).fetchall()}
    backed_ids = [i for i in ids if i in backed]
    if memo is not None:
        memo[key] = backed_ids
    return backed_ids


_STUDENTS = {
    "self": "select student_key from student_identity where list_contains(?, student_sourced_id)",
    "class": "select student_key from class_membership where list_contains(?, class_sourced_id) "
             "and coalesce(effective_from, date '0001-01-01') <= ? and coalesce(effective_to, date '9999-12-31') >= ?",
    "grade": "select student_key from student_identity where list_contains(?, school_sourced_id || ':' || grade)",
    "school": "select student_key from student_identity where list_contains(?, school_sourced_id)",
    "district": "select student_key from student_identity where list_contains(?, district_sourced_id)",
    "city": "select i.student_key from student_identity as i join org_hierarchy as o using (school_sourced_id) "
            "where list_contains(?, o.city_sourced_id)",
}
_UNITS = {
    "self": "class_id in (select homeroom_class_sourced_id from student_identity where list_contains(?, student_sourced_id))",
    "class": "list_contains(?, class_id)",
    "grade": "class_id is not null and list_contains(?, school_id || ':' || grade)",
    "school": "list_contains(?, school_id)",
    "district": "list_contains(?, district_id)",
    "city": "list_contains(?, city_id)",
}
# A child's scope is a student's own (the ids are the children's); a subject scope covers
# its district's students and units (_scope_ids turns '<district>:<subject>' into the district).
for _alias, _same in (("child", "self"), ("subject", "district")):
    _STUDENTS[_alias] = _STUDENTS[_same]
    _UNITS[_alias] = _UNITS[_same]


def scope_students(cur: duckdb.DuckDBPyConnection, scope_type: str, ids: list[str], today: date) -> list[str]:
    """sourcedIds of the students a scope covers today (the subject_ids of a report page)."""
    if scope_type not in _STUDENTS or not ids:
        return []
    rows = cur.execute(f"select distinct student_sourced_id from student_identity where student_key in "
                       f"({_STUDENTS[scope_type]}) order by 1", _scope_args(scope_type, ids, today)).fetchall()
    return [r[0] for r in rows]


def _scope_ids(scope_type: str, ids: list[str]) -> list[str]:
    """A subject scope '<district>:<subject>' covers its district's students and units."""
    return sorted({i.split(":", 1)[0] for i in ids}) if scope_type == "subject" else ids


def _scope_args(scope_type: str, ids: list[str], today: date) -> list:
    """Parameters of the _STUDENTS query of a scope (class membership is date-effective)."""
    ids = _scope_ids(scope_type, ids)
    return [ids, today, today] if scope_type == "class" else [ids]


# Up to this many scope students are bound as a list; more go back to the scope's query
# (binding a list costs per element: 58,000 keys take 40 ms, the query 2 ms).
BOUND_KEYS = 1000


def scope_student_keys(cur: duckdb.DuckDBPyConnection, grant: dict, ids: list[str], today: date,
                       memo: dict | None = None) -> list[str]:
    """student_keys of the students the grant's (roster-backed) scope covers today."""
    kind = grant["scope_type"]
    key = ("students", grant["grant_id"], today)
    if memo is not None and key in memo:
        return memo[key]
    keys = [r[0] for r in cur.execute(_STUDENTS[kind], _scope_args(kind, ids, today)).fetchall()]
    if memo is not None:
        memo[key] = keys
    return keys


def row_scope(mart: Mart, grant: dict, ids: list[str], today: date, exam_summary: str,
              student_keys: list[str] | None = None) -> tuple[list[str], list]:
    """WHERE fragments (and their parameters) that keep the grant's scope of ``mart``.
    ``student_keys``: the scope's students when already resolved (scope_student_keys)."""
    kind = grant["scope_type"]
    if kind == "aggregate_only":
        return [], []
    where, params = [], []
    names = mart.column_names
    if kind == "subject":
        subjects = sorted({i.split(":", 1)[1] for i in ids if ":" in i})
        if "subject" in names:
            where.append("list_contains(?, m.subject)")
            params.append(subjects)
        elif "exam_id" in names:
            # a mart of an exam's parts (item_analysis): the subject is the exam's
            where.append("m.exam_id in (select exam_id from read_parquet(?) where list_contains(?, subject))")
            params += [exam_summary, subjects]
        elif "student_key" not in names and "scope_id" not in names:
            raise Denied(403, "scope_not_applicable", f"{mart.name} cannot be cut to a subject", grant["role"],
                         grant["grant_id"])
    if "student_key" in names:
        if student_keys is not None and len(student_keys) <= BOUND_KEYS:
            # the same set, resolved once per grant and day: a short bound list is cheaper
            # than running the scope's query (for a class, a scan of the membership) again
            where.append("m.student_key in (select unnest(?))")
            params.append(student_keys)
        else:
            where.append(f"m.student_key in ({_STUDENTS[kind]})")
            params += _scope_args(kind, ids, today)
        return where, params
    visible = (f"select unnest([class_id, school_id, district_id, city_id]) from units where {_UNITS[kind]}")
    if "scope_id" in names:
        # a mart of scopes (scope_fitness, scope_psych): the scope's own rows, those of
        # its parts and those above it; a grade is '<school>:<grade>', so another grade of
        # the same school stays out (its school_sourced_id alone would let it in)
        where.append(f"m.scope_id in (select unnest([class_id, school_id || ':' || grade, school_id, district_id, "
                     f"city_id]) from units where {_UNITS[kind]})")
        params.append(_scope_ids(kind, ids))
        return where, params
    org_columns = [c for c in ORG_COLUMNS if c in names]
    for column in org_columns:
        where.append(f'm."{column}" in ({visible})')
        params.append(_scope_ids(kind, ids))
    if not org_columns:
        if "exam_id" not in names:
            raise Denied(403, "scope_not_applicable", f"{mart.name} cannot be cut to a {kind} scope", grant["role"],
                         grant["grant_id"])
        where.append(f"m.exam_id in (select exam_id from read_parquet(?) where org_sourced_id in ({visible}))")
        params += [exam_summary, _scope_ids(kind, ids)]
    return where, params


def consent_scope(mart: Mart, grant: dict, purpose: str, columns: list[str], now: datetime,
                  today: date) -> tuple[list[str], list]:
    """Students whose use needs consent keep only those with one valid now (the rule of
    ``policy.needs_consent`` and of the audit's consent check, as a set)."""
    if "student_key" not in mart.column_names:
        return [], []
    rules = load_policy()["consent"]
    classes = {mart.category} | {c.classification for c in mart.columns if c.name in columns}
    sensitive = [c for c in rules["under_14_categories"] if c in classes]
    exempt = any(e["role"] == grant["role"] and e["purpose"] == purpose for e in rules["exempt"])
    category = sensitive[0] if sensitive else "learning"
    consented = consented_sql()
    args = [purpose, category, now, now]
    if purpose in rules["required_purposes"]:
        return [f"m.student_key in ({consented})"], args
    if sensitive and not exempt:
        return [f"(m.student_key in ({adults_sql()}) or m.student_key in ({consented}))"], [today, *args]
    return [], []


def complement_scope(cur: duckdb.DuckDBPyConnection, mart: Mart, grant: dict, purpose: str, now: datetime,
                     today: date, min_cell: int, exposing: tuple[str, ...], memo: dict | None = None
                     ) -> tuple[list[str], list]:
    """Differencing: a homeroom's psych (or fitness) counts beside the rows of its students
    that the reader may see tell the level of those consent_scope withholds. When the
    reader also holds a grant on a student-level mart carrying the category
    (``exposing``), the homerooms where 1 to min_cell-1 students are withheld are left
    out of a class-level aggregate of it: the rule of a small cell, applied to the
    students the reader may not see (the head teacher's page hides such counts too)."""
    if mart.student_level or grant["scope_type"] == "aggregate_only":
        return [], []
    rules = load_policy()["consent"]
    if mart.category not in rules["under_14_categories"]:
        return [], []
    if not any(_grants(cur, grant["principal_id"], name, memo) for name in exposing):
        return [], []
    exempt = any(e["role"] == grant["role"] and e["purpose"] == purpose for e in rules["exempt"])
    consented = consented_sql()
    if purpose in rules["required_purposes"]:
        withheld, args = f"student_key not in ({consented})", [purpose, mart.category, now, now]
    elif not exempt:
        withheld = f"student_key not in ({adults_sql()}) and student_key not in ({consented})"
        args = [today, purpose, mart.category, now, now]
    else:
        return [], []
    small = (f"select class_sourced_id from class_membership where class_type = 'homeroom' and {withheld} "
             "group by class_sourced_id having count(distinct student_key) < ?")
    if "homeroom_class_sourced_id" in mart.column_names:
        return [f"(m.homeroom_class_sourced_id is null or m.homeroom_class_sourced_id not in ({small}))"], \
            [*args, min_cell]
    if {"scope_type", "scope_id"} <= set(mart.column_names):
        return [f"not (m.scope_type = 'class' and m.scope_id in ({small}))"], [*args, min_cell]
    return [], []


def decide(cur: duckdb.DuckDBPyConnection, mart: Mart, principal_id: str, purpose: str,
           requested: list[str], filters: dict[str, str], now: datetime, today: date,
           exam_summary: str, memo: dict | None = None, grant_id: str | None = None,
           min_cell: int | None = None, exposing: tuple[str, ...] = ()) -> Decision:
    grant = choose_grant(cur, principal_id, mart.name, purpose, now, memo=memo, grant_id=grant_id)
    role, gid = grant["role"], grant["grant_id"]
    sensitive_classes = set(load_policy()["sensitive_classifications"])
    if grant["scope_type"] == "aggregate_only" and mart.student_level:
        raise Denied(403, "aggregate_only", f"grant {gid} opens aggregates only; {mart.name} is student-level", role, gid)
    if mart.category in sensitive_classes and not grant["sensitive"]:
        raise Denied(403, "sensitive_not_granted", f"{mart.name} is {mart.category}; grant {gid} is not sensitive",
                     role, gid)
    if not purpose_fits(mart.category, purpose):
        raise Denied(403, "purpose_not_allowed", f"{mart.name} is {mart.category}, which is not read for {purpose}",
                     role, gid)
    allowed = readable_columns(mart, grant, (role_template(role) or {}).get("columns"), sensitive_classes, purpose)
    shown = [c for c in requested if c in allowed]
    hidden_filters = sorted(set(filters) - set(allowed))
    if hidden_filters:
        raise Denied(403, "filter_not_granted", f"filter on a column this grant does not open: {hidden_filters[0]}",
                     role, gid)
    if not shown:
        raise Denied(403, "no_columns_granted", "none of the requested columns is granted", role, gid)
    ids = scope_ids(cur, grant, today, memo)
    if grant["scope_type"] != "aggregate_only" and not ids:
        raise Denied(403, "scope_not_backed", f"grant {gid}: no scope id is backed by the roster today", role, gid)
    keys = None
    if grant["scope_type"] != "aggregate_only" and "student_key" in mart.column_names:
        keys = scope_student_keys(cur, grant, ids, today, memo)
    where, params = row_scope(mart, grant, ids, today, exam_summary, keys)
    # a filter reveals its column as reading it does: consent is judged on both (the API
    # probe: a filter on the psych flag picked out an under-14 without consent)
    consent_where, consent_params = consent_scope(mart, grant, purpose, [*shown, *filters], now, today)
    if min_cell is not None:
        complement_where, complement_params = complement_scope(cur, mart, grant, purpose, now, today, min_cell,
                                                               exposing, memo)
        consent_where, consent_params = consent_where + complement_where, consent_params + complement_params
    return Decision(grant, role, shown, masked=len(shown) < len(requested), where=where + consent_where,
                    params=params + consent_params, student_keys=keys)
