"""A tiny simulated district, landed and built by dbt, for the exam marts' end-to-end tests.

Session-scoped (simulate -> land -> dbt run is the slow part). The reference results are
computed independently with pandas from the bronze exam Parquet (never from the marts),
following docs/domain.md: present students only, population sd, competition rank, DuckDB
percent_rank. A missing simulator, lander or dbt fails the session: nothing here skips.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.lake import LakePaths
from orchestration.privacy.pseudonym import load_key, pseudonym
from orchestration.settings import DBT_PROJECT_DIR

TOP_N = 10  # small enough that the tiny district's cohorts have ties and misses at the boundary
EXAM_MARTS = ("exam_summary", "student_exam", "top_students", "top_students_by_subject", "quality_map", "item_analysis",
              "student_knowledge", "student_ability", "class_exam", "district_knowledge")
# The restricted marts built beside them: student_identity (the relationships tests of
# student_key point at it), class_membership, students_needing_attention.
RESTRICTED_MARTS = ("student_identity", "class_membership", "students_needing_attention", "scope_fitness", "scope_psych")
# What the tested marts read (xAPI and psych: the attention signals; fitness and psych: the
# whole-person aggregates).
SOURCES_IN_ORDER = ("roster", "catalog", "exams", "xapi", "fitness", "psych")


def _import(module: str, what: str):
    return getattr(importlib.import_module(module), what)


def _dbt(lake: Path, target: Path, *args: str) -> subprocess.CompletedProcess:
    """Run dbt on the shared project with a private target/log folder (the project's own
    target/manifest.json belongs to Dagster) and this lake."""
    exe = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "EDUHOUSE_LAKE": str(lake), "EDUHOUSE_TOP_N": str(TOP_N),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("EDUHOUSE_PSEUDONYM_SECRET", None)  # the lake's own key file, made on first use
    return subprocess.run(
        [str(exe) if exe.exists() else "dbt", *args, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target / "target"),
         "--log-path", str(target / "logs")],
        env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=900,
    )


@pytest.fixture(scope="session")
def exams_dbt_dir(tmp_path_factory) -> Path:
    """dbt's private target/log folder, shared by the run and the test (partial parse)."""
    return tmp_path_factory.mktemp("exams_dbt")


@pytest.fixture(scope="session")
def exams_lake(tmp_path_factory, exams_dbt_dir) -> Path:
    """simulate (tiny) -> land -> dbt run of the exam marts -> published Parquet."""
    simulate = _import("eduhouse_dev.simulate.run", "simulate")
    landers = _import("orchestration.landing.sources", "LANDERS")
    lake = tmp_path_factory.mktemp("exams_lake")
    simulate(lake, scale="tiny", seed=11, start=date(2021, 10, 1), days=3, dirt_rate=0.01,
             progress=lambda _m: None, governance=False)
    for source in SOURCES_IN_ORDER:
        if source in landers:
            landers[source](lake)
    paths = LakePaths(lake)
    for folder in (paths.warehouse.parent, paths.marts_staging, paths.restricted / ".staging"):
        folder.mkdir(parents=True, exist_ok=True)
    work = exams_dbt_dir
    run = _dbt(lake, work, "run", "--select", *(f"+{m}" for m in (*EXAM_MARTS, *RESTRICTED_MARTS)))
    if run.returncode != 0:
        pytest.fail(f"dbt run of the exam marts failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}")
    for name in EXAM_MARTS:  # what the Dagster asset does after dbt: rename into place
        staged = paths.marts_staging / f"{name}.parquet"
        if staged.exists():
            os.replace(staged, paths.marts / f"{name}.parquet")
    for name in RESTRICTED_MARTS:
        staged = paths.restricted / ".staging" / f"{name}.parquet"
        if staged.exists():
            os.replace(staged, paths.restricted / f"{name}.parquet")
    return lake


