"""The sample's whole-person data (restricted): fitness tests and psych screenings per
student, and their per-homeroom aggregates, hidden whole below the small-cell size."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from eduhouse_dev.sample_lake.cells import hidden
from eduhouse_dev.sample_lake.world import SESSION
from orchestration.settings import DEFAULT_MIN_CELL


def build_whole_person_marts(ident: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """student_fitness, student_psych, class_fitness and class_psych."""
    fitness = ident[["student_key"]].assign(test_date=date(2021, 10, 20))
    fitness["total_score"] = 60 + (np.arange(len(fitness)) * 13) % 40
    fitness["fitness_grade"] = np.select([fitness.total_score >= 90, fitness.total_score >= 80, fitness.total_score >= 60],
                                         ["优秀", "良好", "及格"], "不及格")
    psych = ident[["student_key"]].assign(screen_date=date(2021, 10, 25), instrument="MHT", scale="total", score=50.0, risk_level="none")
    # one screened student at high risk (k0003, in sch-1's first homeroom), for the pastoral signals
    psych.loc[psych.student_key.eq("k0003"), ["score", "risk_level"]] = [72.0, "high"]
    homeroom = ident.set_index("student_key").homeroom_class_sourced_id
    fit = fitness.assign(homeroom_class_sourced_id=fitness.student_key.map(homeroom))
    class_fitness = fit.groupby(["homeroom_class_sourced_id", "fitness_grade"], as_index=False).agg(
        students=("student_key", "nunique"))
    class_fitness["class_students"] = class_fitness.groupby("homeroom_class_sourced_id").students.transform("sum")
    class_fitness["share"] = class_fitness.students / class_fitness.class_students
    class_fitness["academic_session"] = SESSION
    class_fitness["suppressed"] = class_fitness.class_students < DEFAULT_MIN_CELL
    class_fitness = hidden(class_fitness, ["students", "class_students", "share"])
    ps = psych.assign(homeroom_class_sourced_id=psych.student_key.map(homeroom))
    class_psych = ps.groupby(["homeroom_class_sourced_id", "risk_level"], as_index=False).agg(students=("student_key", "nunique"))
    class_psych["class_students"] = class_psych.groupby("homeroom_class_sourced_id").students.transform("sum")
    class_psych["suppressed"] = class_psych.class_students < DEFAULT_MIN_CELL
    class_psych = hidden(class_psych, ["students", "class_students"])
    return dict(student_fitness=fitness, student_psych=psych, class_fitness=class_fitness, class_psych=class_psych)
