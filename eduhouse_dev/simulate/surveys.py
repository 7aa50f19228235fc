"""Physical-fitness tests and psychological screenings, one CSV file per school.

Fitness follows the national standard's shape (grade 优秀 >= 90, 良好 >= 80, 及格 >= 60,
else 不及格, consistent with total_score); psych uses two instruments with cut-offs for
`watch` and `high`. One school's fitness file comes GBK-encoded (as old Windows exports
do) when dirt is on; psych files come as Windows spreadsheet exports (BOM, CRLF).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from eduhouse_dev.simulate.csvio import format_rows, write_lines
from eduhouse_dev.simulate.dirt import DirtLog, pick_dirty
from eduhouse_dev.simulate.world import World

FITNESS_DEFECTS = {"invalid_value": "invalid_value", "invalid_date": "invalid_date"}
PSYCH_DEFECTS = {"invalid_enum": "invalid_enum", "invalid_date": "invalid_date"}
# instrument, scale, top score, population mean and sd, watch cut, high cut
INSTRUMENTS = (("MHT", "total", 100, 40.0, 11.0, 56, 65), ("PHQ-9", "depression", 27, 5.5, 3.8, 10, 15))


def fitness_grade(total: np.ndarray) -> np.ndarray:
    return np.select([total >= 90, total >= 80, total >= 60], ["优秀", "良好", "及格"], "不及格").astype(object)


def _fmt(x: np.ndarray, decimals: int) -> np.ndarray:
    return np.char.mod(f"%.{decimals}f", np.round(x, decimals)).astype(object)


def _school_day(first: date, days: int, i: int, offset: int) -> date:
    return first + timedelta(days=(3 * i + offset) % max(days, 1))


def write_fitness(world: World, inbox: Path, first: date, days: int, seed: int, dirt_rate: float,
                  log: DirtLog) -> dict:
    folder = inbox / "fitness"
    folder.mkdir(parents=True, exist_ok=True)
    rows = 0
    gbk_school = 0 if dirt_rate > 0 else -1
    ensured = False
    for i, sid in enumerate(world.school_ids.tolist()):
        rng = np.random.default_rng([seed, 5, i])
        stu = np.flatnonzero((world.stu_school == i) & (rng.random(world.n_students) < 0.97))
        n = len(stu)
        day = _school_day(first, days, i, 4)
        age = (np.datetime64(day) - world.stu_birth[stu]).astype(np.int64) / 365.25
        male = world.stu_sex[stu] == "male"
        height = np.clip(75 + 6.2 * age + np.where(male & (age > 12), 6, 0) + rng.normal(0, 6, n), 100, 200)
        bmi = rng.normal(18 + 0.25 * (age - 6), 2.5, n)
        weight = np.clip(bmi * (height / 100) ** 2, 15, 130)
        fit = rng.normal(0, 1, n) + 0.1 * world.stu_ability[stu]
        vital = np.clip(400 + 220 * age * np.where(male, 1.1, 0.9) + 350 * fit, 500, 6000)
        run50 = np.clip(12.5 - 0.35 * age - 0.6 * fit + np.where(male, -0.3, 0.3), 6, 15)
        reach = np.clip(rng.normal(8, 6, n) + 2 * fit, -15, 30)
        jump = np.clip(90 + 9 * age + np.where(male, 12, 0) + 15 * fit, 60, 300)
        total = np.clip(75 + 9 * fit + rng.normal(0, 4, n), 30, 100).round(1)
        cols = {
            "student_sourcedId": world.stu_ids[stu], "test_date": np.full(n, day.isoformat(), dtype=object),
            "height_cm": _fmt(height, 1), "weight_kg": _fmt(weight, 1), "vital_capacity_ml": _fmt(vital, 0),
            "run50m_s": _fmt(run50, 1), "sit_reach_cm": _fmt(reach, 1), "standing_jump_cm": _fmt(jump, 0),
            "total_score": _fmt(total, 1), "grade": fitness_grade(total),
        }
        name = f"{day.isoformat()}-{sid}.csv"
        if i == gbk_school:
            header, lines = format_rows(cols)
            write_lines(folder / name, header, lines, encoding="gbk")
            log.add("fitness", name, name, None, "not_utf8", "quarantined", "not_utf8")
            rows += n
            continue
        picks = pick_dirty(rng, n, dirt_rate, list(FITNESS_DEFECTS), not ensured and n >= 10)
        ensured = ensured or bool(picks)
        for row, k in picks.items():
            if k == "invalid_value":
                cols["height_cm"][row] = "-151.5"  # a sign slipped in: no height; 3000 would land and warn
            else:
                cols["test_date"][row] = f"{day.year}-02-30"
            log.add("fitness", name, name, row + 2, k, "quarantined", FITNESS_DEFECTS[k])
        header, lines = format_rows(cols)
        write_lines(folder / name, header, lines)
        rows += n
    return {"files": len(world.school_ids), "rows": rows, "dirty_by_kind": log.counts("fitness")}


def write_psych(world: World, inbox: Path, first: date, days: int, seed: int, dirt_rate: float,
                log: DirtLog) -> dict:
    """Screenings of grades 4 to 12, two instruments per student."""
    folder = inbox / "psych"
    folder.mkdir(parents=True, exist_ok=True)
    rows, ensured = 0, False
    risk_counts = {"none": 0, "watch": 0, "high": 0}
    for i, sid in enumerate(world.school_ids.tolist()):
        rng = np.random.default_rng([seed, 6, i])
        stu = np.flatnonzero((world.stu_school == i) & (world.stu_grade >= 4))
        if len(stu) == 0:
            continue
        day = _school_day(first, days, i, 9)
        distress = rng.normal(0, 1, len(stu)) - 0.15 * world.stu_ability[stu]
        parts = {k: [] for k in ("student_sourcedId", "screen_date", "instrument", "scale", "score",
                                 "risk_level")}
        for instrument, scale, top, mean, sd, watch, high in INSTRUMENTS:
            score = np.clip(np.round(mean + sd * (distress + rng.normal(0, 0.5, len(stu)))), 0, top)
            risk = np.select([score >= high, score >= watch], ["high", "watch"], "none").astype(object)
            parts["student_sourcedId"].append(world.stu_ids[stu])
            parts["screen_date"].append(np.full(len(stu), day.isoformat(), dtype=object))
            parts["instrument"].append(np.full(len(stu), instrument, dtype=object))
            parts["scale"].append(np.full(len(stu), scale, dtype=object))
            parts["score"].append(score.astype(np.int64).astype(str).astype(object))
            parts["risk_level"].append(risk)
        cols = {k: np.concatenate(v) for k, v in parts.items()}
        for r in ("none", "watch", "high"):
            risk_counts[r] += int((cols["risk_level"] == r).sum())
        n = len(cols["score"])
        name = f"{day.isoformat()}-{sid}.csv"
        picks = pick_dirty(rng, n, dirt_rate, list(PSYCH_DEFECTS), not ensured and n >= 10)
        ensured = ensured or bool(picks)
        for row, k in picks.items():
            if k == "invalid_enum":
                cols["risk_level"][row] = "medium"
            else:
                cols["screen_date"][row] = f"{day.year}-02-30"
            log.add("psych", name, name, row + 2, k, "quarantined", PSYCH_DEFECTS[k])
        header, lines = format_rows(cols)
        write_lines(folder / name, header, lines, windows=True)
        rows += n
    return {"rows": rows, "risk_levels": risk_counts, "dirty_by_kind": log.counts("psych")}
