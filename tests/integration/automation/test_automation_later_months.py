"""The months after a month rebuilt late (`later_months_catchup`), on a real Dagster
instance: a month reads the months before it, so when the daemon rebuilds a closed month
for a late delivery, every later month it holds is rebuilt after it, in one run over
their range, as `eduhouse run` does. Months built together in one run are never stale."""

import dagster as dg

from orchestration.automation.sensors import later_months_catchup, range_tags, stale_months
from orchestration.conditions import PARTITION_TAG
from orchestration.partitions import monthly_partitions


@dg.asset(partitions_def=monthly_partitions, tags={PARTITION_TAG: "monthly"},
          backfill_policy=dg.BackfillPolicy.single_run())
def usage_by_month(context: dg.AssetExecutionContext) -> None:
    pass


def _record(*months: str):
    @dg.op(name="record_" + "_".join(m[:7].replace("-", "") for m in months))
    def record():
        for month in months:
            yield dg.AssetMaterialization(asset_key="recorded", partition=month)
        yield dg.Output(None)

    return dg.GraphDefinition(name=f"g_{record.name}", node_defs=[record]).to_job()


def test_months_recorded_by_one_run_in_any_order_are_as_new_as_each_other(instance):
    key = dg.AssetKey("recorded")
    assert _record("2021-12-01", "2021-11-01", "2021-10-01", "2021-09-01").execute_in_process(
        instance=instance).success
    assert stale_months(instance, [key]) == []  # by storage id alone, Oct..Dec were stale
    assert _record("2021-10-01").execute_in_process(instance=instance).success
    assert stale_months(instance, [key]) == ["2021-11-01", "2021-12-01"]


def _tick(instance, defs):
    data = later_months_catchup.evaluate_tick(
        dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def()))
    return [(sorted(k.to_user_string() for k in r.asset_selection),
             r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in data.run_requests]


def test_the_months_after_a_month_rebuilt_late_are_rebuilt_after_it(instance, lake, monkeypatch):
    monkeypatch.setenv("EDUHOUSE_LAKE", str(lake))
    defs = dg.Definitions(assets=[usage_by_month], jobs=[dg.define_asset_job("months", [usage_by_month])])
    job = defs.resolve_job_def("months")
    key = dg.AssetKey("usage_by_month")

    def build(first: str, last: str) -> None:
        assert job.execute_in_process(instance=instance, tags=range_tags(first, last)).success

    build("2021-09-01", "2021-12-01")  # one run: all four months as new as each other
    assert stale_months(instance, [key]) == [] and _tick(instance, defs) == []
    build("2021-10-01", "2021-10-01")  # a late delivery for October, rebuilt by the daemon
    assert stale_months(instance, [key]) == ["2021-11-01", "2021-12-01"]
    assert _tick(instance, defs) == [(["usage_by_month"], "2021-11-01", "2021-12-01")]
    build("2021-11-01", "2021-12-01")  # the sensor's run
    assert stale_months(instance, [key]) == [] and _tick(instance, defs) == []
    build("2021-09-01", "2021-09-01")  # September late: every later month
    assert _tick(instance, defs) == [(["usage_by_month"], "2021-10-01", "2021-12-01")]
