"""A forced failure produces an alert, and `eduhouse status --json` reports it."""

import json
import os
import subprocess
import sys

import dagster as dg

from orchestration.automation.alerts import read_alerts
from orchestration.automation.sensors import check_failure_alert, failed_check_alerts, run_failure_alert
from orchestration.resources import LakeResource
from orchestration.settings import OpsConfig

PUBLICATION = "reports/monthly_publication"


def test_failed_run_writes_alert_and_status_reports_it(instance, lake, dagster_home, ops):
    # The publication for a month whose marts were never built fails (not retried).
    defs = ops.automation_with(dg.Definitions(), lake)
    result = defs.resolve_job_def("monthly_publication_job").execute_in_process(
        partition_key="2021-10-01", instance=instance, raise_on_error=False
    )
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_event=result.get_run_failure_event(),
        dagster_instance=instance, dagster_run=result.dagster_run,
        resources={"lake": LakeResource(root=str(lake))},
    ).for_run_failure()
    run_failure_alert(context)

    [alert] = read_alerts(lake)
    assert alert["kind"] == "run_failure" and alert["assets"] == [PUBLICATION]
    assert alert["partitions"] == ["2021-10-01"]
    assert "mart usage_monthly is not published yet" in alert["error"]
    assert alert["run_url"] == f"http://127.0.0.1:3000/runs/{result.run_id}"

    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "EDUHOUSE_LAKE": str(lake)}
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "status", "--json", "--days", "3"],
        env=env, capture_output=True, text=True, timeout=240, cwd=ops.repo_root,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]  # ATTENTION exits 1, for cron and monitors
    status = json.loads(proc.stdout)
    assert not status["healthy"]
    last = status["jobs"]["monthly_publication_job"]
    assert last["run_id"] == result.run_id and last["status"] == "FAILURE"
    if status["definitions_error"] is None:  # the other parts load: the group view too
        last = status["groups"]["reports"]["last_run"]
        assert last["run_id"] == result.run_id and last["status"] == "FAILURE"
    assert status["alerts"]["count"] == 1
    assert status["alerts"]["recent"][0]["run_id"] == result.run_id


def test_failed_error_check_writes_alert(instance, lake, ops):
    @dg.asset(key=["marts", "checked"], group_name="marts")
    def checked():
        return 1

    @dg.asset_check(asset=checked, name="no_orphans")
    def no_orphans():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                   description="3 rows without a student", metadata={"orphans": 3})

    @dg.asset_check(asset=checked, name="just_a_warning")
    def just_a_warning():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    defs = dg.Definitions(assets=[checked], asset_checks=[no_orphans, just_a_warning],
                          resources={"lake": LakeResource(root=str(lake))})
    assert dg.materialize([checked, no_orphans, just_a_warning], instance=instance,
                          raise_on_error=False).dagster_run
    keys = defs.resolve_asset_graph().asset_check_keys

    alerts, high = failed_check_alerts(instance, keys, 0, OpsConfig())
    assert [(a["check"], a["assets"]) for a in alerts] == [("no_orphans", ["marts/checked"])]
    assert "orphans=3" in alerts[0]["error"]
    # The sensor writes it once; the next tick starts after it.
    repo = defs.get_repository_def()
    lake_res = {"lake": LakeResource(root=str(lake))}
    context = dg.build_sensor_context(instance=instance, repository_def=repo, resources=lake_res)
    check_failure_alert.evaluate_tick(context)
    assert len(read_alerts(lake)) == 1
    assert failed_check_alerts(instance, keys, high, OpsConfig())[0] == []
    context2 = dg.build_sensor_context(instance=instance, cursor=context.cursor, repository_def=repo,
                                       resources=lake_res)
    check_failure_alert.evaluate_tick(context2)
    assert len(read_alerts(lake)) == 1


def test_failure_sensor_ticks_see_in_process_runs(instance, lake, ops):
    """The sensor as the daemon runs it sees runs the CLI executed in-process."""
    defs = ops.automation_with(dg.Definitions(), lake)
    repo = defs.get_repository_def()
    lake_res = {"lake": LakeResource(root=str(lake))}

    def tick(cursor):
        context = dg.build_sensor_context(instance=instance, cursor=cursor, repository_def=repo,
                                          resources=lake_res)
        run_failure_alert.evaluate_tick(context)
        return context.cursor

    cursor = tick(None)  # the first tick only sets the starting point
    result = defs.resolve_job_def("monthly_publication_job").execute_in_process(
        partition_key="2021-11-01", instance=instance, raise_on_error=False)
    assert not result.success
    cursor = tick(cursor)
    assert [a["run_id"] for a in read_alerts(lake)] == [result.run_id]
    tick(cursor)
    assert len(read_alerts(lake)) == 1  # once
