"""District exams: blueprints (items -> knowledge points, ability, max score) and item scores.

Scores come from a partial-credit logistic model of each student's latent ability (plus a
subject offset), so z-scores, ranks and mastery carry the world's signal. Grade 12 sits
four exams in the autumn term (entrance + three mocks) for the "top in all 4" cohort.
One exam per delivery: `inbox/exams/<date>-<exam_id>/{exam.csv,items.csv,scores.csv}`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from eduhouse_dev.simulate.catalog import Catalog
from eduhouse_dev.simulate.csvio import write_csv
from eduhouse_dev.simulate.dirt import DirtLog, pick_dirty
from eduhouse_dev.simulate.world import (
    GRADE_CN,
    SCALES,
    SEGMENT_GRADES,
    SEGMENT_SUBJECTS,
    SUBJECT_CN,
    SUBJECTS,
    World,
)

ABILITIES = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3")
ABILITY_WEIGHTS = np.array([0.16, 0.14, 0.12, 0.14, 0.12, 0.1, 0.08, 0.08, 0.06])
ABILITY_DIFFICULTY = np.array([-1.0, -0.7, -0.4, -0.2, 0.1, 0.3, 0.6, 0.9, 1.2])
KIND_CN = {"entrance": "入学考", "mock": "模拟考", "term": "学期总测", "unit": "单元测"}
SCORE_DEFECTS = {"invalid_value": "invalid_value", "invalid_enum": "invalid_enum",
                 "unknown_reference": "unknown_reference"}


@dataclass(frozen=True)
class ExamSpec:
    exam_id: str
    name: str
    kind: str
    session: str
    grade: int
    subject: str
    day: date
    district: int
    sitting: str  # the exams of one grade taken together (one 统考 across subjects)

    @property
    def delivery(self) -> str:
        return f"{self.day.isoformat()}-{self.exam_id}"


def _school_day(day: date, first: date) -> date:
    """The Friday before a weekend day (or the Monday after, if that Friday is before `first`)."""
    if day.weekday() < 5:
        return day
    friday = day - timedelta(days=day.weekday() - 4)
    return friday if friday >= first else day + timedelta(days=7 - day.weekday())


def exam_plan(world: World, days: list[date]) -> list[ExamSpec]:
    """Which exams each district sets for each grade x subject, and when (school days in the window)."""
    s = world.sessions
    first, last = days[0], days[-1]
    entrance = _school_day(s.year_start + timedelta(days=2), s.year_start)
    span = max((last - first).days, 3)
    mocks = [_school_day(first + timedelta(days=round(span * f)), first) for f in (0.2, 0.55, 0.9)]
    unit_day = _school_day(first + timedelta(days=round(span * 0.35)), first)
    term_day = _school_day(min(last, s.autumn_end), first)
    subjects = SCALES[world.scale].exam_subjects
    plan = []
    for d, _ in enumerate(world.district_ids):
        segs = {str(x) for x in world.school_segment[world.school_district == d]}
        for seg in ("primary", "junior", "senior"):
            if seg not in segs:
                continue
            for g in SEGMENT_GRADES[seg]:
                if g == 12:
                    sittings = [("entrance", 1, entrance)] + [("mock", i + 1, m) for i, m in enumerate(mocks)]
                elif g in (7, 10):
                    sittings = [("entrance", 1, entrance), ("term", 1, term_day)]
                else:
                    sittings = [("unit", 1, unit_day), ("term", 1, term_day)]
                for subj in SEGMENT_SUBJECTS[seg]:
                    if subjects is not None and subj not in subjects:
                        continue
                    for kind, k, day in sittings:
                        suffix = kind if kind in ("entrance", "term", "unit") else f"{kind}{k}"
                        exam_id = f"ex-{d + 1:02d}-{s.school_year}a-{g:02d}-{subj}-{suffix}"
                        title = KIND_CN[kind] + (f"{k}" if kind == "mock" else "")
                        name = (f"{s.school_year}-{s.school_year + 1}学年第一学期"
                                f"{GRADE_CN[g]}{SUBJECT_CN[subj]}{title}")
                        sitting = f"st-{d + 1:02d}-{s.school_year}a-{g:02d}-{suffix}"
                        plan.append(ExamSpec(exam_id, name, kind, s.autumn_id, g, subj, day, d, sitting))
    return plan


def season_factors(plan: list[ExamSpec], days: list[date]) -> dict[date, np.ndarray]:
    """Per day, an activity multiplier per grade: students practise in the week before an exam."""
    out = {}
    for day in days:
        f = np.ones(13)
        for e in plan:
            if 0 < (e.day - day).days <= 7:
                f[e.grade] = 1.35
        out[day] = f
    return out


def write_exams(world: World, catalog: Catalog, plan: list[ExamSpec], inbox: Path, seed: int,
                dirt_rate: float, log: DirtLog, progress=print) -> dict:
    folder = inbox / "exams"
    rows_total = 0
    ensured = False
    stats = {"exams": 0, "score_rows": 0, "absent": 0, "exempt": 0}
    for e_no, e in enumerate(plan):
        rng = np.random.default_rng([seed, 4, e_no])
        out = folder / e.delivery
        leaves = catalog.leaf_ids(e.subject, e.grade)
        n_items = int(rng.integers(10, 19))
        max_score = rng.choice([2, 3, 4, 5, 6, 8, 10, 12], n_items, p=[.1, .15, .2, .15, .15, .1, .1, .05])
        ability = rng.choice(len(ABILITIES), n_items, p=ABILITY_WEIGHTS)
        difficulty = ABILITY_DIFFICULTY[ability] + rng.normal(0, 0.5, n_items)
        kp_lists = [";".join(rng.choice(leaves, int(rng.integers(1, 3)), replace=False)) for _ in range(n_items)]
        item_ids = np.array([f"q{i + 1:02d}" for i in range(n_items)], dtype=object)
        write_csv(out / "exam.csv", {
            "exam_id": [e.exam_id], "name": [e.name], "kind": [e.kind], "academic_session": [e.session],
            "grade": [f"{e.grade:02d}"], "subject": [e.subject], "exam_date": [e.day.isoformat()],
            "org_sourcedId": [world.district_ids[e.district]], "sitting_id": [e.sitting]})
        write_csv(out / "items.csv", {
            "exam_id": np.full(n_items, e.exam_id, dtype=object), "item_id": item_ids,
            "max_score": max_score, "knowledge_point_ids": kp_lists,
            "ability": np.array(ABILITIES, dtype=object)[ability]})

        students = np.flatnonzero((world.stu_grade == e.grade)
                                  & (world.school_district[world.stu_school] == e.district))
        n_s = len(students)
        status_s = np.where(rng.random(n_s) < 0.02, "absent", "present").astype(object)
        status_s[(status_s == "present") & (rng.random(n_s) < 0.005)] = "exempt"
        theta = world.stu_ability[students] + world.stu_subject_offset[students, SUBJECTS.index(e.subject)]
        p = 1 / (1 + np.exp(-1.7 * (theta[:, None] - difficulty[None, :])))
        score = rng.binomial(np.broadcast_to(max_score, p.shape), p).astype(np.int64)
        status = np.repeat(status_s, n_items)
        score_text = np.where(status == "present", score.reshape(-1).astype(str).astype(object), None)
        stu_ids = np.repeat(world.stu_ids[students], n_items)
        n_rows = len(status)
        picks = pick_dirty(rng, n_rows, dirt_rate, list(SCORE_DEFECTS), not ensured and n_rows >= 30)
        ensured = ensured or bool(picks)
        status = status.copy()
        for row, k in picks.items():
            item_max = int(max_score[row % n_items])
            if k == "invalid_value":
                status[row] = "present"
                score_text[row] = str(item_max + int(rng.integers(1, 5))) if rng.random() < 0.5 else "-2"
            elif k == "invalid_enum":
                status[row] = "sick" if rng.random() < 0.5 else "缺考"
                score_text[row] = None
            else:
                stu_ids[row] = f"stu-9{int(rng.integers(0, 10**6)):06d}"
            log.add("exams", e.delivery, "scores.csv", row + 2, k, "quarantined", SCORE_DEFECTS[k])
        write_csv(out / "scores.csv", {
            "exam_id": np.full(n_rows, e.exam_id, dtype=object), "student_sourcedId": stu_ids,
            "item_id": np.tile(item_ids, n_s), "score": score_text, "status": status})
        rows_total += n_rows
        stats["exams"] += 1
        stats["absent"] += int((status_s == "absent").sum())
        stats["exempt"] += int((status_s == "exempt").sum())
    stats["score_rows"] = rows_total
    if dirt_rate > 0 and plan:
        # The exam office sends one exam twice under another name: same bytes.
        e = plan[len(plan) // 2]
        copy = folder / f"{e.delivery}-resend"
        # a lake simulated before holds it already (the newcomer probe: a second `make demo`
        # ended in a FileExistsError traceback): written again, as every other delivery is
        shutil.copytree(folder / e.delivery, copy, dirs_exist_ok=True)
        log.add("exams", copy.name, None, None, "duplicate_delivery", "duplicate_delivery", None)
    stats["dirty_by_kind"] = log.counts("exams")
    grade12 = sorted({x.exam_id for x in plan if x.grade == 12 and x.subject == "math"})
    stats["grade12_math_exams"] = grade12
    progress(f"  exams: {stats['exams']} exams, {rows_total:,} score rows")
    return stats
