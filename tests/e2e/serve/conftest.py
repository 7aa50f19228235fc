"""A tiny simulated district with extra grants and consents delivered beside the
simulator's (through the inbox, landed by `eduhouse run` like any delivery), and a real
`eduhouse serve` on 127.0.0.1 replaying the district's last day (`--as-of`)."""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.runner.run import run_everything

sys.path.insert(0, str(Path(__file__).parent))
from serve_client import APP  # noqa: E402

GRANT_COLUMNS = ["grant_id", "principal_id", "principal_type", "role", "scope_type", "scope_ids", "resource", "columns",
                 "actions", "purposes", "sensitive", "granted_by", "approved_by", "valid_from", "valid_to", "revoked_at"]


@dataclass
class World:
    """Who is who in the served district, found from the deliveries (never hard-coded)."""
    teacher: str
    teacher_classes: list[str]
    parent: str  # registered: the simulator granted their child's marts
    child: str
    other_student: str
    bare_parent: str  # no simulator grant: only the grants planted here
    bare_child: str
    researcher: str
    withdrawn_student: str  # research consent withdrawn on 2021-10-05
    head_teacher: str
    homeroom: str
    pastoral_withdrawn: str  # an under-14 of the homeroom whose psych consent was withdrawn
    extra: dict = field(default_factory=dict)


def _grant(gid, principal, ptype, role, scope_type, ids, resource, purposes, *, columns="*", sensitive=False,
           valid_from="2021-09-01", valid_to="", revoked_at="") -> dict:
    return {"grant_id": gid, "principal_id": principal, "principal_type": ptype, "role": role, "scope_type": scope_type,
            "scope_ids": ";".join(ids), "resource": resource, "columns": columns, "actions": "read",
            "purposes": purposes, "sensitive": str(sensitive).lower(), "granted_by": "dpo-office",
            "approved_by": "dpo-board", "valid_from": valid_from, "valid_to": valid_to, "revoked_at": revoked_at}