@pytest.fixture(scope="session")
def dbt_command():
    """Run dbt on the shared project for a lake, with a private target folder."""
    return _dbt


@pytest.fixture(scope="session")
def load_mart(exams_lake: Path):
    """A reader of the published mart Parquet of the built lake."""
    def _load(name: str) -> pd.DataFrame:
        path = LakePaths(exams_lake).marts / f"{name}.parquet"
        assert path.exists(), f"{name}.parquet was not exported to {path.parent}"
        return pd.read_parquet(path)
    return _load


@pytest.fixture(scope="session")
def top_n() -> int:
    return TOP_N


@pytest.fixture(scope="session")
def student_key(exams_lake):
    """The pseudonym as docs/privacy.md defines it (HMAC-SHA256 under the lake's key file),
    recomputed with Python's hmac, not with dbt's SQL."""
    key = load_key(exams_lake, create=False)
    return lambda sourced_id: pseudonym(key, sourced_id)


def _latest(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Keep the latest delivery of each key (by _landed_at, then _delivery, _position)."""
    df = df.sort_values(["_landed_at", "_delivery", "_position"])
    return df.drop_duplicates(key, keep="last")


def _bronze(lake: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(LakePaths(lake).bronze_table("exams", table))


@pytest.fixture(scope="session")
def reference(exams_lake: Path, student_key) -> dict[str, pd.DataFrame]:
    """Exam results recomputed from bronze with pandas, independently of every dbt model."""
    exams = _latest(_bronze(exams_lake, "exams"), ["exam_id"])
    exams = exams.assign(subject=exams["subject"].str.strip().str.lower())
    items = _latest(_bronze(exams_lake, "exam_items"), ["exam_id", "item_id"])
    scores = _latest(_bronze(exams_lake, "exam_scores"), ["exam_id", "student_sourcedId", "item_id"])
    scores = scores.assign(status=scores["status"].str.strip().str.lower())

    present = scores[scores["status"] == "present"]
    totals = present.groupby(["exam_id", "student_sourcedId"], as_index=False)["score"].sum()
    status = scores.groupby(["exam_id", "student_sourcedId"])["status"].agg(
        lambda s: "present" if (s == "present").any() else ("exempt" if (s == "exempt").any() else "absent"))
    res = totals.merge(exams[["exam_id", "subject", "grade", "academic_session", "exam_date", "org_sourcedId"]],
                       on="exam_id")
    g = res.groupby("exam_id")["score"]
    res["mean"] = g.transform("mean")
    res["sd"] = g.transform(lambda s: s.std(ddof=0))
    res["n"] = g.transform("size")
    all_equal = g.transform(lambda s: s.nunique() == 1)
    res["z"] = np.where(all_equal, 0.0, (res["score"] - res["mean"]) / res["sd"].where(~all_equal, 1.0))
    res["rank"] = g.rank(method="min", ascending=False).astype(int)
    below = g.rank(method="min", ascending=True) - 1
    res["pct"] = np.where(res["n"] > 1, below / (res["n"] - 1).clip(lower=1), 0.0)
    res["student_key"] = res["student_sourcedId"].map(student_key)
    max_score = items.groupby("exam_id")["max_score"].sum().rename("max_score")
    res = res.merge(max_score, on="exam_id", how="left")

    users = pd.read_parquet(LakePaths(exams_lake).bronze_table("roster", "users"))
    users = _latest(users, ["sourcedId"])
    orgs = pd.read_parquet(LakePaths(exams_lake).bronze_table("roster", "orgs"))
    schools = set(orgs.loc[orgs["type"].str.lower() == "school", "sourcedId"])
    school_of = {u: next((o for o in orgs_ if o in schools), None)
                 for u, orgs_ in zip(users["sourcedId"], users["orgSourcedIds"], strict=True)}
    res["school"] = res["student_sourcedId"].map(school_of)
    return {"exams": exams, "items": items, "scores": scores, "status": status.reset_index(), "results": res}
