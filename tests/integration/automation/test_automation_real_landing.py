"""The inbox sensor against the real landing assets on a tiny simulated district:
the roster and other unpartitioned sources land first, the days after, each once."""

import dagster as dg
import pytest

from orchestration.automation.sensors import inbox_sensor
from orchestration.resources import LakeResource


@pytest.mark.e2e
def test_sensor_lands_a_simulated_district_once(instance, lake, monkeypatch, ops):
    from eduhouse_dev.simulate.run import simulate
    from orchestration.landing.definitions import defs as landing_defs

    simulate(lake, scale="tiny", seed=7, days=2, dirt_rate=0, progress=lambda *a, **k: None)
    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "0")
    defs = ops.automation_with(landing_defs, lake)
    repo = defs.get_repository_def()

    def tick(cursor):
        context = dg.build_sensor_context(instance=instance, cursor=cursor, repository_def=repo,
                                          resources={"lake": LakeResource(root=str(lake))})
        data = inbox_sensor.evaluate_tick(context)
        return data.run_requests, data.cursor

    def execute(request):
        result = defs.resolve_job_def(request.job_name).execute_in_process(
            instance=instance, asset_selection=request.asset_selection, tags=request.tags)
        assert result.success

    [first], cursor = tick(None)  # the daily sources wait for the roster
    assert first.job_name == "landing_job"
    assert dg.AssetKey(["bronze", "roster"]) in first.asset_selection
    execute(first)

    second, cursor = tick(cursor)
    assert {r.job_name for r in second} == {"landing_daily_job"}
    assert {r.asset_selection[0].path[1] for r in second} == {"xapi", "access"}
    for request in second:
        execute(request)
    landed = instance.get_materialized_partitions(dg.AssetKey(["bronze", "xapi"]))
    assert {"2021-10-01", "2021-10-02"} <= landed

    assert tick(cursor)[0] == []
    assert tick(None)[0] == []  # the ledger alone says it is done
