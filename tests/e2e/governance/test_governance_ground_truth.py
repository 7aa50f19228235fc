"""Simulate a tiny district -> land -> dbt build of the audit models (and parents) ->
compare the findings with the simulator's ground truth: recall and precision 1.0, and
no finding at all on a clean district."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

import eduhouse_dev.simulate.run as run_mod  # noqa: E402
import orchestration.landing.sources as landing  # noqa: E402
from orchestration.governance.audit import run_audit  # noqa: E402
from orchestration.governance.build import build_audit_models  # noqa: E402
from orchestration.governance.evaluation import compare  # noqa: E402

SOURCES = ("roster", "governance", "access", "psych", "fitness")


def _audit(lake, dirt_rate: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = run_mod.simulate(lake, scale="tiny", seed=11, start=date(2021, 10, 1), days=14,
                               dirt_rate=dirt_rate, progress=lambda *a, **k: None)
    assert "governance" in summary, "simulate() wrote no governance deliveries"
    for source in SOURCES:
        landing.LANDERS[source](lake)
    built = build_audit_models(lake, target_path=lake / "dbt_target")
    assert built["returncode"] == 0, built["log_tail"]
    findings = pd.read_parquet(lake / "restricted" / "access_audit_findings.parquet")
    truth = pd.read_parquet(lake / "simulator" / "truth" / "governance_findings.parquet")
    return findings, truth


def test_audit_finds_every_injected_case_and_nothing_else(tmp_path):
    findings, truth = _audit(tmp_path, dirt_rate=0.01)
    assert len(truth) >= 16
    score = compare(findings, truth)
    assert score.missed == [] and score.events_missed == [], score.by_check
    assert score.unexpected == [], score.unexpected
    assert score.recall == 1.0 and score.precision == 1.0
    report = run_audit(tmp_path)
    assert report.html.exists() and report.summary["findings"] >= len(set(map(tuple, truth[["check"]].values)))


def test_clean_district_raises_nothing(tmp_path):
    findings, truth = _audit(tmp_path, dirt_rate=0.0)
    assert truth.empty
    assert findings.empty, findings[["check", "principal_id", "grant_id", "evidence"]].to_dict("records")
