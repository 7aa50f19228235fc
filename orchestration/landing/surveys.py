"""Physical-fitness and psychological screening files (one CSV a delivery).

Minors' health data: values outside plausible ranges are quarantined rather than
guessed at, and every student must be on the landed roster.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.landing.core import LandingSummary, land_source
from orchestration.landing.csv_reader import Col, TableSpec, single_file_handler
from orchestration.landing.references import load_roster_users
from orchestration.landing.rules import Rule, show
from orchestration.settings import DEFAULT_TIMEZONE

FITNESS_GRADES = ("优秀", "良好", "及格", "不及格")


def _student_ref(t: dict[str, str]) -> list[Rule]:
    return [Rule(f"{t['student_sourcedId']} NOT IN (SELECT sourcedId FROM _roster_users)",
                 "unknown_reference",
                 f"'student ' || {show(t['student_sourcedId'])} || ' is not a roster user'")]


FITNESS = TableSpec("fitness.csv", "fitness_results", (
    Col("student_sourcedId", required=True, header=True),
    Col("test_date", "date", required=True, header=True),
    Col("height_cm", "double", lo=80, hi=230), Col("weight_kg", "double", lo=15, hi=200),
    Col("vital_capacity_ml", "double", lo=200, hi=10000), Col("run50m_s", "double", lo=5, hi=20),
    Col("sit_reach_cm", "double", lo=-40, hi=50), Col("standing_jump_cm", "double", lo=20, hi=400),
    Col("total_score", "double", lo=0, hi=120),
    Col("grade", "enum", enum=FITNESS_GRADES)),
    key=("student_sourcedId", "test_date"), rules=_student_ref)
PSYCH = TableSpec("psych.csv", "psych_screenings", (
    Col("student_sourcedId", required=True, header=True),
    Col("screen_date", "date", required=True, header=True),
    Col("instrument", required=True, header=True), Col("scale"), Col("score", "double"),
    Col("risk_level", "enum", required=True, header=True, enum=("none", "watch", "high"))),
    key=("student_sourcedId", "screen_date", "instrument", "scale"), rules=_student_ref)


def land_fitness(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, "fitness", timezone, single_file_handler(FITNESS), **landing, prepare=load_roster_users)


def land_psych(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, "psych", timezone, single_file_handler(PSYCH), **landing, prepare=load_roster_users)
