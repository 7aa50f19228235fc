"""Grants, consents and access logs of the simulated district, with known violations.

Built from the roster the simulator has just written (the files' tables, not a re-read of
the CSVs), so every grant and access agrees with who teaches, heads, leads, guards and
studies where. Clean traffic stays inside the
role policy (orchestration/governance/role_policy.yaml); with dirt_rate > 0 each audit
check gets at least one injected case, recorded in
`<lake>/simulator/truth/governance_findings.parquet` (check, principal_id, grant_id,
event_ids) so the audit's recall and precision can be measured.

Vectorized: events are numpy arrays, written per local day by DuckDB as gzip JSONL.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eduhouse_dev.simulate.governance_cases import Injector
from eduhouse_dev.simulate.governance_roster import Roster, roster_from_files
from orchestration.governance.policy import (
    REPORT_RESOURCE,
    load_policy,
    page_sensitive_categories,
    purpose_fits,
)
from orchestration.lake import LakePaths

TZ_OFFSET = timedelta(hours=8)  # Asia/Shanghai, the simulated district's zone (no DST)
DPO, DPO_APPROVER = "dpo-office", "dpo-board"  # who grants and approves clean grants
APP_ID = "app-dashboard"
CLIENT_APP = {"student": "student-app", "parent": "parent-app", "teacher": "teacher-portal",
              "head_teacher": "teacher-portal", "grade_leader": "teacher-portal",
              "principal": "teacher-portal", "subject_researcher": "research-portal",
              "district_admin": "admin-console", "city_admin": "admin-console",
              "downstream_app": APP_ID}
# mean accesses per grant per day; a district month comes to about a million events
DAILY_RATE = {"student": 0.3, "parent": 0.15, "teacher": 5.0, "head_teacher": 3.0, "grade_leader": 4.0,
              "principal": 4.0, "subject_researcher": 4.0, "district_admin": 5.0, "city_admin": 3.0,
              "downstream_app": 40.0}
# the columns an app asks for per resource (safe, non-sensitive names for plain grants)
RESOURCE_COLUMNS = {
    "student_exam": ["student_key", "exam_id", "subject", "score", "z_score", "district_rank"],
    "student_knowledge": ["student_key", "kp_id", "mastery", "mastery_band"],
    "student_ability": ["student_key", "subject", "ability", "score_rate"],
    "student_term_profile": ["student_key", "academic_session", "active_days", "logins"],
    "top_students": ["student_key", "sittings_in_top_n", "in_all"],
    "student_identity": ["student_key", "given_name", "family_name", "homeroom"],
    "student_fitness": ["student_key", "test_date", "total_score", "grade"],
    "student_psych": ["student_key", "screen_date", "scale", "risk_level"],
    "students_needing_attention": ["student_key"],
}
AGGREGATE_COLUMNS = ["month", "school", "students", "rate"]
# students and guardians registered on the platform, and the resources their apps use
REGISTERED = {"student": 0.4, "parent": 0.25}
APP_RESOURCES = {"student": ["student_exam", "student_knowledge"], "parent": ["student_exam", "student_fitness"]}
TRUTH_COLUMNS = ("check", "principal_id", "grant_id", "event_ids", "detail")


# --------------------------------------------------------------------------- grants
def _sensitive_resources() -> tuple[str, ...]:
    """Resources a grant must mark sensitive, from the policy: a sensitive category
    (health, psych, minor) or direct identifiers, so a new restricted mart is covered."""
    policy = load_policy()
    categories = set(policy["sensitive_classifications"]) | {"direct_identifier"}
    return tuple(sorted(r for r, spec in policy["resources"].items() if spec.get("category") in categories))


SENSITIVE_RESOURCES = _sensitive_resources()


def _grant_rows(roster: Roster, start: date, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean grants: per principal and role, one grant per resource of the role template
    (a grant names one resource). Also the students each scope covers (scope, student)."""
    roles = load_policy()["roles"]
    scopes, scope_students = [], []

    def add(principal, role, scope_type, scope_ids, students, ptype="user", end=None):
        scopes.append({"principal_id": principal, "principal_type": ptype, "role": role,
                       "scope_type": scope_type, "scope_ids": scope_ids, "valid_to": end})
        scope_students.append(np.asarray(students, dtype=object))

    s = roster.students
    all_students = s["student"].to_numpy()
    by_class = roster.members.groupby("class")["student"].apply(np.asarray).to_dict()
    by_school = s.groupby("school")["student"].apply(np.asarray).to_dict()
    by_grade = s.groupby(["school", "grade"])["student"].apply(np.asarray).to_dict()
    empty = np.array([], dtype=object)
    for sid in all_students[rng.random(len(all_students)) < REGISTERED["student"]]:
        add(sid, "student", "self", [sid], [sid])
    for g, kids in roster.guardians.groupby("guardian")["student"]:
        if rng.random() < REGISTERED["parent"]:
            add(g, "parent", "child", list(kids), kids.to_numpy())
    t = roster.teaching
    for teacher, cl in t[t["class_type"] != "homeroom"].groupby("teacher")["class"]:
        add(teacher, "teacher", "class", list(cl), np.concatenate([by_class.get(c, empty) for c in cl]))
    for teacher, cl in t[(t["class_type"] == "homeroom") & t["primary"]].groupby("teacher")["class"]:
        add(teacher, "head_teacher", "class", list(cl), np.concatenate([by_class.get(c, empty) for c in cl]))
    for r in roster.staff.itertuples():
        end = r.end if isinstance(r.end, str) and r.end else None
        if r.role == "grade_leader":
            add(r.user, r.role, "grade", [f"{r.org}:{r.grade}"], by_grade.get((r.org, r.grade), empty), end=end)
        elif r.role == "principal":
            add(r.user, r.role, "school", [r.org], by_school.get(r.org, empty), end=end)
        elif r.role == "subject_researcher":
            add(r.user, r.role, "subject", [f"{r.org}:{r.subject}"], all_students, end=end)
        elif r.role == "district_admin":
            add(r.user, r.role, "district", [r.org], all_students, end=end)
        elif r.role == "city_admin":
            add(r.user, r.role, "city", [r.org], all_students, end=end)
    add(APP_ID, "downstream_app", "aggregate_only", [], empty, ptype="app")
    sc = pd.DataFrame(scopes)
    sc["scope"] = np.arange(len(sc))
    sizes = np.array([len(x) for x in scope_students])
    # Report-page grants (role_report, read by `eduhouse serve` only) come later
    # (_report_grants): these clean grants are the ones the simulated logs use.
    sc["resource"] = [[r for r in APP_RESOURCES.get(role, roles[role]["resources"])
                       if r != REPORT_RESOURCE and (r not in RESOURCE_COLUMNS or n > 0)]
                      for role, n in zip(sc["role"], sizes, strict=True)]
    grants = sc.explode("resource").dropna(subset=["resource"]).reset_index(drop=True)
    grants["actions"] = [roles[r]["actions"] for r in grants["role"]]
    grants["purposes"] = [roles[r]["purposes"] for r in grants["role"]]
    grants["sensitive"] = grants["resource"].isin(SENSITIVE_RESOURCES)
    n = len(grants)
    grants.insert(0, "grant_id", [f"grt-{i:07d}" for i in range(1, n + 1)])
    age = rng.integers(10, 240, len(sc))[grants["scope"].to_numpy()]  # days granted before the window
    grants["valid_from"] = [(start - timedelta(days=int(a))).isoformat() for a in age]
    grants["revoked_at"] = None
    grants["granted_by"], grants["approved_by"] = DPO, DPO_APPROVER
    grants["columns"] = [["*"]] * n
    members = pd.DataFrame({"scope": np.repeat(np.arange(len(sc)), sizes),
                            "student": np.concatenate(scope_students) if len(sc) else empty})
    return grants, members


