"""Every audit check on a hand-built district: one case it must find and a near miss it
must not. The roster is the simulator's tiny world (dirt-free); grants, consents and
access events are written by hand into the inbox, landed, and the audit's dbt models
(with their parents) built once for all tests of this module."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import eduhouse_dev.simulate.world as world_mod  # noqa: E402
from eduhouse_dev.simulate.governance_roster import roster_from_files  # noqa: E402
from orchestration.governance.build import build_audit_models  # noqa: E402

START = date(2021, 10, 1)
DPO, BOARD = "dpo-office", "dpo-board"
GRANT_COLS = ["grant_id", "principal_id", "principal_type", "role", "scope_type", "scope_ids", "resource",
              "columns", "actions", "purposes", "sensitive", "granted_by", "approved_by", "valid_from",
              "valid_to", "revoked_at"]


class Case:
    """Builds grants, consents and events; records what each check must and must not see."""

    def __init__(self):
        self.grants, self.consents, self.events = [], [], []
        self.expect: dict[str, dict] = {}

    def grant(self, gid, who, role, scope_type, scope_ids, resource, purposes, *, sensitive=False,
              actions="read;export", granted_by=DPO, approved_by=BOARD, valid_from="2021-09-01",
              valid_to="", revoked_at="", ptype="user"):
        self.grants.append(dict(zip(GRANT_COLS, [
            gid, who, ptype, role, scope_type, ";".join(scope_ids), resource, "*", actions, purposes,
            "true" if sensitive else "false", granted_by, approved_by, valid_from, valid_to, revoked_at],
            strict=True)))
        return gid

    def event(self, eid, who, role, app, gid, resource, purpose, subjects, when, *, decision="allowed",
              action="read", rows=1, drop=(), columns=("student_key", "score")):
        e = {"event_id": eid, "seq": None, "event_time": when, "principal_id": who, "role": role,
             "client_app": app, "action": action, "resource": resource, "columns": list(columns),
             "purpose": purpose, "decision": decision, "grant_id": gid, "rows_returned": rows,
             "subject_ids": list(subjects)}
        for k in drop:
            e.pop(k)
        self.events.append(e)
        return eid


def _build_cases(roster_files) -> Case:
    r = roster_from_files(roster_files)
    s, t, m = r.students, r.teaching, r.members
    s1 = s.iloc[0]
    school2 = s.loc[s["school"] != s1["school"]].iloc[0]
    sched = t[t["class_type"] == "scheduled"]
    mine = sched[sched["class"].isin(m.loc[m["student"] == s1["student"], "class"])]
    t1 = mine.iloc[0]
    others = sched[(sched["school"] == s1["school"]) & ~sched["teacher"].isin([t1["teacher"]])]
    teachers = list(dict.fromkeys(others["teacher"]))
    t2, t3, t4, t5, t6 = teachers[:5]
    cls_of = {x: list(sched.loc[sched["teacher"] == x, "class"]) for x in (t2, t3, t4, t5, t6)}
    foreign_class = sched.loc[sched["school"] != s1["school"], "class"].iloc[0]
    ht = t[(t["class"] == s1["homeroom"]) & t["primary"]]["teacher"].iloc[0]
    staff = r.staff.set_index("role")
    principal = r.staff[(r.staff["role"] == "principal") & (r.staff["org"] == s1["school"])]["user"].iloc[0]
    researchers = r.staff[r.staff["role"] == "subject_researcher"]
    (r1, sub1, d1), (r2, sub2, d2) = researchers[["user", "subject", "org"]].head(2).itertuples(index=False)
    stu = s.loc[s["school"] == s1["school"], "student"].tolist()
    del staff

    c = Case()
    at = "2021-10-{:02d}T{}+08:00".format
    # a background event on the audit date (max local date) with no finding of its own
    g_t1 = c.grant("g-t1", t1["teacher"], "teacher", "class", [t1["class"]], "student_exam", "teaching")
    c.event("e-last", t1["teacher"], "teacher", "portal", g_t1, "student_exam", "teaching", [s1["student"]],
            at(30, "10:00:00"))

    # unauthorised_access: allowed without a grant / near miss: denied without a grant
    c.event("e-unauth", t1["teacher"], "teacher", "portal", None, "student_exam", "teaching", [s1["student"]],
            at(5, "09:00:00"))
    c.event("e-unauth-near", t1["teacher"], "teacher", "portal", None, "student_exam", "teaching",
            [s1["student"]], at(5, "09:05:00"), decision="denied", rows=0)
    c.expect["unauthorised_access"] = {"key": (t1["teacher"], None), "found": ["e-unauth"],
                                       "not": ["e-unauth-near"]}

    # out_of_scope_subject: another school's student / near miss: own class's student
    c.event("e-oos", t1["teacher"], "teacher", "portal", g_t1, "student_exam", "teaching",
            [school2["student"]], at(6, "09:00:00"))
    c.event("e-oos-near", t1["teacher"], "teacher", "portal", g_t1, "student_exam", "teaching", [s1["student"]],
            at(6, "09:10:00"))
    # ... and a student of another class the teacher teaches, read under a grant on one
    # class: in the roster, outside the grant the read cites / near miss: that class's student
    taught = sched.groupby("teacher")["class"].apply(list)
    tm, (ca, cb) = next((x, cls[:2]) for x, cls in taught.items() if len(set(cls)) >= 2)
    in_a = set(m.loc[m["class"] == ca, "student"])
    only_b = m.loc[(m["class"] == cb) & ~m["student"].isin(in_a), "student"].iloc[0]
    g_one = c.grant("g-one-class", tm, "teacher", "class", [ca], "student_exam", "teaching")
    c.event("e-oos-grant", tm, "teacher", "portal", g_one, "student_exam", "teaching", [only_b], at(6, "10:00:00"))
    c.event("e-oos-grant-near", tm, "teacher", "portal", g_one, "student_exam", "teaching", [sorted(in_a)[0]],
            at(6, "10:10:00"))
    c.expect["out_of_scope_subject"] = {"key": (t1["teacher"], g_t1), "found": ["e-oos"], "not": ["e-oos-near"],
                                        "also_events": {(tm, g_one): (["e-oos-grant"], ["e-oos-grant-near"])}}

    # expired_or_revoked_grant: revoked before use / near miss: revoked after use
    g_rev = c.grant("g-rev", t2, "teacher", "class", cls_of[t2], "student_knowledge", "teaching",
                    revoked_at="2021-10-08T12:00:00+08:00")
    kid2 = m.loc[m["class"] == cls_of[t2][0], "student"].iloc[0]
    c.event("e-rev-near", t2, "teacher", "portal", g_rev, "student_knowledge", "teaching", [kid2], at(7, "09:00:00"))
    c.event("e-rev", t2, "teacher", "portal", g_rev, "student_knowledge", "teaching", [kid2], at(9, "09:00:00"))
    g_exp = c.grant("g-exp", t2, "teacher", "class", cls_of[t2], "student_ability", "teaching",
                    valid_from="2021-08-01", valid_to="2021-09-20")
    c.event("e-exp", t2, "teacher", "portal", g_exp, "student_ability", "teaching", [kid2], at(9, "10:00:00"))
    c.expect["expired_or_revoked_grant"] = {"key": (t2, g_rev), "found": ["e-rev"], "not": ["e-rev-near"],
                                            "also": [(t2, g_exp)]}

    # stale_grant: a class the teacher does not teach / near miss: the teacher's own class
    c.grant("g-stale", t3, "teacher", "class", [foreign_class], "class_term", "teaching")
    c.grant("g-stale-near", t3, "teacher", "class", cls_of[t3], "class_term", "teaching")
    # ... and a head teacher's grant on a class its principal teaches as a subject teacher
    # (backed by the roster, not in that role) / near miss: the same class as a teacher
    sched_teacher, sched_class = sched.iloc[0]["teacher"], sched.iloc[0]["class"]
    c.grant("g-stale-role", sched_teacher, "head_teacher", "class", [sched_class], "class_term", "teaching")
    c.grant("g-stale-role-near", sched_teacher, "teacher", "class", [sched_class], "class_term", "teaching")
    c.expect["stale_grant"] = {"key": (t3, "g-stale"), "not_keys": [(t3, "g-stale-near"),
                                                                    (sched_teacher, "g-stale-role-near")],
                               "also": [(sched_teacher, "g-stale-role")]}

    # sensitive_without_grant: psych under a plain grant / near miss: under a sensitive grant
    g_ps = c.grant("g-psych-plain", ht, "head_teacher", "class", [s1["homeroom"]], "student_psych", "teaching")
    g_ps_ok = c.grant("g-psych-ok", ht, "head_teacher", "class", [s1["homeroom"]], "student_fitness",
                      "teaching;pastoral_care", sensitive=True)
    c.event("e-sens", ht, "head_teacher", "portal", g_ps, "student_psych", "teaching", [s1["student"]],
            at(10, "09:00:00"))
    c.event("e-sens-near", ht, "head_teacher", "portal", g_ps_ok, "student_fitness", "teaching", [s1["student"]],
            at(10, "09:30:00"))
    # ... and all the columns of a mart with a sensitive column, named `*` or not at all (they
    # were read as no column: not sensitive) / near miss: its learning columns only
    g_sna = c.grant("g-sna-plain", ht, "head_teacher", "class", [s1["homeroom"]], "students_needing_attention",
                    "teaching")
    c.event("e-sens-star", ht, "head_teacher", "portal", g_sna, "students_needing_attention", "teaching",
            [s1["student"]], at(10, "10:00:00"), columns=["*"])
    c.event("e-sens-all", ht, "head_teacher", "portal", g_sna, "students_needing_attention", "teaching",
            [s1["student"]], at(10, "10:05:00"), columns=[])
    c.event("e-sens-some", ht, "head_teacher", "portal", g_sna, "students_needing_attention", "teaching",
            [s1["student"]], at(10, "10:10:00"), columns=["student_key"])
    c.expect["sensitive_without_grant"] = {"key": (ht, g_ps), "found": ["e-sens"], "not_keys": [(ht, g_ps_ok)],
                                           "also_events": {(ht, g_sna): (["e-sens-star", "e-sens-all"],
                                                                         ["e-sens-some"])}}

    # purpose_not_allowed: psych read for teaching, whatever the grant lists (e-sens above, the
    # attention list's psych flag read whole for teaching, and a sensitive grant naming teaching) /
    # near misses: the same grant for pastoral care, the attention list's learning columns
    g_ps_both = c.grant("g-psych-both", ht, "head_teacher", "class", [s1["homeroom"]], "student_psych",
                        "teaching;pastoral_care", sensitive=True)
    c.event("e-purp-psych", ht, "head_teacher", "portal", g_ps_both, "student_psych", "teaching", [s1["student"]],
            at(10, "11:00:00"))
    c.event("e-purp-psych-near", ht, "head_teacher", "portal", g_ps_both, "student_psych", "pastoral_care",
            [s1["student"]], at(10, "11:05:00"))
    s1_guardian = r.guardians.loc[r.guardians["student"] == s1["student"], "guardian"].iloc[0]
    c.consents.append({"consent_id": "c-psych", "student_sourcedId": s1["student"], "guardian_sourcedId": s1_guardian,
                       "purpose": "pastoral_care", "data_category": "sensitive_psych", "status": "given",
                       "given_at": "2021-09-01", "withdrawn_at": ""})  # pastoral care is not exempt
    c.expect["purpose_not_allowed"] = {"key": (ht, g_ps_both), "found": ["e-purp-psych"],
                                       "not": ["e-purp-psych-near"], "also": [(ht, g_ps)],
                                       "also_events": {(ht, g_sna): (["e-sens-star", "e-sens-all"],
                                                                     ["e-sens-some"])}}

    # purpose_not_granted / near miss: a granted purpose
    g_t4 = c.grant("g-t4", t4, "teacher", "class", cls_of[t4], "student_exam", "teaching")
    kid4 = m.loc[m["class"] == cls_of[t4][0], "student"].iloc[0]
    c.event("e-purp", t4, "teacher", "portal", g_t4, "student_exam", "management", [kid4], at(11, "09:00:00"))
    c.event("e-purp-near", t4, "teacher", "portal", g_t4, "student_exam", "teaching", [kid4], at(11, "09:05:00"))
    c.expect["purpose_not_granted"] = {"key": (t4, g_t4), "found": ["e-purp"], "not": ["e-purp-near"]}

    # consent_missing: research without consent, and after withdrawal / near misses: with
    # consent, and before the withdrawal
    s_c, s_nc, s_w = stu[3], stu[4], stu[5]
    links = r.guardians
    theirs = links.loc[links["student"] == stu[11], "guardian"].iloc[0]
    not_theirs = links.loc[~links["guardian"].isin(set(links.loc[links["student"] == stu[10], "guardian"])),
                           "guardian"].iloc[0]
    # the consenting students are 14 or older: a younger one's own consent (or one naming no
    # guardian) does not count (the governance probe), and e-cons-child tells that apart
    adults = s.loc[(s["school"] == s1["school"]) & (s["birth"] <= pd.Timestamp("2007-10-01")), "student"].tolist()
    child = s.loc[(s["school"] == s1["school"]) & (s["birth"] > pd.Timestamp("2008-10-31")), "student"].tolist()[0]
    s_c, s_w = adults[0], adults[1]
    c.consents += [
        {"consent_id": "c-1", "student_sourcedId": s_c, "guardian_sourcedId": "", "purpose": "research",
         "data_category": "learning", "status": "given", "given_at": "2021-09-01", "withdrawn_at": ""},
        {"consent_id": "c-child", "student_sourcedId": child, "guardian_sourcedId": child, "purpose": "research",
         "data_category": "learning", "status": "given", "given_at": "2021-09-01", "withdrawn_at": ""},
        {"consent_id": "c-2", "student_sourcedId": s_w, "guardian_sourcedId": "", "purpose": "research",
         "data_category": "learning", "status": "withdrawn", "given_at": "2021-09-01",
         "withdrawn_at": "2021-10-10T12:00:00+08:00"},
        # a status the contract does not name, and a withdrawal without its time: neither
        # covers (a consent is never assumed; they covered, being neither refused nor denied)
        {"consent_id": "c-3", "student_sourcedId": stu[8], "guardian_sourcedId": "", "purpose": "research",
         "data_category": "learning", "status": "Maybe", "given_at": "2021-09-01", "withdrawn_at": ""},
        {"consent_id": "c-4", "student_sourcedId": stu[9], "guardian_sourcedId": "", "purpose": "research",
         "data_category": "learning", "status": "withdrawn", "given_at": "2021-09-01", "withdrawn_at": ""},
        # given by another child's parent: covers nothing / near miss: by the student's own guardian
        {"consent_id": "c-5", "student_sourcedId": stu[10], "guardian_sourcedId": not_theirs, "purpose": "research",
         "data_category": "learning", "status": "given", "given_at": "2021-09-01", "withdrawn_at": ""},
        {"consent_id": "c-6", "student_sourcedId": stu[11], "guardian_sourcedId": theirs, "purpose": "research",
         "data_category": "learning", "status": "given", "given_at": "2021-09-01", "withdrawn_at": ""},
    ]
    g_r1 = c.grant("g-r1", r1, "subject_researcher", "subject", [f"{d1}:{sub1}"], "student_knowledge", "research")
    g_r2 = c.grant("g-r2", r2, "subject_researcher", "subject", [f"{d2}:{sub2}"], "student_knowledge", "research")
    c.event("e-cons", r1, "subject_researcher", "research", g_r1, "student_knowledge", "research", [s_nc],
            at(12, "09:00:00"))
    c.event("e-cons-near", r1, "subject_researcher", "research", g_r1, "student_knowledge", "research", [s_c],
            at(12, "09:05:00"))
    c.event("e-wd-near", r2, "subject_researcher", "research", g_r2, "student_knowledge", "research", [s_w],
            at(9, "09:00:00"))
    c.event("e-wd", r2, "subject_researcher", "research", g_r2, "student_knowledge", "research", [s_w],
            at(12, "10:00:00"))
    c.event("e-cons-maybe", r1, "subject_researcher", "research", g_r1, "student_knowledge", "research",
            [stu[8]], at(12, "09:10:00"))
    c.event("e-cons-undated", r1, "subject_researcher", "research", g_r1, "student_knowledge", "research",
            [stu[9]], at(12, "09:15:00"))
    c.event("e-cons-stranger", r1, "subject_researcher", "research", g_r1, "student_knowledge", "research",
            [stu[10]], at(12, "09:20:00"))
    c.event("e-cons-guardian", r1, "subject_researcher", "research", g_r1, "student_knowledge", "research",
            [stu[11]], at(12, "09:25:00"))
    c.event("e-cons-child", r1, "subject_researcher", "research", g_r1, "student_knowledge", "research",
            [child], at(12, "09:30:00"))
    c.expect["consent_missing"] = {"key": (r1, g_r1),
                                   "found": ["e-cons", "e-cons-maybe", "e-cons-undated", "e-cons-stranger",
                                             "e-cons-child"],
                                   "not": ["e-cons-near", "e-cons-guardian"],
                                   "also_events": {(r2, g_r2): (["e-wd"], ["e-wd-near"])}}

    # self_granted / near miss: granted by the DPO
    c.grant("g-self", t5, "teacher", "class", cls_of[t5], "exam_summary", "teaching", granted_by=t5)
    c.grant("g-self-near", t5, "teacher", "class", cls_of[t5], "item_analysis", "teaching")
    # ... and a sensitive grant nobody approved (four eyes: the governance probe) / near miss:
    # a plain grant without an approver
    c.grant("g-unapproved", ht, "head_teacher", "class", [s1["homeroom"]], "student_fitness", "pastoral_care",
            sensitive=True, approved_by="")
    c.grant("g-unapproved-near", t5, "teacher", "class", cls_of[t5], "class_term", "teaching", approved_by="")
    c.expect["self_granted"] = {"key": (t5, "g-self"), "not_keys": [(t5, "g-self-near"), (t5, "g-unapproved-near")],
                                "also": [(ht, "g-unapproved")]}

    # bulk_export: far above the principal's usual size; more students than the school holds
    # (those beyond it are out of scope too) / near misses: a small export, and the whole
    # school's student_exam (rows: several per student, more than the school's students)
    g_p = c.grant("g-principal", principal, "principal", "school", [s1["school"]], "student_exam", "management")
    whole = 3 * len(stu) + 500  # rows of the whole school's student_exam: >= bulk_min_rows, > students
    for i in range(5):  # the principal's usual: median whole // 5, so 10x it is twice the school
        c.event(f"e-bulk-usual-{i}", principal, "principal", "portal", g_p, "student_exam", "management",
                [s1["student"]], at(12, f"09:0{i}:00"), rows=whole // 5)
    c.event("e-bulk", principal, "principal", "portal", g_p, "student_exam", "management", [s1["student"]],
            at(13, "09:00:00"), action="export", rows=50 * whole)
    c.event("e-bulk-near", principal, "principal", "portal", g_p, "student_exam", "management", [s1["student"]],
            at(13, "10:00:00"), action="export", rows=90)
    c.event("e-bulk-school", principal, "principal", "portal", g_p, "student_exam", "management", stu,
            at(13, "11:00:00"), action="export", rows=whole)
    beyond = stu + s.loc[s["school"] != s1["school"], "student"].head(5).tolist()
    c.event("e-bulk-wide", principal, "principal", "portal", g_p, "student_exam", "management", beyond,
            at(13, "12:00:00"), action="export", rows=whole)
    c.expect["bulk_export"] = {"key": (principal, g_p), "found": ["e-bulk", "e-bulk-wide"],
                               "not": ["e-bulk-near", "e-bulk-school"]}
    c.expect["out_of_scope_subject"]["also"] = [(principal, g_p)]  # e-bulk-wide's other schools' students

    # unused_grant: held since May, never used / near miss: held since May, used
    c.grant("g-unused", t6, "teacher", "class", cls_of[t6], "exam_summary", "teaching", valid_from="2021-05-01")
    g_used = c.grant("g-used", t6, "teacher", "class", cls_of[t6], "class_term", "teaching",
                     valid_from="2021-05-01")
    c.event("e-used", t6, "teacher", "portal", g_used, "class_term", "teaching", [], at(14, "09:00:00"))
    # ... and one without valid_from: open from the start, so held all along (it was never reported)
    c.grant("g-unused-open", t6, "teacher", "class", cls_of[t6], "class_weak_points", "teaching", valid_from="")
    c.expect["unused_grant"] = {"key": (t6, "g-unused"), "not_keys": [(t6, g_used)], "also": [(t6, "g-unused-open")]}

    # over_broad_grant: a teacher's grant over the whole school / near miss: over classes
    c.grant("g-broad", t6, "teacher", "school", [s1["school"]], "student_exam", "teaching")
    c.grant("g-broad-near", t6, "teacher", "class", cls_of[t6], "student_exam", "teaching")
    c.expect["over_broad_grant"] = {"key": (t6, "g-broad"), "not_keys": [(t6, "g-broad-near")]}

    # repeated_denials: 6 in 25 minutes / near miss: 4 in an hour
    for i in range(6):
        c.event(f"e-deny-{i}", stu[6], "student", "student-app", None, "student_psych", "learning", [],
                at(15, f"09:{i * 5:02d}:00"), decision="denied", rows=0)
    for i in range(4):
        c.event(f"e-deny-near-{i}", stu[7], "student", "student-app", None, "student_psych", "learning", [],
                at(15, f"10:{i * 10:02d}:00"), decision="denied", rows=0)
    c.expect["repeated_denials"] = {"key": (stu[6], None), "found": [f"e-deny-{i}" for i in range(6)],
                                    "not_keys": [(stu[7], None)]}

    # log integrity: a gap in app-gap's seq / near miss: app-ok without gaps; a missing
    # purpose / near miss: complete; a duplicated id / near miss: unique ids
    for i, n in enumerate((1, 2, 4)):
        e = c.event(f"e-gap-{n}", t1["teacher"], "teacher", "app-gap", g_t1, "student_exam", "teaching",
                    [s1["student"]], at(16, f"09:0{i}:00"))
        c.events[-1]["seq"] = n
        del e
    for n in (1, 2, 3):
        c.event(f"e-ok-{n}", t1["teacher"], "teacher", "app-ok", g_t1, "student_exam", "teaching",
                [s1["student"]], at(16, f"10:0{n}:00"))
        c.events[-1]["seq"] = n
    c.event("e-nopurpose", t4, "teacher", "portal", g_t4, "student_exam", None, [kid4], at(17, "09:00:00"),
            drop=("purpose",))
    c.event("e-dup", t4, "teacher", "portal", g_t4, "student_exam", "teaching", [kid4], at(17, "10:00:00"))
    c.events.append({**c.events[-1], "rows_returned": 5})  # the same id told another way
    # near miss: an identical line re-sent (a log file delivered again with a line more)
    c.event("e-resent", t4, "teacher", "portal", g_t4, "student_exam", "teaching", [kid4], at(17, "10:30:00"))
    c.events.append(c.events[-1])  # the same line: it gets one seq, written twice
    c.expect["log_sequence_gap"] = {"key": (None, None), "found": ["e-gap-4"], "not": ["e-ok-3", "e-ok-2"]}
    # an allowed student-level read naming no student, or no row count: every subject check
    # passed it unseen / near miss: a read that returned no row names none, rightly
    c.event("e-nosubjects", t4, "teacher", "portal", g_t4, "student_exam", "teaching", [], at(17, "11:00:00"),
            rows=30)
    c.event("e-norows", t4, "teacher", "portal", g_t4, "student_exam", "teaching", [kid4], at(17, "11:05:00"),
            drop=("rows_returned",))
    c.event("e-empty", t4, "teacher", "portal", g_t4, "student_exam", "teaching", [], at(17, "11:10:00"), rows=0)
    c.expect["log_missing_fields"] = {"key": (t4, g_t4), "found": ["e-nopurpose", "e-nosubjects", "e-norows"],
                                      "not": ["e-purp-near", "e-empty"]}
    c.expect["log_duplicate_event"] = {"key": (t4, g_t4), "found": ["e-dup"], "not": ["e-nopurpose", "e-resent"]}

    # retention_overdue: an access logged 200 days before the audit / near miss: 170 days
    c.event("e-old", stu[8], "student", "archive", None, "student_exam", "learning", [], "2021-04-13T09:00:00+08:00",
            decision="denied", rows=0)
    c.event("e-old-near", stu[8], "student", "archive", None, "student_exam", "learning", [],
            "2021-05-13T09:00:00+08:00", decision="denied", rows=0)
    c.expect["retention_overdue"] = {"key": (None, None), "found": ["e-old"], "not": ["e-old-near"]}
    return c


def _write_inbox(lake: Path, c: Case) -> None:
    gdir = lake / "inbox" / "governance" / "2021-09-30-governance"
    gdir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(c.grants, columns=GRANT_COLS).to_csv(gdir / "grants.csv", index=False)
    pd.DataFrame(c.consents).to_csv(gdir / "consents.csv", index=False)
    events = sorted(c.events, key=lambda e: e["event_time"])
    seq: dict[str, int] = {}
    for e in events:
        if e["seq"] is None:
            seq[e["client_app"]] = seq.get(e["client_app"], 0) + 1
            e["seq"] = seq[e["client_app"]]
    adir = lake / "inbox" / "access"
    adir.mkdir(parents=True, exist_ok=True)
    by_day: dict[str, list[str]] = {}
    for e in events:
        by_day.setdefault(e["event_time"][:10], []).append(json.dumps(e))
    for day, lines in by_day.items():
        with gzip.open(adir / f"{day}.jsonl.gz", "wt", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    from eduhouse_dev.simulate.roster import write_roster
    from orchestration.landing.sources import LANDERS

    lake = tmp_path_factory.mktemp("gov_cases")
    _, roster_files = write_roster(world_mod.build_world("tiny", 7, START), lake / "inbox")
    cases = _build_cases(roster_files)
    _write_inbox(lake, cases)
    for source in ("roster", "governance", "access"):
        LANDERS[source](lake)
    built = build_audit_models(lake, target_path=lake / "dbt_target")
    if built["returncode"] != 0:
        pytest.fail("dbt build of the audit models failed:\n" + built["log_tail"])
    findings = pd.read_parquet(lake / "restricted" / "access_audit_findings.parquet")
    yield cases, findings
    shutil.rmtree(lake, ignore_errors=True)


def _key_rows(findings, check, key):
    principal, grant = key
    rows = findings[findings["check"] == check]
    rows = rows[rows["principal_id"].isna() if principal is None else rows["principal_id"] == principal]
    return rows[rows["grant_id"].isna() if grant is None else rows["grant_id"] == grant]


CHECKS = ["unauthorised_access", "out_of_scope_subject", "expired_or_revoked_grant", "stale_grant",
          "sensitive_without_grant", "purpose_not_allowed", "purpose_not_granted", "consent_missing", "self_granted",
          "bulk_export", "unused_grant", "over_broad_grant", "repeated_denials", "log_sequence_gap", "log_missing_fields",
          "log_duplicate_event", "retention_overdue"]


@pytest.mark.parametrize("check", CHECKS)
def test_check_finds_case_and_spares_near_miss(audited, check):
    cases, findings = audited
    exp = cases.expect[check]
    rows = _key_rows(findings, check, exp["key"])
    assert len(rows), f"{check}: no finding for {exp['key']}; got {findings[findings['check'] == check].to_dict('records')}"
    events = {e for ids in rows["event_ids"] for e in ids}
    for e in exp.get("found", []):
        assert e in events, f"{check}: event {e} not in the finding"
    for e in exp.get("not", []):
        assert e not in events, f"{check}: near-miss event {e} reported"
    for key in exp.get("not_keys", []):
        assert not len(_key_rows(findings, check, key)), f"{check}: near miss {key} reported"
    for key in exp.get("also", []):
        assert len(_key_rows(findings, check, key)), f"{check}: no finding for {key}"
    for key, (found, spared) in exp.get("also_events", {}).items():
        ids = {e for x in _key_rows(findings, check, key)["event_ids"] for e in x}
        assert set(found) <= ids and not set(spared) & ids, f"{check}: {key} events {ids}"


def test_every_finding_is_expected(audited):
    """No check fires beyond the hand-built cases (the clean background raises nothing)."""
    cases, findings = audited
    expected = {(c, *e["key"]) for c, e in cases.expect.items()}
    expected |= {(c, *k) for c, e in cases.expect.items() for k in e.get("also", [])}
    expected |= {(c, *k) for c, e in cases.expect.items() for k in e.get("also_events", {})}
    got = {(r.check, r.principal_id if isinstance(r.principal_id, str) else None,
            r.grant_id if isinstance(r.grant_id, str) else None) for r in findings.itertuples()}
    assert got - expected == set(), f"unexpected findings: {got - expected}"


def test_findings_carry_severity_and_fix(audited):
    _, findings = audited
    assert findings["severity"].isin(["critical", "high", "medium", "low"]).all()
    assert findings["how_to_fix"].str.len().gt(10).all()
    assert findings["finding_id"].is_unique
