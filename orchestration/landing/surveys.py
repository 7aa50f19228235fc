"""Physical-fitness and psychological screening files (one CSV a delivery).

Minors' health data. Only what cannot be a measurement is quarantined: a negative
height, weight, lung capacity, run time, jump or score (sit and reach can be negative).
A value that is possible but implausible (a 3 m height, a 4.9 s 50 m run) lands and the
bronze suite's plausibility ranges warn about it: a bound tuned to what usually comes
would reject the unusual student. Every student must be on the landed roster.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.landing.core import LandingSummary, land_source
from orchestration.landing.csv_reader import Col, TableSpec, single_file_handler
from orchestration.landing.references import load_roster_users, student_reference
from orchestration.settings import DEFAULT_TIMEZONE

FITNESS_GRADES = ("优秀", "良好", "及格", "不及格")


FITNESS = TableSpec("fitness.csv", "fitness_results", (
    Col("student_sourcedId", required=True, header=True),
    Col("test_date", "date", required=True, header=True),
    Col("height_cm", "double", lo=0), Col("weight_kg", "double", lo=0),
    Col("vital_capacity_ml", "double", lo=0), Col("run50m_s", "double", lo=0),
    Col("sit_reach_cm", "double"), Col("standing_jump_cm", "double", lo=0),
    Col("total_score", "double", lo=0),
    Col("grade", "enum", enum=FITNESS_GRADES)),
    key=("student_sourcedId", "test_date"), rules=student_reference)
PSYCH = TableSpec("psych.csv", "psych_screenings", (
    Col("student_sourcedId", required=True, header=True),
    Col("screen_date", "date", required=True, header=True),
    Col("instrument", required=True, header=True), Col("scale"), Col("score", "double"),
    Col("risk_level", "enum", required=True, header=True, enum=("none", "watch", "high"))),
    key=("student_sourcedId", "screen_date", "instrument", "scale"), rules=student_reference)


def land_fitness(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, "fitness", timezone, single_file_handler(FITNESS), **landing, prepare=load_roster_users)


def land_psych(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, "psych", timezone, single_file_handler(PSYCH), **landing, prepare=load_roster_users)
