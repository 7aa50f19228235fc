"""students_needing_attention against pandas over the bronze exams, xAPI and psych Parquet
(z-scores from the conftest's independent recomputation, never from a mart)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from orchestration.lake import LakePaths
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
# the platform's profile (the contract's table) but the voiding: what makes a person active
PROFILE = {"https://w3id.org/xapi/adl/verbs/logged-in", "https://w3id.org/xapi/adl/verbs/logged-out",
           "http://id.tincanapi.com/verb/viewed", "http://activitystrea.ms/schema/1.0/assign",
           "http://adlnet.gov/expapi/verbs/answered", "http://adlnet.gov/expapi/verbs/completed",
           "http://activitystrea.ms/schema/1.0/submit", "http://adlnet.gov/expapi/verbs/registered",
           "http://adlnet.gov/expapi/verbs/attended"}


def _restricted(lake, name: str) -> pd.DataFrame:
    return pd.read_parquet(LakePaths(lake).restricted / f"{name}.parquet")


def _bronze(lake, source: str, table: str) -> pd.DataFrame:
    """A bronze table's files (a partition folder's name is not read as a column)."""
    return duckdb.connect().execute(
        "select * from read_parquet(?, hive_partitioning = false, union_by_name = true)",
        [str(LakePaths(lake).bronze_table(source, table) / "**" / "*.parquet")]).df()


def _latest(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return df.sort_values(["_landed_at", "_delivery", "_position"]).drop_duplicates(key, keep="last")


def test_attention_signals_match_bronze_recomputation(exams_lake, reference, student_key):
    rules = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["attention"]
    mart = _restricted(exams_lake, "students_needing_attention")
    assert len(mart) and mart.needs_attention.notna().all()

    # members: the class rosters as published, plus each student's homeroom
    ident = _restricted(exams_lake, "student_identity")
    members = pd.concat([
        _restricted(exams_lake, "class_membership")[["class_sourced_id", "student_key"]],
        ident[["homeroom_class_sourced_id", "student_key"]].dropna().rename(
            columns={"homeroom_class_sourced_id": "class_sourced_id"}),
    ]).drop_duplicates()
    assert (set(zip(mart.class_sourced_id, mart.student_key, strict=True))
            == set(zip(members.class_sourced_id, members.student_key, strict=True)))

    # the classes' latest exam per subject: exams a member sat, of the class's subject for a
    # teaching class, the latest by date then id
    res = reference["results"]
    classes = _latest(_bronze(exams_lake, "roster", "classes"), ["sourcedId"])
    courses = _latest(_bronze(exams_lake, "roster", "courses"), ["sourcedId"])
    subject_of_course = {c: (list(s)[0].lower() if s is not None and len(s) else None)
                         for c, s in zip(courses.sourcedId, courses.subjects, strict=True)}
    subject_of_class = dict(zip(classes.sourcedId, classes.courseSourcedId.map(subject_of_course), strict=True))
    homeroom = set(classes.loc[classes.classType.str.lower() == "homeroom", "sourcedId"])
    sat = members.merge(res[["student_key", "exam_id", "subject", "exam_date"]], on="student_key")
    sat = sat[sat.class_sourced_id.isin(homeroom) | (sat.subject == sat.class_sourced_id.map(subject_of_class))]
    latest = (sat.drop_duplicates(["class_sourced_id", "exam_id"]).sort_values(["exam_date", "exam_id"])
              .groupby(["class_sourced_id", "subject"]).tail(1)[["class_sourced_id", "exam_id"]])
    z = res.sort_values(["student_key", "subject", "exam_date", "exam_id"])
    z = z.assign(change=z.z - z.groupby(["student_key", "subject"]).z.shift(1))[["student_key", "exam_id", "z", "change"]]
    # absent: the sheet marks the student absent (no row present, none exempt) in the
    # exam's latest delivery; exempt, or not on the sheet, is not absence
    scores = _bronze(exams_lake, "exams", "exam_scores")
    scores = scores[scores._delivery == scores.exam_id.map(
        scores.sort_values("_landed_at").groupby("exam_id")._delivery.last())]
    status = scores.assign(st=scores.status.str.lower()).groupby(["exam_id", "student_sourcedId"]).st.agg(set)
    absent = status[status.map(lambda x: "present" not in x and "exempt" not in x)].reset_index()
    absent = absent.assign(student_key=absent.student_sourcedId.map(student_key), absent=1)[
        ["student_key", "exam_id", "absent"]]
    m = (members.merge(latest, on="class_sourced_id", how="left").merge(z, on=["student_key", "exam_id"], how="left")
         .merge(absent, on=["student_key", "exam_id"], how="left"))
    expect = m.groupby(["class_sourced_id", "student_key"]).agg(
        latest_exams=("exam_id", "count"), exams_absent=("absent", "count"), latest_mean_z=("z", "mean"),
        min_z_change=("change", "min"))

    # activity: a student's last local day with a statement of the platform's profile that
    # was not voided (a voiding statement and a verb outside the profile are not use)
    users = _latest(_bronze(exams_lake, "roster", "users"), ["sourcedId"])
    students = set(users.loc[users.role.str.lower() == "student", "sourcedId"])
    st = _bronze(exams_lake, "xapi", "statements").drop_duplicates("statement_id")
    st = st[st.actor_name.isin(students)]
    voided = set(st.loc[(st.verb_id == VOIDED) & (st.object_type == "StatementRef"), "object_id"].str.lower())
    profile = st.verb_id.isin(PROFILE) | st.verb_id.str.endswith("/verbs/evaluated")
    live = st[~st.statement_id.str.lower().isin(voided) & profile]
    first_day, last_day = pd.to_datetime(st.local_date).min(), pd.to_datetime(st.local_date).max()
    last_active = pd.to_datetime(live.groupby("actor_name").local_date.max())
    last_active.index = last_active.index.map(student_key)
    # psych: the latest screening of each student, at risk when any scale is at one of the levels
    psych = _bronze(exams_lake, "psych", "psych_screenings")
    psych = psych.assign(key=psych.student_sourcedId.map(student_key), day=pd.to_datetime(psych.screen_date))
    psych = psych[psych.day == psych.groupby("key").day.transform("max")]
    at_risk = psych.groupby("key").risk_level.agg(lambda r: bool(r.str.lower().isin(rules["psych_risk_levels"]).any()))

    got = mart.set_index(["class_sourced_id", "student_key"]).sort_index()
    expect = expect.reindex(got.index)
    assert (got.latest_exams == expect.latest_exams).all()
    assert (got.exams_absent == expect.exams_absent).all()
    for col in ("latest_mean_z", "min_z_change"):
        assert np.allclose(got[col].to_numpy(float), expect[col].to_numpy(float), atol=1e-9, equal_nan=True), col
    keys = got.index.get_level_values("student_key")
    last = pd.Series(keys.map(last_active), index=got.index)
    days = (last_day - last.fillna(first_day - pd.Timedelta(days=1))).dt.days
    assert (got.days_without_activity == days).all()
    assert (got.inactive == (last.notna() & (days >= rules["inactive_days"]))).all()
    assert (got.low_z == expect.latest_mean_z.le(rules["low_z"])).all()
    assert (got.z_fall == expect.min_z_change.le(-rules["z_fall"])).all()
    assert (got.needs_attention == (got.exams_absent.gt(0) | got.low_z | got.z_fall | got.inactive)).all()
    assert (got.psych_risk_high == pd.Series(keys.map(at_risk), index=got.index).fillna(False).astype(bool)).all()
    # the tiny district gives every signal something to say
    assert got.exams_absent.gt(0).any() and got.latest_mean_z.notna().any() and got.psych_risk_high.any()
