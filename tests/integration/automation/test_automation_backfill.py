"""Backfill lands each day of a range as its own partition, then downstream once;
declarative automation rebuilds downstream only after landing updated it."""

import dagster as dg
import pytest

from orchestration.automation.backfill import run_backfill
from orchestration.automation.sensors import downstream_automation
from orchestration.resources import ENGINE_TAG

XAPI = dg.AssetKey(["bronze", "xapi"])
MART = dg.AssetKey(["marts", "fake_mart"])


def test_backfill_three_days(instance, lake, ops):
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    summary = run_backfill(defs, instance, "2021-10-01", "2021-10-03", log=lambda *_: None)

    assert summary["success"]
    assert summary["partitions"] == ["2021-10-01", "2021-10-02", "2021-10-03"]
    for run in (summary["landing"], summary["downstream"]):  # the engine shows in the run's tags
        assert instance.get_run_by_id(run["run_id"]).tags[ENGINE_TAG] == "duckdb"
    assert instance.get_materialized_partitions(XAPI) == {"2021-10-01", "2021-10-02", "2021-10-03"}
    days = sorted(p.name for p in (lake / "bronze" / "xapi" / "statements").iterdir())
    assert days == ["local_date=2021-10-01", "local_date=2021-10-02", "local_date=2021-10-03"]
    # The unpartitioned downstream asset ran once, after the days.
    mats = instance.fetch_materializations(MART, limit=10).records
    assert len(mats) == 1 and mats[0].run_id == summary["downstream"]["run_id"]


def test_backfill_holds_back_what_reads_a_source_a_blocking_check_refused(instance, lake, ops):
    """As `eduhouse run` does (runner.holds): the roster's contract check failed in an
    earlier run, so the backfill lands its days but does not rebuild the mart that reads
    the roster from the refused data; it says so and fails."""
    roster = dg.AssetKey(["bronze", "roster"])

    @dg.asset_check(asset=roster, blocking=True)
    def contract() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)

    defs = dg.Definitions.merge(ops.automation_with(ops.fake_parts(lake), lake),
                                dg.Definitions(asset_checks=[contract]))
    job = defs.resolve_implicit_global_asset_job_def()
    job.execute_in_process(instance=instance, asset_selection=[roster], raise_on_error=False)
    said: list[str] = []
    summary = run_backfill(defs, instance, "2021-10-01", "2021-10-02", log=said.append)

    assert summary["landing"]["success"]
    assert not summary["success"]
    assert [(r["label"], r["held_by"]) for r in summary["runs"]] == [(summary["runs"][0]["label"],
                                                                      ["bronze/roster:contract"])]
    assert any("held back" in line and "bronze/roster:contract" in line for line in said)
    assert instance.fetch_materializations(MART, limit=1).records == []


def test_backfill_rejects_reversed_range(instance, lake, ops):
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    with pytest.raises(ValueError, match="after"):
        run_backfill(defs, instance, "2021-10-03", "2021-10-01")


def _automation_tick(instance, defs, cursor):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, repository_def=defs.get_repository_def()
    )
    data = downstream_automation.evaluate_tick(context)
    return data.run_requests, data.cursor


def test_downstream_follows_landing_and_nothing_else(instance, lake, ops):
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    landing = defs.resolve_job_def("landing_daily_job")
    # The sensor's first tick only sets its baseline (as when a deployment starts).
    requests, cursor = _automation_tick(instance, defs, None)
    assert requests == []
    assert landing.execute_in_process(partition_key="2021-10-01", instance=instance).success

    requests, cursor = _automation_tick(instance, defs, cursor)
    assert [set(r.asset_selection) for r in requests] == [{MART}]
    downstream = defs.resolve_job_def("downstream_job")
    assert downstream.execute_in_process(instance=instance, asset_selection=[MART]).success

    # Nothing changed upstream since: nothing is requested again.
    requests, cursor = _automation_tick(instance, defs, cursor)
    assert requests == []
    # A new day lands: the mart is requested once more.
    assert landing.execute_in_process(partition_key="2021-10-02", instance=instance).success
    requests, cursor = _automation_tick(instance, defs, cursor)
    assert [set(r.asset_selection) for r in requests] == [{MART}]
    assert downstream.execute_in_process(instance=instance, asset_selection=[MART]).success
    assert _automation_tick(instance, defs, cursor)[0] == []


def test_automation_waits_while_a_blocking_check_refuses_a_landed_input(instance, lake, ops):
    """The daemon's conditions hold as `eduhouse run` does (conditions.RefusedByCheck): a
    landing whose blocking check failed at ERROR requests nothing below it; a failed
    warning holds nothing; the landing that passes releases the mart."""
    roster = dg.AssetKey(["bronze", "roster"])
    verdict = {"passed": False}

    @dg.asset_check(asset=roster, blocking=True)
    def contract() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=verdict["passed"], severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(asset=roster, blocking=True)
    def plausible() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    defs = dg.Definitions.merge(ops.automation_with(ops.fake_parts(lake), lake),
                                dg.Definitions(asset_checks=[contract, plausible]))
    job = defs.resolve_implicit_global_asset_job_def()
    landing = defs.resolve_job_def("landing_daily_job")
    requests, cursor = _automation_tick(instance, defs, None)
    assert landing.execute_in_process(partition_key="2021-10-01", instance=instance).success
    job.execute_in_process(instance=instance, asset_selection=[roster], raise_on_error=False)
    requests, cursor = _automation_tick(instance, defs, cursor)
    assert requests == []  # the roster was refused: the mart is not built from it
    verdict["passed"] = True  # a corrected roster lands; the warning still fails
    job.execute_in_process(instance=instance, asset_selection=[roster], raise_on_error=False)
    requests, cursor = _automation_tick(instance, defs, cursor)
    assert [set(r.asset_selection) for r in requests] == [{MART}]


def test_catchup_rebuilds_what_automation_missed(instance, lake, ops):
    from orchestration.automation.sensors import downstream_catchup

    defs = ops.automation_with(ops.fake_parts(lake), lake)
    repo = defs.get_repository_def()
    landing = defs.resolve_job_def("landing_daily_job")
    downstream = defs.resolve_job_def("downstream_job")

    def catchup():
        data = downstream_catchup.evaluate_tick(dg.build_sensor_context(instance=instance, repository_def=repo))
        return [set(r.asset_selection) for r in data.run_requests]

    assert landing.execute_in_process(partition_key="2021-10-01", instance=instance).success
    assert downstream.execute_in_process(instance=instance, asset_selection=[MART]).success
    assert catchup() == []  # up to date
    # A day lands right after the mart was rebuilt (the window declarative automation
    # can miss): the catch-up sensor requests the mart.
    assert landing.execute_in_process(partition_key="2021-10-02", instance=instance).success
    assert catchup() == [{MART}]
    # The rebuild fails: not retried in a loop; it waits for new data.
    (lake / "warehouse" / "eduhouse.duckdb").write_text("not a database")
    assert not downstream.execute_in_process(instance=instance, asset_selection=[MART],
                                             raise_on_error=False).success
    assert catchup() == []
