"""One tiny simulated district through the whole pipeline, shared by the e2e tests that
read its outputs (reports, runner). It fails loudly: a broken pipeline is a failed
test, never a skip."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.runner.run import RunOutcome, run_everything


@dataclass
class PipelineRun:
    lake: Path
    outcomes: list[RunOutcome]
    instance: dg.DagsterInstance


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory) -> PipelineRun:
    lake = tmp_path_factory.mktemp("pipeline") / "lake"
    simulate(lake, scale="tiny", seed=42, start=date(2021, 10, 1), days=7, progress=lambda *_: None)
    instance = dg.DagsterInstance.ephemeral()
    saved = os.environ.get("EDUHOUSE_LAKE")
    try:
        outcomes = run_everything(lake, instance=instance)
    finally:
        if saved is None:
            os.environ.pop("EDUHOUSE_LAKE", None)
        else:
            os.environ["EDUHOUSE_LAKE"] = saved
    broken = [(o.label, o.failed_steps, o.failed_checks) for o in outcomes if not o.success or o.failed_checks]
    assert outcomes and not broken, f"the pipeline failed on the tiny district: {broken} (see {outcomes[0].log_path})"
    return PipelineRun(lake, outcomes, instance)