def _report_grants(grants: pd.DataFrame, start: date, days: int) -> pd.DataFrame:
    """One ``role_report`` grant per registered person whose role template opens report
    pages, with the scope of their clean grants: what lets them open their pages through
    `eduhouse serve`. The simulated access logs come from other systems, which never open
    eduhouse's pages, so these grants are never used in them; they are issued 60 days
    before the window ends (the report channel's go-live), inside the 90-day unused-grant
    review, so the audit's truth stays the planted cases only."""
    roles = load_policy()["roles"]
    people = grants[(grants["principal_type"] == "user") & ~grants["grant_id"].str.startswith("grt-x")]
    people = people.drop_duplicates("scope")
    people = people[[REPORT_RESOURCE in roles[r]["resources"] for r in people["role"]]].copy()
    people["resource"] = REPORT_RESOURCE
    people["actions"] = [["read"]] * len(people)
    # a page showing health or psych data opens only under a sensitive grant, as its marts do
    people["sensitive"] = [bool(page_sensitive_categories(r)) for r in people["role"]]
    people["columns"] = [["*"]] * len(people)
    people["valid_from"] = (start + timedelta(days=days - 1 - 60)).isoformat()
    people["grant_id"] = [f"grt-r{i:07d}" for i in range(1, len(people) + 1)]
    return people.drop(columns="scope").reset_index(drop=True)


