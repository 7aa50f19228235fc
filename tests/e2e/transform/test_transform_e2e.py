"""End to end: simulate a tiny district, land it, run dbt, and check usage_monthly and
microtest_monthly against the same metrics recomputed from bronze with pandas. The last
simulated day is held back and landed after the first build, so the final marts come
from an incremental run and must still equal the full recomputation."""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
import independent_metrics  # noqa: E402
from dbt_runner import build_core  # noqa: E402

pytestmark = pytest.mark.e2e

from eduhouse_dev.simulate.run import simulate  # noqa: E402
from orchestration.landing.sources import LANDERS  # noqa: E402

START = date(2021, 9, 27)
DAYS = 8
HELD_BACK = "2021-10-04"
MIN_CELL = 10  # the default small-cell size the build runs with


def _land(lake: Path) -> None:
    for source in ("roster", "xapi"):
        LANDERS[source](lake)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    simulate(lake, scale="tiny", seed=11, start=START, days=DAYS, progress=lambda *a, **k: None, governance=False)
    inbox = lake / "inbox" / "xapi"
    held = tmp_path_factory.mktemp("held")
    for path in inbox.glob(f"{HELD_BACK}*"):
        shutil.move(str(path), held / path.name)
    target = tmp_path_factory.mktemp("target")
    _land(lake)
    build_core(lake, target, min_cell=MIN_CELL)
    for path in held.iterdir():
        shutil.move(str(path), inbox / path.name)
    _land(lake)
    result = build_core(lake, target, min_cell=MIN_CELL)
    assert "incremental xapi.statements (catch_up): " in result.stdout
    return lake


def _mart(lake: Path, name: str) -> pd.DataFrame:
    return duckdb.execute(f"select * from '{lake}/marts/.staging/{name}.parquet'").df()


def _compare(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], values: list[str]) -> None:
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("_expected", "_actual"), indicator=True)
    missing = merged[merged["_merge"] != "both"]
    assert missing.empty, f"rows only on one side:\n{missing[keys + ['_merge']].to_string()}"
    for value in values:
        bad = merged[merged[f"{value}_expected"] != merged[f"{value}_actual"]]
        assert bad.empty, f"{value} differs:\n{bad[keys + [f'{value}_expected', f'{value}_actual']].to_string()}"


def _published(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], size: str,
               figures: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mart hides small groups: every group of 1..MIN_CELL-1 people (from the pandas
    recomputation) is suppressed with its figures null; the rest is compared as is."""
    assert set(map(tuple, actual[keys].to_numpy())) == set(map(tuple, expected[keys].to_numpy()))
    hidden = actual[actual["suppressed"]]
    assert hidden[figures].isna().all().all()
    small = expected[(expected[size] > 0) & (expected[size] < MIN_CELL)]
    assert set(map(tuple, small[keys].to_numpy())) <= set(map(tuple, hidden[keys].to_numpy()))
    shown = actual[~actual["suppressed"]]
    return shown, expected.merge(shown[keys], on=keys)


def test_usage_monthly_matches_bronze(lake):
    keys = ["month", "org_sourced_id", "org_type", "segment", "population"]
    figures = ["on_roster", "online", "logins", "resource_viewers"]
    actual, expected = _published(_mart(lake, "usage_monthly"), independent_metrics.usage_monthly(lake), keys,
                                  "on_roster", figures + ["online_rate", "resource_view_rate"])
    assert len(expected) > 0
    _compare(actual, expected, keys, figures)
    ratio = actual["online"] / actual["on_roster"]
    assert (actual["online_rate"] - ratio).abs().max() < 1e-12
    assert actual["online_rate"].between(0, 1).all() and actual["resource_view_rate"].between(0, 1).all()


def test_usage_monthly_says_how_far_each_month_goes(lake):
    """data_through: the month's last local day with a statement, on every row of the
    month, after the held-back last day landed incrementally (not the month's end)."""
    mart = _mart(lake, "usage_monthly")
    per_month = mart.groupby("month")["data_through"].agg(["nunique", "max"])
    assert (per_month["nunique"] == 1).all()
    actual = {m: d.strftime("%Y-%m-%d") for m, d in per_month["max"].items()}
    assert actual == independent_metrics.data_through(lake)
    assert actual[max(actual)] == HELD_BACK


def test_microtest_monthly_matches_bronze(lake):
    keys = ["month", "org_sourced_id", "org_type", "segment"]
    actual, expected = _published(_mart(lake, "microtest_monthly"), independent_metrics.microtest_monthly(lake), keys,
                                  "students_assigned", ["students_assigned", "students_answering", "answer_rate", "answers"])
    assert expected["microtests_assigned"].sum() > 0
    _compare(actual, expected, keys, ["microtests_assigned", "students_assigned", "students_answering", "answers"])
    assert actual["answer_rate"].dropna().between(0, 1).all()
    assert (actual["answer_rate"].isna() == (actual["students_assigned"] == 0)).all()  # 0 of 0: no rate