def _plant(lake: Path) -> World:
    inbox = lake / "inbox"
    grants = pd.concat([pd.read_csv(p, dtype=str, encoding="utf-8-sig") for p in inbox.glob("governance/*/grants.csv")])
    consents = pd.concat([pd.read_csv(p, dtype=str, encoding="utf-8-sig") for p in inbox.glob("governance/*/consents.csv")])
    users = pd.concat([pd.read_csv(p, dtype=str, encoding="utf-8-sig") for p in inbox.glob("roster/*/users.csv")])
    granted = set(grants.principal_id)
    kids = users[(users.role == "student") & users.agentSourcedIds.notna()]
    links = [(p.strip(), s) for s, ps in zip(kids.sourcedId, kids.agentSourcedIds, strict=True) for p in ps.split(",")]
    parent, child = next((p, s) for p, s in links
                         if ((grants.principal_id == p) & (grants.resource == "student_exam")).any())
    bare_parent, bare_child = next((p, s) for p, s in links if p not in granted)
    other = next(s for s in kids.sourcedId if s != child and (parent, s) not in links)
    t = grants[(grants.role == "teacher") & (grants.resource == "student_exam")].iloc[0]
    researcher = grants[(grants.role == "subject_researcher") & (grants.resource == "student_knowledge")].iloc[0]
    research = consents[(consents.purpose == "research") & consents.withdrawn_at.isna()]
    withdrawn = research.iloc[0].copy()
    withdrawn["withdrawn_at"] = "2021-10-05T00:00:00+08:00"
    withdrawn["status"] = "withdrawn"
    maybe = research.iloc[1].copy()  # corrected to a status the contract does not name: covers nothing
    maybe["status"] = "Maybe"
    enrollments = pd.concat([pd.read_csv(p, dtype=str, encoding="utf-8-sig") for p in inbox.glob("roster/*/enrollments.csv")])
    births = pd.concat([pd.read_csv(p, dtype=str, encoding="utf-8-sig") for p in inbox.glob("roster/*/demographics.csv")])
    screened = set(pd.concat([pd.read_csv(p, dtype=str, encoding="utf-8-sig") for p in inbox.glob("psych/*.csv")]).student_sourcedId)
    under_14 = set(births[births.birthDate > "2007-10-07"].sourcedId) & screened  # 14 on the replayed day
    ht = next(g for g in grants[(grants.role == "head_teacher") & (grants.resource == "student_psych")].itertuples()
              if set(enrollments[enrollments.classSourcedId == g.scope_ids.split(";")[0]].userSourcedId) & under_14)
    young = sorted(set(enrollments[enrollments.classSourcedId == ht.scope_ids.split(";")[0]].userSourcedId) & under_14)
    pastoral = consents[(consents.student_sourcedId == young[0]) & (consents.purpose == "pastoral_care")
                        & (consents.data_category == "sensitive_psych")].copy()
    pastoral["withdrawn_at"] = "2021-10-05T00:00:00+08:00"
    pastoral["status"] = "withdrawn"
    # two of the homeroom screened at high risk after the simulator's screening: the one
    # whose consent is withdrawn, and one whose consent stands (the page flags them only)
    consenting = next(m for m in sorted(set(enrollments[enrollments.classSourcedId == ht.scope_ids.split(";")[0]]
                                            .userSourcedId) & screened) if m != young[0])
    pd.DataFrame({"student_sourcedId": [young[0], consenting], "screen_date": "2021-10-03", "instrument": "MHT",
                  "scale": "total", "score": "80", "risk_level": "high"}).to_csv(
        inbox / "psych" / "zz-serve-test.csv", index=False)
    district = grants[grants.role == "district_admin"].iloc[0].scope_ids
    leader = grants[grants.role == "grade_leader"].iloc[0]
    planted = [
        # an app's grants in every state (app scopes are not cut to a roster)
        _grant("tst-valid", APP, "app", "downstream_app", "district", [district], "usage_monthly", "app_service"),
        _grant("tst-expired", APP, "app", "downstream_app", "district", [district], "school_term", "app_service",
               valid_to="2021-10-01"),
        _grant("tst-revoked", APP, "app", "downstream_app", "district", [district], "district_term", "app_service",
               revoked_at="2021-10-05T09:00:00+08:00"),
        _grant("tst-future", APP, "app", "downstream_app", "district", [district], "quality_map", "app_service",
               valid_from="2021-12-01"),
        # beyond the downstream_app template: never honoured
        _grant("tst-beyond", APP, "app", "downstream_app", "aggregate_only", [], "student_exam", "app_service"),
        # a parent with no simulator grant: health data without a sensitive grant, and a
        # profile whose grant opens three columns only
        _grant("tst-fitness", bare_parent, "user", "parent", "child", [bare_child], "student_fitness", "guardianship"),
        _grant("tst-profile", bare_parent, "user", "parent", "child", [bare_child], "student_term_profile",
               "guardianship", columns="student_key;academic_session;exams_taken"),
        # report pages: the teacher's own page, the registered parent's child's page
        _grant("tst-report-t", t.principal_id, "user", "teacher", "class", t.scope_ids.split(";"), "role_report",
               "teaching"),
        _grant("tst-report-p", parent, "user", "parent", "child", [child], "role_report", "guardianship"),
        # the teacher's page under a grant of one of their classes: the page shows them all
        _grant("tst-report-t-one", t.principal_id, "user", "teacher", "class", t.scope_ids.split(";")[:1],
               "role_report", "teaching"),
        # the head teacher's page under a grant not marked sensitive: it shows psych data
        _grant("grt-a-report-ht-plain", ht.principal_id, "user", "head_teacher", "class", [ht.scope_ids.split(";")[0]],
               "role_report", "pastoral_care"),
        # a second grant of the teacher on student_exam: one class, two columns; read only
        # when the request names it (grant_id), the simulator's grant decides otherwise
        _grant("tst-one-class", t.principal_id, "user", "teacher", "class", t.scope_ids.split(";")[:1],
               "student_exam", "teaching", columns="exam_id;student_key"),
        # a grade leader's sensitive aggregate: its grade, the grade's homerooms, and above
        _grant("tst-grade-psych", leader.principal_id, "user", "grade_leader", "grade", leader.scope_ids.split(";"),
               "scope_psych", "management", sensitive=True),
        # the head teacher's attention list under a sensitive grant that lists teaching: its
        # psych flag is still read for pastoral care only
        _grant("tst-attention", ht.principal_id, "user", "head_teacher", "class", [ht.scope_ids.split(";")[0]],
               "students_needing_attention", "teaching;pastoral_care", sensitive=True),
        # a subject researcher's item statistics: a mart with no subject column, cut by
        # its exams' subject
        _grant("tst-items", researcher.principal_id, "user", "subject_researcher", "subject",
               researcher.scope_ids.split(";"), "item_analysis", "research"),
    ]
    folder = inbox / "governance" / "zz-serve-test"
    folder.mkdir(parents=True)
    with open(folder / "grants.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=GRANT_COLUMNS)
        writer.writeheader()
        writer.writerows(planted)
    pd.concat([pd.DataFrame([withdrawn, maybe]), pastoral]).to_csv(folder / "consents.csv", index=False)
    return World(teacher=t.principal_id, teacher_classes=t.scope_ids.split(";"), parent=parent, child=child,
                 other_student=other, bare_parent=bare_parent, bare_child=bare_child,
                 researcher=researcher.principal_id, withdrawn_student=withdrawn.student_sourcedId,
                 head_teacher=ht.principal_id, homeroom=ht.scope_ids.split(";")[0], pastoral_withdrawn=young[0],
                 extra={"district": district, "research_scope": researcher.scope_ids,
                        "grade_leader": leader.principal_id, "grade": leader.scope_ids.split(";")[0],
                        "maybe_student": maybe.student_sourcedId, "psych_high_consenting": consenting})


@dataclass
class ServeLake:
    lake: Path
    world: World


@pytest.fixture(scope="session")
def serve_lake(tmp_path_factory) -> ServeLake:
    lake = tmp_path_factory.mktemp("serve") / "lake"
    simulate(lake, scale="tiny", seed=42, start=date(2021, 10, 1), days=7, progress=lambda *_: None)
    world = _plant(lake)
    saved = os.environ.get("EDUHOUSE_LAKE")
    try:
        outcomes = run_everything(lake, instance=dg.DagsterInstance.ephemeral())
    finally:
        if saved is None:
            os.environ.pop("EDUHOUSE_LAKE", None)
        else:
            os.environ["EDUHOUSE_LAKE"] = saved
    broken = [(o.label, o.failed_steps) for o in outcomes if not o.success]
    assert outcomes and not broken, broken
    return ServeLake(lake, world)
