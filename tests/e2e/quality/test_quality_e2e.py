"""A tiny simulated district through landing, dbt and every quality check.

Asserts the suites hold on clean-enough simulated data (warnings allowed: the simulator
plants audit findings such as repeated access event ids), that results and data docs are
kept, and reports how much of the run validation took. Skips with the reason when an
upstream part (simulator, landing, dbt) is not there yet.
"""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import pytest

pytestmark = pytest.mark.e2e


def _step_seconds(result) -> dict[str, float]:
    return {
        e.step_key: e.event_specific_data.duration_ms / 1000
        for e in result.all_events
        if e.event_type_value == "STEP_SUCCESS"
    }


def test_tiny_district_passes_quality(tmp_path: Path, monkeypatch):
    try:
        from orchestration.landing.definitions import defs as landing_defs
        from orchestration.landing.pending import pending_dates
        from orchestration.simulate.run import simulate
    except ImportError as exc:  # pragma: no cover - depends on other parts
        pytest.skip(f"upstream part missing: {exc}")
    lake = tmp_path / "lake"
    monkeypatch.setenv("EDUHOUSE_LAKE", str(lake))
    simulate(lake, scale="tiny", days=8, progress=lambda *a, **k: None)
    dates = sorted({d for s in ("xapi", "access") for d in pending_dates(lake, s)})

    from orchestration.quality.checks import build_quality_checks
    from orchestration.quality.suites import load_suites
    from orchestration.resources import LakeResource
    from orchestration.transform.definitions import build_defs

    transform_defs = build_defs()
    if not list(transform_defs.assets or []):
        pytest.skip("transform part has no dbt assets (no manifest)")
    defs = dg.Definitions.merge(
        landing_defs, transform_defs,
        dg.Definitions(asset_checks=build_quality_checks(), resources={"lake": LakeResource(root=str(lake))}),
    )
    job = defs.resolve_implicit_global_asset_job_def()
    started = time.monotonic()
    result = job.execute_in_process(
        tags={"dagster/asset_partition_range_start": dates[0], "dagster/asset_partition_range_end": dates[-1]},
        raise_on_error=False,
    )
    total = time.monotonic() - started
    failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    if any("dbt" in s for s in failed_steps):
        pytest.skip(f"dbt step failed upstream of the marts: {failed_steps}")

    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    suites = load_suites()
    for suite in suites:
        key = ("/".join(suite.asset), suite.name)
        assert key in evaluations, f"{key} did not run"
        ev = evaluations[key]
        assert ev.passed or ev.severity == dg.AssetCheckSeverity.WARN, (key, ev.metadata["failures"].value)

    docs = (lake / "quality" / "docs" / "index.html").read_text()
    assert all(s.name in docs for s in suites)
    assert all(any((lake / "quality" / "results" / s.name).glob("*.parquet")) for s in suites)

    steps = _step_seconds(result)
    check_steps = {f"{'__'.join(s.asset)}_{s.name}" for s in suites} | {"source_freshness"}
    quality = sum(v for k, v in steps.items() if k in check_steps)
    share = quality / total
    print(f"\nquality checks {quality:.1f} s of a {total:.1f} s run ({share:.0%}); "
          f"validation alone {sum(e.metadata['validation_seconds'].value for e in evaluations.values() if 'validation_seconds' in e.metadata):.1f} s")
