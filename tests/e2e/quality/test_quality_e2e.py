"""A tiny simulated district through landing, dbt and every quality check.

Asserts the suites hold on clean-enough simulated data (warnings allowed: the simulator
plants audit findings such as repeated access event ids), that results and data docs are
kept, and reports how much of the run validation took. Uses the shared district that
`eduhouse run` built (tests/e2e/conftest.py): a run holds one partitioning, so the checks
ran in the stage runs of their assets (landing, daily, monthly, exam, the rest).
"""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

pytestmark = pytest.mark.e2e


def _step_seconds(instance, run_ids) -> dict[str, float]:
    out: dict[str, float] = {}
    for run_id in run_ids:
        for record in instance.all_logs(run_id, of_type=DagsterEventType.STEP_SUCCESS):
            event = record.dagster_event
            out[event.step_key] = out.get(event.step_key, 0.0) + event.event_specific_data.duration_ms / 1000
    return out


def _latest_evaluations(instance, check_keys) -> dict[tuple[str, str], object]:
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
    out = {}
    for key, record in records.items():
        if record.event is not None and record.event.dagster_event is not None:
            out[(key.asset_key.to_user_string(), key.name)] = record.event.dagster_event.event_specific_data
    return out


def test_tiny_district_passes_quality(pipeline):
    from orchestration.quality.suites import load_suites

    lake, instance = pipeline.lake, pipeline.instance
    suites = load_suites()
    keys = [dg.AssetCheckKey(dg.AssetKey(list(s.asset)), s.name) for s in suites]
    evaluations = _latest_evaluations(instance, keys)
    for suite in suites:
        key = ("/".join(suite.asset), suite.name)
        assert key in evaluations, f"{key} did not run"
        ev = evaluations[key]
        assert ev.passed or ev.severity == dg.AssetCheckSeverity.WARN, (key, ev.metadata["failures"].value)

    docs = (lake / "reports" / "quality" / "index.html").read_text()
    assert all(s.name in docs for s in suites)
    assert all(any((lake / "quality" / "results" / s.name).glob("*.parquet")) for s in suites)

    total = sum(o.seconds for o in pipeline.outcomes)
    steps = _step_seconds(instance, [o.run_id for o in pipeline.outcomes])
    check_steps = {f"{'__'.join(s.asset)}_{s.name}" for s in suites} | {"source_freshness"}
    quality = sum(v for k, v in steps.items() if k in check_steps)
    share = quality / total
    validation = sum(e.metadata["validation_seconds"].value for e in evaluations.values()
                     if "validation_seconds" in e.metadata)
    print(f"\nquality checks {quality:.1f} s of {total:.1f} s of runs ({share:.0%}); validation alone {validation:.1f} s")
