"""Shared tiny simulated lakes (module-scoped: simulating is the slow part)."""

from __future__ import annotations

from datetime import date

import pytest

from eduhouse_dev.simulate.run import simulate


def _quiet(_msg: str) -> None:
    pass


@pytest.fixture(scope="session")
def tiny_lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("tiny_lake")
    summary = simulate(lake, scale="tiny", seed=7, start=date(2021, 10, 1), days=8, dirt_rate=0.01,
                       progress=_quiet, governance=False)
    return lake, summary


@pytest.fixture(scope="session")
def clean_lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("clean_lake")
    summary = simulate(lake, scale="tiny", seed=7, start=date(2021, 10, 1), days=4, dirt_rate=0.0,
                       progress=_quiet, governance=False)
    return lake, summary
