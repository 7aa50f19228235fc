"""The inbox sensor requests a landing run for a new delivery once and only once."""

import dagster as dg

from orchestration.automation import inbox
from orchestration.automation.sensors import inbox_sensor
from orchestration.resources import ENGINE_TAG, LakeResource


def _tick(instance, defs, lake, cursor):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"lake": LakeResource(root=str(lake))},
        repository_def=defs.get_repository_def(),
    )
    data = inbox_sensor.evaluate_tick(context)
    return data.run_requests, data.cursor


def test_new_delivery_is_requested_once(instance, lake, monkeypatch, ops):
    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "0")
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    ops.put_delivery(lake, "roster", "roster_2021-09-01.zip")

    requests, cursor = _tick(instance, defs, lake, None)
    assert [(r.job_name, r.asset_selection) for r in requests] == [
        ("landing_job", [dg.AssetKey(["bronze", "roster"])])
    ]
    # Same inbox, next tick: nothing new.
    assert _tick(instance, defs, lake, cursor)[0] == []

    # Land it for real; the ledger now says done even to a sensor with no cursor.
    job = defs.resolve_job_def(requests[0].job_name)
    assert job.execute_in_process(instance=instance, asset_selection=requests[0].asset_selection).success
    requests_after, cursor = _tick(instance, defs, lake, cursor)
    assert requests_after == []
    assert _tick(instance, defs, lake, None)[0] == []

    # A second delivery: exactly one new request, with its own run key.
    ops.put_delivery(lake, "roster", "roster_2021-10-01.zip")
    second, cursor = _tick(instance, defs, lake, cursor)
    assert len(second) == 1 and second[0].run_key != requests[0].run_key
    assert _tick(instance, defs, lake, cursor)[0] == []


def test_daily_source_requests_pending_days(instance, lake, monkeypatch, ops):
    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "0")
    monkeypatch.setattr(inbox, "landing_pending_dates", lambda root, source, tz=None: ["2021-10-02", "2021-10-01"])
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    ops.put_delivery(lake, "xapi", "2021-10-01.jsonl.gz")

    requests, cursor = _tick(instance, defs, lake, None)
    [request] = requests  # one run for the source, spanning its pending days
    assert request.job_name == "landing_daily_job"
    assert request.tags[ENGINE_TAG] == "duckdb"  # the engine shows in the run's tags
    assert (request.partition_key_range.start, request.partition_key_range.end) == ("2021-10-01", "2021-10-02")
    assert _tick(instance, defs, lake, cursor)[0] == []


def test_delivery_still_being_copied_waits(instance, lake, monkeypatch, ops):
    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "600")
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    path = ops.put_delivery(lake, "roster", "late.zip", age_seconds=0)

    requests, cursor = _tick(instance, defs, lake, None)
    assert requests == []
    import os
    import time

    old = time.time() - 3600
    os.utime(path, (old, old))
    requests, cursor = _tick(instance, defs, lake, cursor)
    assert len(requests) == 1
    assert _tick(instance, defs, lake, cursor)[0] == []


def test_days_wait_for_the_roster_run(instance, lake, monkeypatch, ops):
    from orchestration.automation.sensors import SOURCE_TAG, TRIGGER_TAG

    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "0")
    monkeypatch.setattr(inbox, "landing_pending_dates", lambda root, source, tz=None: ["2021-10-01"])
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    ops.put_delivery(lake, "roster", "r1.zip")
    ops.put_delivery(lake, "xapi", "2021-10-01.jsonl.gz")

    requests, cursor = _tick(instance, defs, lake, None)
    assert [r.job_name for r in requests] == ["landing_job"]  # the days wait for the roster
    run = instance.add_run(dg.DagsterRun(
        job_name="landing_job", run_id="roster-run", status=dg.DagsterRunStatus.STARTED,
        tags={TRIGGER_TAG: "inbox_sensor", SOURCE_TAG: "roster"}))
    assert _tick(instance, defs, lake, cursor)[0] == []  # still in flight
    instance.report_run_failed(run)
    requests, cursor = _tick(instance, defs, lake, cursor)
    assert [r.job_name for r in requests] == ["landing_daily_job"]


def test_the_inbox_waits_while_an_eduhouse_command_holds_the_lake(instance, lake, monkeypatch, ops):
    """A landing run of the sensor started beside `eduhouse run`'s own landing of the same
    delivery (the UI probe): it landed nothing, yet recorded a materialization whose checks
    never ran, so the UI showed the command's warning as not evaluated. The sensor now
    skips while a command holds the lake, its cursor unchanged, and requests after."""
    from orchestration.runner.recovery import lake_lock

    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "0")
    defs = ops.automation_with(ops.fake_parts(lake), lake)
    ops.put_delivery(lake, "roster", "roster_2021-09-01.zip")
    with lake_lock(lake):
        context = dg.build_sensor_context(instance=instance, cursor=None, resources={"lake": LakeResource(root=str(lake))},
                                          repository_def=defs.get_repository_def())
        data = inbox_sensor.evaluate_tick(context)
        assert data.run_requests == [] and "holds the lake" in (data.skip_message or "")
    requests, _ = _tick(instance, defs, lake, data.cursor)
    assert [r.asset_selection for r in requests] == [[dg.AssetKey(["bronze", "roster"])]]