def _consents(roster: Roster, start: date, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Pastoral (health, psych) consent for every student from a guardian; research
    consent for about half. Returns the consents and the research-consented students."""
    s = roster.students["student"].to_numpy()
    first_guardian = roster.guardians.drop_duplicates("student").set_index("student")["guardian"]
    guardian = pd.Series(s).map(first_guardian).to_numpy()
    research = s[rng.random(len(s)) < 0.5]
    parts = [
        pd.DataFrame({"student_sourcedId": s, "guardian_sourcedId": guardian, "purpose": "pastoral_care",
                      "data_category": "sensitive_psych"}),
        pd.DataFrame({"student_sourcedId": s, "guardian_sourcedId": guardian, "purpose": "pastoral_care",
                      "data_category": "sensitive_health"}),
        pd.DataFrame({"student_sourcedId": research, "guardian_sourcedId": pd.Series(research).map(
            first_guardian).to_numpy(), "purpose": "research", "data_category": "learning"}),
    ]
    c = pd.concat(parts, ignore_index=True)
    c["status"] = "given"
    c["given_at"] = (start - timedelta(days=60)).isoformat()
    c["withdrawn_at"] = None
    c.insert(0, "consent_id", [f"cns-{i:07d}" for i in range(1, len(c) + 1)])
    return c, research


# --------------------------------------------------------------------------- events
def _csr(members: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    members = members.sort_values("scope", kind="stable")
    sizes = np.bincount(members["scope"].to_numpy().astype(int), minlength=n)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    return members["student"].to_numpy(), offsets, sizes


def _clean_events(grants: pd.DataFrame, members: pd.DataFrame, research: np.ndarray, start: date,
                  days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Each grant used at least once, Poisson-many times more, always within its scope."""
    n_scopes = int(grants["scope"].max()) + 1
    roles = grants["role"].to_numpy()
    scope_of = grants["scope"].to_numpy()
    res_scope = set(grants.loc[grants["role"] == "subject_researcher", "scope"])
    # researchers read student-level data only of research-consented students
    keep = ~members["scope"].isin(res_scope).to_numpy() | members["student"].isin(set(research)).to_numpy()
    flat, offsets, sizes = _csr(members[keep], n_scopes)
    per_role = grants.groupby("role")["resource"].transform("nunique").to_numpy()
    rate = np.array([DAILY_RATE[r] for r in roles]) / per_role
    last_day = np.full(len(grants), days - 1)
    vt = pd.to_datetime(grants["valid_to"], errors="coerce")
    has_end = vt.notna().to_numpy()
    if has_end.any():
        ends = (vt[has_end].dt.normalize() - pd.Timestamp(start)).dt.days.to_numpy()
        last_day[has_end] = np.minimum(days - 1, ends - 1)
    counts = 1 + rng.poisson(rate * np.maximum(last_day + 1, 0))
    counts[last_day < 0] = 0
    g = np.repeat(np.arange(len(grants)), counts)
    m = len(g)
    resource = grants["resource"].to_numpy()[g]
    student_level = np.isin(resource, list(RESOURCE_COLUMNS))
    sc = scope_of[g]
    usable = student_level & (sizes[sc] > 0)
    idx = offsets[sc] + np.floor(rng.random(m) * np.maximum(sizes[sc], 1)).astype(int)
    subject = np.full(m, None, dtype=object)
    subject[usable] = flat[idx[usable]]
    # each grant's first purpose that its data may serve (psych: never teaching)
    category = {r: spec["category"] for r, spec in load_policy()["resources"].items()}
    purpose = np.array([next((x for x in ps if purpose_fits(category.get(res), x)), ps[0])
                        for ps, res in zip(grants["purposes"], grants["resource"], strict=True)], dtype=object)[g]
    pastoral = (roles[g] == "head_teacher") & np.isin(resource, ["student_fitness", "student_psych"])
    purpose[pastoral] = "pastoral_care"
    purpose[(roles[g] == "district_admin") & (rng.random(m) < 0.5)] = "statistics"
    staff = ~np.isin(roles[g], ["student", "parent", "downstream_app"])
    action = np.where(staff & (rng.random(m) < 0.1), "export", "read")
    day = np.floor(rng.random(m) * (last_day[g] + 1)).astype(int)
    # each grant's first use falls in the last 90 days (the unused-grant review window)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])[counts > 0]
    recent = np.minimum(last_day[g[first]] + 1, 90)
    day[first] = last_day[g[first]] - np.floor(rng.random(len(first)) * recent).astype(int)
    ev = pd.DataFrame({
        "grant": g, "day": day,
        "secs": rng.integers(7 * 3600, 22 * 3600, m), "principal_id": grants["principal_id"].to_numpy()[g],
        "role": roles[g], "action": action, "resource": resource, "purpose": purpose,
        "decision": "allowed", "grant_id": grants["grant_id"].to_numpy()[g],
        # a student-level read names the students it returned; a scope without students returns none
        "rows_returned": np.where(student_level, np.where(usable, rng.integers(1, 20, m), 0), rng.integers(1, 40, m)),
        "subject": subject})
    # a few honest denials (asking for something not granted), never a burst
    deny = (rng.random(m) < 0.002) & (ev["grant"].map(ev["grant"].value_counts()) > 2).to_numpy()
    ev.loc[deny, ["decision", "grant_id", "subject", "rows_returned", "resource"]] = [
        "denied", None, None, 0, "student_psych"]
    return ev




def _event_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """UUID-shaped random ids without a Python loop."""
    hexchars = np.frombuffer(b"0123456789abcdef", dtype="S1")
    chars = hexchars[rng.integers(0, 16, (n, 32))]
    dash = np.full((n, 1), b"-", dtype="S1")
    parts = [chars[:, :8], dash, chars[:, 8:12], dash, chars[:, 12:16], dash, chars[:, 16:20], dash, chars[:, 20:]]
    joined = np.ascontiguousarray(np.concatenate(parts, axis=1)).view("S36").ravel()
    return joined.astype(str).astype(object)


# --------------------------------------------------------------------------- writing
def _write_csv(path: Path, df: pd.DataFrame, columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = df.reindex(columns=columns).copy()
    for c in ("scope_ids", "columns", "actions", "purposes"):
        if c in out:
            out[c] = out[c].str.join(";")
    if "sensitive" in out:
        out["sensitive"] = np.where(out["sensitive"].astype(bool), "true", "false")
    out.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")


def _write_access(lake: Path, ev: pd.DataFrame, start: date) -> list[str]:
    """One gzip JSONL file per local date; times, lists and JSON are made by DuckDB."""
    folder = LakePaths(Path(lake)).inbox / "access"
    folder.mkdir(parents=True, exist_ok=True)
    cols = pd.DataFrame({"resource": list(RESOURCE_COLUMNS), "cols": list(RESOURCE_COLUMNS.values())})
    frame = ev[["event_id", "seq", "day", "secs", "principal_id", "role", "client_app", "action", "resource",
                "purpose", "decision", "grant_id", "rows_returned", "subject"]].copy()
    frame["rows_returned"] = frame["rows_returned"].astype("Int64")
    con = duckdb.connect()
    con.register("ev", frame)
    con.register("res_cols", cols)
    con.execute(f"""
        create table events as
        select e.event_id, cast(e.seq as bigint) as seq,
            strftime(date '{start.isoformat()}' + cast(e.day as integer) * interval 1 day
                     + cast(e.secs as integer) * interval 1 second, '%Y-%m-%dT%H:%M:%S+08:00') as event_time,
            e.principal_id, e.role, e.client_app, e.action, e.resource,
            coalesce(r.cols, {AGGREGATE_COLUMNS!r}) as columns,
            e.purpose, e.decision, e.grant_id, cast(e.rows_returned as bigint) as rows_returned,
            case when e.subject is null then cast([] as varchar[]) else [e.subject] end as subject_ids,
            cast(date '{start.isoformat()}' + cast(e.day as integer) as date) as local_date
        from ev as e left join res_cols as r on r.resource = e.resource
        order by local_date, event_time, seq
    """)
    written = []
    for (d,) in con.execute("select distinct local_date from events order by 1").fetchall():
        path = folder / f"{d.isoformat()}.jsonl.gz"
        con.execute(f"""copy (select * exclude (local_date) from events where local_date = '{d.isoformat()}')
                        to '{path}' (format json, compression gzip)""")
        written.append(path.name)
    con.close()
    return written


# --------------------------------------------------------------------------- entry point
def write_governance(lake: Path, roster_files: dict[str, pa.Table], *, seed: int, start: date, days: int,
                     scale: str, dirt_rate: float) -> dict:
    """Write grants, consents and access logs for the roster delivery `roster_files`
    (`write_roster`'s tables) into `lake`'s inbox; see module doc."""
    lake = Path(lake)
    rng = np.random.default_rng([seed, 6])
    roster = roster_from_files(roster_files)
    grants, members = _grant_rows(roster, start, rng)
    consents, research = _consents(roster, start, rng)
    events = _clean_events(grants, members, research, start, days, rng)
    inj = Injector(grants, consents, events, roster, research, start, days, rng, dirt_rate)
    if dirt_rate > 0:
        inj.run()
    # assemble: extra grants / consents / events
    grants = pd.concat([grants, pd.DataFrame(inj.extra_grants), _report_grants(grants, start, days)],
                       ignore_index=True)
    if inj.extra_consents:
        extra = pd.DataFrame(inj.extra_consents).drop(columns="_victim")
        extra.insert(0, "consent_id", [f"cns-x{i:06d}" for i in range(1, len(extra) + 1)])
        consents = pd.concat([consents, extra], ignore_index=True)
    events["_tag"] = -1
    extra_ev = pd.DataFrame(inj.extra_events)
    if len(extra_ev):
        events = pd.concat([events, extra_ev], ignore_index=True)
    events["event_id"] = _event_ids(rng, len(events))
    events["client_app"] = events["role"].map(CLIENT_APP)
    events = events.sort_values(["day", "secs"], kind="stable").reset_index(drop=True)
    events["seq"] = events.groupby("client_app").cumcount() + 1
    tag_id = dict(zip(events.loc[events["_tag"] >= 0, "_tag"], events.loc[events["_tag"] >= 0, "event_id"],
                      strict=True))
    for t in inj.truth:
        t["event_ids"] = [tag_id[x] for x in t["event_ids"]]
    if inj.truth_retention:
        inj.record("retention_overdue", None, None, [tag_id[x] for x in inj.truth_retention],
                   "access_log")
    if dirt_rate > 0:
        events = _log_defects(events, inj)
    delivery = f"{(start - timedelta(days=1)).isoformat()}-governance"
    gdir = LakePaths(Path(lake)).inbox / "governance" / delivery
    _write_csv(gdir / "grants.csv", grants, [
        "grant_id", "principal_id", "principal_type", "role", "scope_type", "scope_ids", "resource",
        "columns", "actions", "purposes", "sensitive", "granted_by", "approved_by", "valid_from", "valid_to",
        "revoked_at"])
    _write_csv(gdir / "consents.csv", consents, [
        "consent_id", "student_sourcedId", "guardian_sourcedId", "purpose", "data_category", "status",
        "given_at", "withdrawn_at"])
    files = _write_access(lake, events, start)
    truth_dir = LakePaths(Path(lake)).simulator / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    truth = pa.table({
        "check": pa.array([t["check"] for t in inj.truth], pa.string()),
        "principal_id": pa.array([t["principal_id"] for t in inj.truth], pa.string()),
        "grant_id": pa.array([t["grant_id"] for t in inj.truth], pa.string()),
        "event_ids": pa.array([t["event_ids"] for t in inj.truth], pa.list_(pa.string())),
        "detail": pa.array([t["detail"] for t in inj.truth], pa.string()),
    })
    pq.write_table(truth, truth_dir / "governance_findings.parquet")
    return {"delivery": delivery, "grants": len(grants), "consents": len(consents), "events": len(events),
            "access_files": len(files), "injected": len(inj.truth),
            "generated_at": datetime.now().isoformat(timespec="seconds")}


def _log_defects(events: pd.DataFrame, inj: Injector) -> pd.DataFrame:
    """Sequence gaps, missing fields and duplicate ids, on clean events whose grant has
    other uses (so no other check is touched)."""
    rng = inj.rng
    clean = events[(events["_tag"] < 0) & (events["decision"] == "allowed")
                   & events["resource"].isin(["student_exam", "student_knowledge"])
                   & events["role"].isin(["teacher", "student"])
                   & ~events["principal_id"].isin(inj.used_principals)]
    uses = events.groupby("grant_id")["event_id"].transform("size")
    clean = clean[uses.loc[clean.index] > 3]
    last_seq = events.groupby("client_app")["seq"].transform("max")
    clean = clean[clean["seq"] < last_seq.loc[clean.index] - 1]
    pick = clean.sample(n=min(3 * inj.n, len(clean)), random_state=int(rng.integers(0, 2**31)))
    pick = pick.drop_duplicates("principal_id")
    gaps, missing, dups = np.array_split(pick.index.to_numpy(), 3)
    drop = []
    for i in gaps:
        nxt = events[(events["client_app"] == events.at[i, "client_app"])
                     & (events["seq"] == events.at[i, "seq"] + 1)]
        inj.record("log_sequence_gap", None, None, [nxt["event_id"].iloc[0]], events.at[i, "client_app"])
        drop.append(i)
    for i in missing:
        events.at[i, "purpose"] = None
        inj.record("log_missing_fields", events.at[i, "principal_id"], events.at[i, "grant_id"],
                   [events.at[i, "event_id"]], "purpose")
    for i in dups:
        inj.record("log_duplicate_event", events.at[i, "principal_id"], events.at[i, "grant_id"],
                   [events.at[i, "event_id"]])
    # the same id again, told another way (a "correction" of what was logged); an identical
    # line re-sent is no finding
    retold = events.loc[dups].copy()
    retold["rows_returned"] = retold["rows_returned"] + 1
    out = pd.concat([events.drop(index=drop), retold], ignore_index=True)
    return out.sort_values(["day", "secs", "seq"], kind="stable").reset_index(drop=True)
