"""One sample lake rendered once per test session for the reporting unit tests."""

from pathlib import Path

import pytest

from eduhouse_dev.sample_lake import build_sample_lake
from orchestration.reporting.render import render_reports


@pytest.fixture(scope="session")
def sample_reports(tmp_path_factory) -> tuple[Path, object]:
    lake = build_sample_lake(tmp_path_factory.mktemp("reporting_lake"))
    summary = render_reports(lake, workers=2)
    return lake, summary
