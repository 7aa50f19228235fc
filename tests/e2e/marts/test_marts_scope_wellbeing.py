"""scope_fitness and scope_psych against pandas over the bronze roster, fitness and psych
Parquet: every shown scope's counts, and every small scope hidden (the complementary
suppression across levels is re-checked by the dbt test assert_no_recoverable_wellbeing_cells)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.lake import LakePaths
from orchestration.settings import DEFAULT_MIN_CELL

pytestmark = pytest.mark.e2e

RISK = {"none": 1, "watch": 2, "high": 3}


def _bronze(lake, source: str, table: str) -> pd.DataFrame:
    df = duckdb.connect().execute(
        "select * from read_parquet(?, hive_partitioning = false, union_by_name = true)",
        [str(LakePaths(lake).bronze_table(source, table) / "**" / "*.parquet")]).df()
    return df.sort_values(["_landed_at", "_delivery", "_position"])


def _homerooms(lake) -> pd.DataFrame:
    """Student homeroom enrollments with the class's school, grade and the school's district."""
    enr = _bronze(lake, "roster", "enrollments").drop_duplicates("sourcedId", keep="last")
    enr = enr[(enr.role.str.lower() == "student") & (enr.status.fillna("active").str.lower() == "active")]
    classes = _bronze(lake, "roster", "classes").drop_duplicates("sourcedId", keep="last")
    classes = classes[classes.classType.str.lower() == "homeroom"]
    classes = classes.assign(grade=classes.grades.map(lambda g: sorted(x for x in g if x)[0] if g is not None and len(g) else None))
    orgs = _bronze(lake, "roster", "orgs").drop_duplicates("sourcedId", keep="last")
    district = dict(zip(orgs.sourcedId, orgs.parentSourcedId, strict=True))
    h = enr.merge(classes[["sourcedId", "schoolSourcedId", "grade"]], left_on="classSourcedId", right_on="sourcedId",
                  suffixes=("", "_c"))
    return h.assign(district=h.schoolSourcedId.map(district))[
        ["userSourcedId", "classSourcedId", "schoolSourcedId", "grade", "district", "beginDate", "endDate"]]


def _place(rows: pd.DataFrame, homerooms: pd.DataFrame, day: str) -> pd.DataFrame:
    """Each row's homeroom on its date: the enrollment active on it, else the latest begun."""
    x = rows.merge(homerooms, left_on="student_sourcedId", right_on="userSourcedId")
    d = pd.to_datetime(x[day]).dt.date
    x["active"] = (x.beginDate.isna() | (x.beginDate <= d)) & (x.endDate.isna() | (d <= x.endDate))
    x = x.sort_values(["active", "beginDate", "classSourcedId"], ascending=[False, False, True], na_position="last")
    return x.drop_duplicates(["student_sourcedId", day], keep="first")


def _scopes(x: pd.DataFrame, level: str, dims: list[str]) -> pd.DataFrame:
    parts = [
        x.assign(scope_type="class", scope_id=x.classSourcedId),
        x.assign(scope_type="grade", scope_id=x.schoolSourcedId + ":" + x.grade),
        x.assign(scope_type="school", scope_id=x.schoolSourcedId),
        x.assign(scope_type="district", scope_id=x.district),
    ]
    s = pd.concat(parts)
    counts = s.groupby([*dims, "scope_type", "scope_id", level]).student_key.nunique().rename("students").reset_index()
    counts["scope_students"] = counts.groupby([*dims, "scope_type", "scope_id"]).students.transform("sum")
    return counts


def _check(got: pd.DataFrame, want: pd.DataFrame, level: str, dims: list[str], levels: list[str]) -> None:
    keys = [*dims, "scope_type", "scope_id", level]
    # every scope has a row for each of the contract's levels, 0 where none of its
    # students has it (the rows of a hidden scope must not name its students' levels)
    scopes = want[[*dims, "scope_type", "scope_id", "scope_students"]].drop_duplicates()
    grid = scopes.merge(pd.DataFrame({level: levels}), how="cross")
    want = grid.merge(want[[*keys, "students"]], on=keys, how="left").fillna({"students": 0})
    got = got.assign(**{d: got[d].fillna("") for d in dims}).set_index(keys).sort_index()
    want = want.assign(**{d: want[d].fillna("") for d in dims}).set_index(keys).sort_index()
    assert set(got.index) == set(want.index)
    want = want.reindex(got.index)
    shown = ~got.suppressed
    assert shown.any() and (got.students[shown] == want.students[shown]).all()
    assert (got.scope_students[shown] == want.scope_students[shown]).all()
    small = want.scope_students.between(1, DEFAULT_MIN_CELL - 1)
    assert got.suppressed[small].all() and got.students[got.suppressed].isna().all()


def test_scope_psych_matches_bronze(exams_lake, student_key):
    psych = _bronze(exams_lake, "psych", "psych_screenings").drop_duplicates(
        ["student_sourcedId", "screen_date", "instrument", "scale"], keep="last")
    psych = psych[psych.risk_level.notna()]
    psych = psych[psych.screen_date == psych.groupby("student_sourcedId").screen_date.transform("max")]
    top = psych.assign(rank=psych.risk_level.str.lower().map(RISK)).groupby(
        ["student_sourcedId", "screen_date"], as_index=False)["rank"].max()
    top["risk_level"] = top["rank"].map({v: k for k, v in RISK.items()})
    placed = _place(top, _homerooms(exams_lake), "screen_date")
    placed["student_key"] = placed.student_sourcedId.map(student_key)
    got = pd.read_parquet(LakePaths(exams_lake).restricted / "scope_psych.parquet")
    _check(got, _scopes(placed, "risk_level", []), "risk_level", [], ["none", "watch", "high"])


def test_scope_fitness_matches_bronze(exams_lake, student_key):
    fit = _bronze(exams_lake, "fitness", "fitness_results").drop_duplicates(
        ["student_sourcedId", "test_date"], keep="last")
    fit = fit[fit["grade"].notna()].rename(columns={"grade": "fitness_grade"})
    sessions = _bronze(exams_lake, "roster", "academic_sessions").drop_duplicates("sourcedId", keep="last")
    terms = sessions[sessions["type"].str.lower() == "term"]
    day = pd.to_datetime(fit.test_date).dt.date
    fit["academic_session"] = None
    for sid, start, end in zip(terms.sourcedId, terms.startDate, terms.endDate, strict=True):
        fit.loc[(day >= pd.Timestamp(start).date()) & (day <= pd.Timestamp(end).date()), "academic_session"] = sid
    fit = fit.sort_values("test_date").drop_duplicates(["student_sourcedId", "academic_session"], keep="last")
    placed = _place(fit, _homerooms(exams_lake), "test_date")
    placed["student_key"] = placed.student_sourcedId.map(student_key)
    got = pd.read_parquet(LakePaths(exams_lake).restricted / "scope_fitness.parquet")
    _check(got, _scopes(placed, "fitness_grade", ["academic_session"]), "fitness_grade", ["academic_session"],
           ["优秀", "良好", "及格", "不及格"])
