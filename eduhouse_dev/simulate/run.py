"""One simulation run: the world, then every source's deliveries, then the ground truth.

`simulate()` is the public entry for the CLI, tests and benchmarks. The same arguments
give the same bytes (every random stream is seeded from the seed and a fixed purpose).
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import numpy as np

from eduhouse_dev.simulate.catalog import build_catalog, write_catalog
from eduhouse_dev.simulate.dirt import DirtLog
from eduhouse_dev.simulate.exams import exam_plan, season_factors, write_exams
from eduhouse_dev.simulate.governance import write_governance
from eduhouse_dev.simulate.roster import write_roster
from eduhouse_dev.simulate.surveys import write_fitness, write_psych
from eduhouse_dev.simulate.truth import write_truth
from eduhouse_dev.simulate.world import build_world, window_days
from eduhouse_dev.simulate.xapi import DaySimulator
from eduhouse_dev.simulate.xapi_files import write_xapi
from eduhouse_dev.simulate.xapi_statements import build_fragments
from orchestration.lake import LakePaths


def simulate(lake: Path, *, scale: str = "small", seed: int = 42, start: date = date(2021, 10, 1),
             days: int = 30, dirt_rate: float = 0.002, progress=print, governance: bool = True) -> dict:
    """Write a district's deliveries into `<lake>/inbox/` and the truth into `<lake>/simulator/`.

    `governance=False` skips the governance helper's grants/consents/access (unit tests of
    the simulator alone).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if not 0 <= dirt_rate < 0.5:
        raise ValueError("dirt_rate must be in [0, 0.5)")
    lake = Path(lake)
    inbox = LakePaths(lake).inbox
    t0 = time.perf_counter()
    log = DirtLog()
    calendar = window_days(start, days)

    world = build_world(scale, seed, start)
    progress(f"world: {len(world.school_ids)} schools, {world.n_students:,} students, "
             f"{len(world.tch_ids):,} teachers, {len(world.par_ids):,} guardians")
    roster, roster_files = write_roster(world, inbox)
    progress(f"roster: {roster['delivery']} ({sum(roster['rows'].values()):,} rows)")
    catalog = build_catalog()
    cat = write_catalog(catalog, inbox, world.sessions.year_start)
    progress(f"catalog: {cat['rows']} knowledge points")

    plan = exam_plan(world, calendar)
    fragments = build_fragments(world, catalog, np.random.default_rng([seed, 7]))
    t_x = time.perf_counter()
    xapi = write_xapi(DaySimulator(world, catalog, fragments, start), inbox, calendar,
                      season_factors(plan, calendar), seed, dirt_rate, log, progress)
    xapi["seconds"] = round(time.perf_counter() - t_x, 2)
    progress(f"xapi: {xapi['lines_written']:,} statements in {xapi['files']} daily files "
             f"({xapi['seconds']} s)")
    exams = write_exams(world, catalog, plan, inbox, seed, dirt_rate, log, progress)
    fitness = write_fitness(world, inbox, start, days, seed, dirt_rate, log)
    progress(f"fitness: {fitness['rows']:,} rows in {fitness['files']} files")
    psych = write_psych(world, inbox, start, days, seed, dirt_rate, log)
    progress(f"psych: {psych['rows']:,} rows")

    summary = {
        "scale": scale, "seed": seed, "start": start.isoformat(), "days": days, "dirt_rate": dirt_rate,
        "world": {
            "city": world.city_id, "districts": world.district_ids, "schools": world.school_facts(),
            "students": world.n_students, "teachers": len(world.tch_ids), "guardians": len(world.par_ids),
            "homerooms": len(world.hr_ids), "teaching_classes": len(world.tc_ids),
            "under_14_at_start": int((world.stu_birth > np.datetime64(start) - np.timedelta64(14 * 365 + 3, "D")).sum()),
            "students_by_grade": {f"{g:02d}": int(c) for g, c in enumerate(np.bincount(world.stu_grade, minlength=13)) if c},
            "staff_assignments": len(world.staff),
        },
        "roster": roster, "catalog": cat, "xapi": xapi, "exams": exams, "fitness": fitness, "psych": psych,
    }
    gov = (write_governance(lake, roster_files, seed=seed, start=start, days=days, scale=scale, dirt_rate=dirt_rate)
           if governance else None)
    if gov is not None:
        summary["governance"] = gov
        progress("governance: written")
    summary["dirt_total"] = len(log.rows)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    write_truth(lake, log, summary)
    _delivered_earlier(inbox)
    progress(f"done in {summary['seconds']} s: {xapi['lines_written']:,} statements, "
             f"{exams['exams']} exams, {len(log.rows):,} dirt records -> {lake / 'simulator' / 'truth'}")
    return summary


def _delivered_earlier(inbox: Path) -> None:
    """Date the simulated deliveries an hour back: they stand for files that arrived over
    the simulated days, complete, not files still being copied in (which `eduhouse run`
    waits for: EDUHOUSE_INBOX_SETTLE_SECONDS), so a run right after simulating starts."""
    stamp = time.time() - 3600
    for path in inbox.rglob("*"):
        os.utime(path, (stamp, stamp), follow_symlinks=False)
