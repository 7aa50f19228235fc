"""The violations the simulator plants in a district's grants, consents and access
events: at least one case per audit check, each recorded as ground truth (check,
principal, grant, events) for the audit's recall and precision tests."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from orchestration.governance.policy import load_policy


class Injector:
    """Adds violations to grants/consents/events and records the truth for each."""

    def __init__(self, grants, consents, events, roster, research, start, days, rng, dirt_rate):
        self.grants, self.consents, self.events = grants, consents, events
        self.roster, self.research, self.start, self.days, self.rng = roster, research, start, days, rng
        self.truth: list[dict] = []
        self.extra_grants: list[dict] = []
        self.extra_consents: list[dict] = []
        self.extra_events: list[dict] = []
        self.truth_retention: list[int] = []  # tags of over-retention events (one finding)
        # cases per check: dirt_rate per 40 grants (about one per 10 principals), at least one
        self.n = max(1, int(round(dirt_rate * len(grants) / 40)))
        self.used_principals: set[str] = set()
        self._next_grant = len(grants) + 1
        # the first clean student-level event of each grant, found once (not per case)
        ok = (events["decision"] == "allowed") & events["subject"].notna()
        first = events[ok].drop_duplicates("grant_id")
        self._first_event = dict(zip(first["grant_id"], first.index, strict=True))
        # candidate grants per (role, resource), shuffled once, popped per case
        open_ended = grants[grants["valid_to"].isna() & grants["grant_id"].isin(self._first_event)]
        self._pool = {k: list(v.sample(frac=1, random_state=int(rng.integers(0, 2**31))).index)
                      for k, v in open_ended.groupby(["role", "resource"])}

    # helpers
    def record(self, check, principal=None, grant=None, events=(), detail=""):
        self.truth.append({"check": check, "principal_id": principal, "grant_id": grant,
                           "event_ids": list(events), "detail": detail})

    def pick_grant(self, role: str, resource: str | None = None) -> pd.Series:
        """A clean grant of a principal not yet used by another injection."""
        resource = resource or {"teacher": "student_exam", "head_teacher": "student_exam",
                                "principal": "student_exam", "subject_researcher": "student_knowledge",
                                "student": "student_exam"}[role]
        pool = self._pool[(role, resource)]
        pick = next((i for i in reversed(pool)
                     if self.grants.at[i, "principal_id"] not in self.used_principals), None)
        if pick is None:  # small worlds: a principal may carry two cases
            pick = pool[int(self.rng.integers(0, len(pool)))]
        row = self.grants.loc[pick]
        self.used_principals.add(row["principal_id"])
        return row

    def new_grant(self, base: pd.Series, **changes) -> str:
        gid = f"grt-x{self._next_grant:06d}"
        self._next_grant += 1
        row = base.to_dict()
        row.update(grant_id=gid, valid_from=(self.start - timedelta(days=5)).isoformat())
        row.update(changes)
        self.extra_grants.append(row)
        return gid

    def new_event(self, base: pd.Series, **changes) -> str:
        row = {k: base[k] for k in ("principal_id", "role", "action", "resource", "purpose", "decision",
                                     "grant_id", "rows_returned", "subject")}
        row.update(day=int(self.rng.integers(min(1, self.days - 1), self.days)), secs=int(self.rng.integers(8 * 3600, 20 * 3600)),
                   grant=-1)
        row.update(changes)
        row["event_id"] = None  # assigned with the others
        row["_tag"] = len(self.extra_events)
        self.extra_events.append(row)
        return row["_tag"]

    def clean_event_of(self, grant_id: str) -> pd.Series:
        return self.events.loc[self._first_event[grant_id]]

    def other_school_student(self, school: str) -> str:
        s = self.roster.students
        return s.loc[s["school"] != school, "student"].iloc[0]

    def run(self) -> None:
        for kind in ("unauthorised_access", "out_of_scope_subject", "expired_or_revoked_grant", "stale_grant",
                     "sensitive_without_grant", "purpose_not_allowed", "purpose_not_granted", "consent_missing",
                     "self_granted", "bulk_export", "unused_grant", "over_broad_grant", "repeated_denials",
                     "retention_overdue"):
            for _ in range(self.n):
                getattr(self, kind)()

    # one method per check: each breaks exactly that rule
    def unauthorised_access(self):
        g = self.pick_grant("teacher")
        tag = self.new_event(self.clean_event_of(g["grant_id"]), grant_id=None)
        self.record("unauthorised_access", g["principal_id"], None, [tag])

    def out_of_scope_subject(self):
        g = self.pick_grant("teacher")
        base = self.clean_event_of(g["grant_id"])
        school = self.roster.students.set_index("student").loc[base["subject"], "school"]
        tag = self.new_event(base, subject=self.other_school_student(school))
        self.record("out_of_scope_subject", g["principal_id"], g["grant_id"], [tag])

    def expired_or_revoked_grant(self):
        g = self.pick_grant("teacher")
        base = self.clean_event_of(g["grant_id"])
        if self.rng.random() < 0.5:
            gid = self.new_grant(g, valid_from=(self.start - timedelta(days=60)).isoformat(),
                                 valid_to=(self.start - timedelta(days=10)).isoformat())
        else:
            gid = self.new_grant(g, revoked_at=f"{(self.start - timedelta(days=3)).isoformat()}T09:00:00+08:00")
        tag = self.new_event(base, grant_id=gid)
        self.record("expired_or_revoked_grant", g["principal_id"], gid, [tag])

    def stale_grant(self):
        g = self.pick_grant("teacher")
        t = self.roster.teaching
        mine = set(t.loc[t["teacher"] == g["principal_id"], "class"])
        other = t.loc[~t["class"].isin(mine) & (t["class_type"] != "homeroom"), "class"].iloc[0]
        gid = self.new_grant(g, scope_ids=[other])
        self.record("stale_grant", g["principal_id"], gid, [], "class no longer taught")

    def sensitive_without_grant(self):
        # fitness: a psych read for teaching would break purpose_not_allowed too
        g = self.pick_grant("head_teacher")
        base = self.clean_event_of(g["grant_id"])
        gid = self.new_grant(g, resource="student_fitness", sensitive=False, purposes=["teaching"])
        tag = self.new_event(base, grant_id=gid, resource="student_fitness", purpose="teaching", action="read")
        self.record("sensitive_without_grant", g["principal_id"], gid, [tag])

    def purpose_not_allowed(self):
        # a sensitive grant listing teaching: the policy still keeps psych for pastoral care
        g = self.pick_grant("head_teacher")
        base = self.clean_event_of(g["grant_id"])
        gid = self.new_grant(g, resource="student_psych", sensitive=True, purposes=["teaching", "pastoral_care"])
        tag = self.new_event(base, grant_id=gid, resource="student_psych", purpose="teaching", action="read")
        self.record("purpose_not_allowed", g["principal_id"], gid, [tag])

    def purpose_not_granted(self):
        g = self.pick_grant("teacher")
        tag = self.new_event(self.clean_event_of(g["grant_id"]), purpose="management")
        self.record("purpose_not_granted", g["principal_id"], g["grant_id"], [tag])

    def consent_missing(self):
        g = self.pick_grant("subject_researcher")
        s = self.roster.students["student"]
        unconsented = s[~s.isin(set(self.research))
                        & ~s.isin({e.get("_victim") for e in self.extra_consents})]
        victim = unconsented.iloc[int(self.rng.integers(0, len(unconsented)))]
        base = self.clean_event_of(g["grant_id"])
        day = int(self.rng.integers(min(2, self.days - 1), self.days))
        if day >= 2 and self.rng.random() < 0.5:  # consent given, then withdrawn before the access
            self.extra_consents.append({
                "student_sourcedId": victim, "guardian_sourcedId": None, "purpose": "research",
                "data_category": "learning", "status": "withdrawn",
                "given_at": (self.start - timedelta(days=100)).isoformat(),
                "withdrawn_at": f"{(self.start + timedelta(days=1)).isoformat()}T08:00:00+08:00",
                "_victim": victim})
        tag = self.new_event(base, subject=victim, resource="student_knowledge", purpose="research", day=day)
        self.record("consent_missing", g["principal_id"], g["grant_id"], [tag])

    def self_granted(self):
        g = self.pick_grant("teacher")
        field = "granted_by" if self.rng.random() < 0.5 else "approved_by"
        gid = self.new_grant(g, **{field: g["principal_id"]})
        self.record("self_granted", g["principal_id"], gid, [], field)

    def bulk_export(self):
        g = self.pick_grant("principal")
        base = self.clean_event_of(g["grant_id"])
        size = int((self.roster.students["school"] == g["scope_ids"][0]).sum())
        tag = self.new_event(base, action="export", resource="student_exam", rows_returned=size * 5 + 1000)
        self.record("bulk_export", g["principal_id"], g["grant_id"], [tag])

    def unused_grant(self):
        g = self.pick_grant("teacher")
        gid = self.new_grant(g, valid_from=(self.start - timedelta(days=200)).isoformat(),
                             resource="exam_summary", sensitive=False)
        self.record("unused_grant", g["principal_id"], gid, [])

    def over_broad_grant(self):
        g = self.pick_grant("teacher")
        school = self.roster.teaching.set_index("teacher").loc[[g["principal_id"]], "school"].iloc[0]
        gid = self.new_grant(g, scope_type="school", scope_ids=[school])
        self.record("over_broad_grant", g["principal_id"], gid, [])

    def repeated_denials(self):
        g = self.pick_grant("student")
        base = self.clean_event_of(g["grant_id"])
        day, secs = int(self.rng.integers(0, self.days)), int(self.rng.integers(9 * 3600, 18 * 3600))
        tags = [self.new_event(base, decision="denied", grant_id=None, resource="student_psych",
                               subject=None, rows_returned=0, day=day, secs=secs + 60 * i)
                for i in range(8)]
        self.record("repeated_denials", g["principal_id"], None, tags)

    def retention_overdue(self):
        g = self.pick_grant("student")
        base = self.clean_event_of(g["grant_id"])
        keep = load_policy()["retention_days"]["access_log"]
        tag = self.new_event(base, decision="denied", grant_id=None, subject=None, rows_returned=0,
                             day=self.days - 1 - keep - 20)
        self.truth_retention.append(tag)
