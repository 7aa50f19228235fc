"""Which partitions each stage of `eduhouse run` covers: the days, months and exams the
new deliveries touched, read from the ledger; everything on --full or when nothing new."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from orchestration.landing.ledger import LedgerRow, write_row
from orchestration.partitions import REBUILD_TAG, daily_partitions, exam_partitions, monthly_partitions
from orchestration.runner.execute import RANGE_END, RANGE_START
from orchestration.runner.scope import Scope, exam_blocks, ledger_ids, partition_runs
from orchestration.runner.stages import Stage

NOW = datetime(2021, 11, 1, tzinfo=UTC)


def _ledger(lake, source, delivery, dates, status="landed"):
    write_row(lake, LedgerRow(source=source, delivery_id=delivery, delivery_path=delivery, content_sha256=delivery,
                              size_bytes=1, records_in=1, landed=1, quarantined=0, status=status,
                              started_at=NOW, finished_at=NOW, local_dates=dates))


@pytest.fixture
def lake(tmp_path):
    _ledger(tmp_path, "xapi", "2021-09-30", ["2021-09-30"])
    _ledger(tmp_path, "access", "2021-03-21", ["2021-03-21"])
    return tmp_path


def _stage(kind, pdef, single_run=True):
    return Stage(kind, kind, [dg.AssetKey(kind)], pdef, single_run)


def test_new_days_and_their_months_from_the_ledger(lake):
    before = ledger_ids(lake)
    _ledger(lake, "xapi", "2021-10-02", ["2021-10-01", "2021-10-02"])
    _ledger(lake, "xapi", "2021-10-02_resend", [], status="duplicate")
    scope = Scope.after_landing(lake, before)
    assert scope.new_dates == {"xapi": ["2021-10-01", "2021-10-02"]}
    instance = dg.DagsterInstance.ephemeral()
    [daily] = partition_runs(_stage("daily", daily_partitions), scope, instance, {"xapi"})
    assert (daily.tags[RANGE_START], daily.tags[RANGE_END]) == ("2021-10-01", "2021-10-02")
    assert REBUILD_TAG not in daily.tags
    [monthly] = partition_runs(_stage("monthly", monthly_partitions), scope, instance, {"xapi"})
    assert (monthly.tags[RANGE_START], monthly.tags[RANGE_END]) == ("2021-10-01", "2021-10-01")
    publication = partition_runs(_stage("monthly", monthly_partitions, single_run=False), scope, instance, {"xapi"})
    assert [r.tags for r in publication] == [{"dagster/partition": "2021-10-01"}]


def test_a_late_month_rebuilds_every_month_after_it(lake):
    """A late delivery for September rebuilds September and every month the lake holds
    after it: a month's figures read the months before (registered by the month's end,
    the schools' flags); October alone stayed short (the late-deliveries probe). The
    days are the new ones only."""
    _ledger(lake, "xapi", "2021-11-03", ["2021-11-03"])
    before = ledger_ids(lake)
    _ledger(lake, "xapi", "2021-09-26_late", ["2021-09-26"])
    scope = Scope.after_landing(lake, before)
    instance = dg.DagsterInstance.ephemeral()
    [daily] = partition_runs(_stage("daily", daily_partitions), scope, instance, {"xapi"})
    assert (daily.tags[RANGE_START], daily.tags[RANGE_END]) == ("2021-09-26", "2021-09-26")
    [monthly] = partition_runs(_stage("monthly", monthly_partitions), scope, instance, {"xapi"})
    assert (monthly.tags[RANGE_START], monthly.tags[RANGE_END]) == ("2021-09-01", "2021-11-01")
    publication = partition_runs(_stage("monthly", monthly_partitions, single_run=False), scope, instance, {"xapi"})
    assert [r.tags["dagster/partition"] for r in publication] == ["2021-09-01", "2021-10-01", "2021-11-01"]


def test_full_rebuilds_every_day_the_sources_hold(lake):
    scope = Scope.after_landing(lake, ledger_ids(lake), full=True)
    instance = dg.DagsterInstance.ephemeral()
    [daily] = partition_runs(_stage("daily", daily_partitions), scope, instance, {"xapi"})
    # Only the days of the sources the stage reads: not the access log of March.
    assert (daily.tags[RANGE_START], daily.tags[RANGE_END], daily.tags[REBUILD_TAG]) == (
        "2021-09-30", "2021-09-30", "true")
    [both] = partition_runs(_stage("daily", daily_partitions), scope, instance, {"xapi", "access"})
    assert (both.tags[RANGE_START], both.tags[RANGE_END]) == ("2021-03-21", "2021-09-30")


def test_exams_new_or_all_registered(lake):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("exam", ["ex-a", "ex-b", "ex-c"])
    stage = _stage("exam", exam_partitions)
    [run] = partition_runs(stage, Scope(lake, new_exams=["ex-b", "ex-c"]), instance)
    assert (run.tags[RANGE_START], run.tags[RANGE_END]) == ("ex-b", "ex-c")
    [run] = partition_runs(stage, Scope(lake), instance)  # nothing new: every exam
    assert (run.tags[RANGE_START], run.tags[RANGE_END]) == ("ex-a", "ex-c")
    assert exam_blocks(["a", "b", "c", "d"], {"a", "c", "d"}) == [("a", "a", 1), ("c", "d", 2)]


def test_a_district_without_learning_logs_gets_empty_daily_and_monthly_tables(tmp_path):
    """No xAPI and no access log: no days. Tables never built run once on the first
    partition (empty and typed, so the models reading them build); built ones wait."""
    scope = Scope.after_landing(tmp_path, {})
    instance = dg.DagsterInstance.ephemeral()
    daily, monthly = _stage("daily", daily_partitions), _stage("monthly", monthly_partitions)
    assert partition_runs(daily, scope, instance, {"xapi"}) == []
    [shell] = partition_runs(daily, scope, instance, {"xapi"}, never_built=True)
    assert shell.tags == {"dagster/partition": daily_partitions.get_first_partition_key()}
    [shell] = partition_runs(monthly, scope, instance, {"xapi"}, never_built=True)
    assert shell.tags == {"dagster/partition": monthly_partitions.get_first_partition_key()}
    assert "no data yet" in shell.label


def test_the_landing_range_leaves_a_far_delivery_apart():
    """One delivery of old records (the simulated access log of 2021-04-13) no longer
    stretches the month's landing run over 200 empty days: the run ranges over the longest
    stretch of days without a week's gap, the latest of equal ones; the days apart land in
    the same run as partitions of their own."""
    from orchestration.runner.run import landing_range

    october = [f"2021-10-{d:02d}" for d in range(1, 30)]
    assert landing_range(["2021-04-13", *october]) == october
    # a late day five days before the month is part of the stretch
    assert landing_range(["2021-09-26", *october]) == ["2021-09-26", *october]
    assert landing_range(["2021-09-01", "2021-10-01"]) == ["2021-10-01"]
    assert landing_range(["2021-10-05"]) == ["2021-10-05"]
    assert landing_range([]) == []


def test_a_backfill_builds_no_month_between_that_the_lake_holds_no_data_of(lake):
    """A backfill of days in February rebuilds February and the later months the lake
    holds (October), not March to September: built from the roster alone, they were months
    a full build never makes (the retention probe)."""
    _ledger(lake, "xapi", "2021-10-02", ["2021-10-02"])
    scope = Scope(lake, new_dates={"xapi": ["2021-02-01", "2021-02-02"]}, rebuild=True)
    instance = dg.DagsterInstance.ephemeral()
    runs = partition_runs(_stage("monthly", monthly_partitions), scope, instance, {"xapi"})
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in runs] == [
        ("2021-02-01", "2021-02-01"), ("2021-09-01", "2021-10-01")]
    assert all(r.tags[REBUILD_TAG] == "true" for r in runs)
    assert [r.label for r in runs] == ["monthly 2021-02..2021-02", "monthly 2021-09..2021-10"]
    publication = partition_runs(_stage("monthly", monthly_partitions, single_run=False), scope, instance, {"xapi"})
    assert [r.tags["dagster/partition"] for r in publication] == ["2021-02-01", "2021-09-01", "2021-10-01"]
