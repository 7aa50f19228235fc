"""How long a run took, and how much of it was Dagster rather than the assets.

Wall time is the run record's start..end; asset time is the union of its steps'
STEP_START..STEP_SUCCESS/FAILURE intervals from the event log (a union, so parallel
steps are not double counted). Overhead = wall - asset time: process start, code
loading, resource init, event writes, IO managers, retries' waits.
"""

import dagster as dg
from dagster._core.events import DagsterEventType

_STEP_END = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}


def _union(intervals: list[tuple[float, float]]) -> float:
    total, current = 0.0, None
    for start, end in sorted(intervals):
        if current is None or start > current[1]:
            if current:
                total += current[1] - current[0]
            current = [start, end]
        else:
            current[1] = max(current[1], end)
    if current:
        total += current[1] - current[0]
    return total


def run_timing(instance: dg.DagsterInstance, run_id: str) -> dict:
    record = instance.get_run_record_by_id(run_id)
    records = instance.get_records_for_run(
        run_id, of_type={DagsterEventType.STEP_START, *_STEP_END}
    ).records
    starts: dict[str, float] = {}
    steps: dict[str, tuple[float, float]] = {}
    for r in records:
        entry = r.event_log_entry
        if entry.dagster_event_type == DagsterEventType.STEP_START:
            starts.setdefault(entry.step_key, entry.timestamp)
        elif entry.step_key in starts:
            steps[entry.step_key] = (starts[entry.step_key], entry.timestamp)
    wall = (record.end_time or 0) - (record.start_time or 0) if record and record.start_time else None
    in_steps = _union(list(steps.values()))
    return {
        "run_id": run_id,
        "job": record.dagster_run.job_name if record else None,
        "status": record.dagster_run.status.value if record else None,
        "wall_s": round(wall, 3) if wall is not None else None,
        "steps_s": round(in_steps, 3),
        "overhead_s": round(wall - in_steps, 3) if wall is not None else None,
        "steps": {k: round(e - s, 3) for k, (s, e) in sorted(steps.items())},
    }
