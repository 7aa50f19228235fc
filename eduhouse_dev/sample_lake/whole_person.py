"""The sample's whole-person data (restricted): fitness tests and psych screenings per
student, and their distributions over homerooms, grades, schools and districts, shaped
and suppressed as dbt's scope_fitness / scope_psych (the marts' own suppression macro)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from eduhouse_dev.sample_lake.cells import hidden, suppression_flags
from eduhouse_dev.sample_lake.world import SESSION

LEVEL_ORDER = ("class", "grade", "school", "district")


def _scope_distribution(latest: pd.DataFrame, level: str, ident: pd.DataFrame) -> pd.DataFrame:
    """One row per scope (homeroom, '<school>:<grade>', school, district) and level."""
    facts = ident.set_index("student_key")[["homeroom_class_sourced_id", "school_sourced_id", "grade", "district_sourced_id"]]
    x = latest.join(facts, on="student_key")
    grade_id = x.school_sourced_id + ":" + x.grade
    parts = [
        x.assign(scope_type="class", scope_id=x.homeroom_class_sourced_id, parent_scope_id=grade_id,
                 line_id="grade:" + grade_id, total_of=None),
        x.assign(scope_type="grade", scope_id=grade_id, parent_scope_id=x.school_sourced_id,
                 line_id="school:" + x.school_sourced_id, total_of="grade:" + grade_id),
        x.assign(scope_type="school", scope_id=x.school_sourced_id, parent_scope_id=x.district_sourced_id,
                 line_id="district:" + x.district_sourced_id, total_of="school:" + x.school_sourced_id),
        x.assign(scope_type="district", scope_id=x.district_sourced_id, parent_scope_id=None, school_sourced_id=None,
                 line_id=None, total_of="district:" + x.district_sourced_id),
    ]
    scoped = pd.concat(parts, ignore_index=True)
    keys = ["scope_type", "scope_id"]
    out = scoped.groupby([*keys, level], as_index=False, dropna=False).agg(
        parent_scope_id=("parent_scope_id", "first"), school_sourced_id=("school_sourced_id", "first"),
        district_sourced_id=("district_sourced_id", "first"), students=("student_key", "nunique"),
        line_id=("line_id", "first"), total_of=("total_of", "first"))
    out["scope_students"] = out.groupby(keys).students.transform("sum")
    cells = out.drop_duplicates(keys).assign(cell_id=lambda c: c.scope_type + ":" + c.scope_id)[
        ["cell_id", "line_id", "total_of", "scope_students"]].rename(columns={"scope_students": "size"})
    flags = suppression_flags(cells)
    out["suppressed"] = (out.scope_type + ":" + out.scope_id).map(flags).astype(bool)
    out["share"] = out.students / out.scope_students
    out = hidden(out, ["students", "scope_students", "share"])
    order = out.scope_type.map({k: i for i, k in enumerate(LEVEL_ORDER)})
    return out.assign(_o=order).sort_values(["_o", "scope_id", level]).drop(columns=["_o", "line_id", "total_of"])


def build_whole_person_marts(ident: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """student_fitness, student_psych, scope_fitness, scope_psych, class_fitness and class_psych."""
    fitness = ident[["student_key"]].assign(test_date=date(2021, 10, 20))
    fitness["total_score"] = 60 + (np.arange(len(fitness)) * 13) % 40
    fitness["fitness_grade"] = np.select([fitness.total_score >= 90, fitness.total_score >= 80, fitness.total_score >= 60],
                                         ["优秀", "良好", "及格"], "不及格")
    psych = ident[["student_key"]].assign(screen_date=date(2021, 10, 25), instrument="MHT", scale="total", score=50.0, risk_level="none")
    # one screened student at high risk (k0003, in sch-1's first homeroom), for the pastoral signals
    psych.loc[psych.student_key.eq("k0003"), ["score", "risk_level"]] = [72.0, "high"]
    scope_fitness = _scope_distribution(fitness[["student_key", "fitness_grade"]], "fitness_grade", ident).assign(
        academic_session=SESSION)
    scope_psych = _scope_distribution(psych[["student_key", "risk_level"]], "risk_level", ident)
    homerooms = {"scope_id": "homeroom_class_sourced_id", "scope_students": "class_students"}
    class_fitness = scope_fitness[scope_fitness.scope_type == "class"].rename(columns=homerooms)[
        ["homeroom_class_sourced_id", "school_sourced_id", "academic_session", "fitness_grade", "students",
         "class_students", "share", "suppressed"]]
    class_psych = scope_psych[scope_psych.scope_type == "class"].rename(columns=homerooms)[
        ["homeroom_class_sourced_id", "school_sourced_id", "risk_level", "students", "class_students", "suppressed"]]
    return dict(student_fitness=fitness, student_psych=psych, scope_fitness=scope_fitness, scope_psych=scope_psych,
                class_fitness=class_fitness, class_psych=class_psych)
