"""A hand-made miniature lake of marts, so reports can be built, tested and shown
without running the pipeline (and before the marts exist).

Two districts of one city; four schools; one school small enough (6 students) that its
aggregates must be suppressed. Columns follow the mart contracts in
``dbt_project/models/marts/**/*.yml``; exam statistics follow the exact rules of docs/domain.md (Exam statistics).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from eduhouse_dev.sample_lake.activity import build_activity_marts
from eduhouse_dev.sample_lake.attention import build_attention_mart
from eduhouse_dev.sample_lake.cells import write
from eduhouse_dev.sample_lake.exams import build_exam_marts
from eduhouse_dev.sample_lake.people import build_people
from eduhouse_dev.sample_lake.whole_person import build_whole_person_marts
from eduhouse_dev.sample_lake.world import CITY, DISTRICTS, SESSION, copies_of
from orchestration.lake import LakePaths


def _pastoral_consents(ident: pd.DataFrame) -> pd.DataFrame:
    """A guardian's pastoral-care consent to psych screening for every student, given
    before the term (as the simulator gives them): an under-14's psych flag shows on the
    head teacher's page only with one (governance/consent.py)."""
    given = pd.Timestamp("2021-08-01T00:00:00+08:00")
    n = len(ident)
    return pd.DataFrame({
        "consent_id": [f"cns-{i:05d}" for i in range(1, n + 1)], "student_key": ident.student_key.to_numpy(),
        "student_sourced_id": ident.student_sourced_id.to_numpy(), "purpose": "pastoral_care",
        "data_category": "sensitive_psych", "status": "given", "given_at": given,
        "withdrawn_at": pd.Series([pd.NaT] * n, dtype="datetime64[ns, Asia/Shanghai]"), "covers": True, "covers_from": given})


def build_sample_lake(lake: str | Path, seed: int = 7, copies: int = 1) -> Path:
    """Write the sample marts (public and restricted) under ``lake``."""
    lake = Path(lake)
    schools = copies_of(copies)
    rng = np.random.default_rng(seed)
    people = build_people(schools)
    ident, membership = people["ident"], people["membership"]
    exams = build_exam_marts(schools, ident, membership, rng)
    activity = build_activity_marts(schools, ident, membership, people["classes"])
    whole_person = build_whole_person_marts(ident)
    sessions = pd.DataFrame({"academic_session": [SESSION], "title": ["2021-2022学年第一学期"],
                             "start_date": [date(2021, 9, 1)]})
    public = dict(academic_sessions=sessions, **exams, **activity)
    hier = pd.DataFrame([(s_, v[0], v[1], DISTRICTS[v[1]], CITY, "示范市") for s_, v in schools.items()],
                        columns=["school_sourced_id", "school_name", "district_sourced_id", "district_name", "city_sourced_id", "city_name"])
    restricted = dict(student_identity=ident, staff_scope=people["staff"], org_hierarchy=hier,
                      access_consents=_pastoral_consents(ident),
                      class_membership=membership[["class_sourced_id", "student_key", "school_sourced_id"]],
                      students_needing_attention=build_attention_mart(
                          ident, membership, exams["student_exam"], exams["class_exam"], whole_person["student_psych"]),
                      **whole_person)
    for name, frame in public.items():
        write(frame, LakePaths(lake).marts / f"{name}.parquet")
    for name, frame in restricted.items():
        write(frame, LakePaths(lake).restricted / f"{name}.parquet")
    return lake
