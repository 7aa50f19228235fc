"""A run the UI's daemon launched, whose worker died with the whole UI (killed, a reboot),
stays STARTED holding the warehouse slot: nothing of Dagster's fails it without a daemon,
and every later `eduhouse run` waited for the slot without a word while `status` said OK
(the Dagster probe). The next `eduhouse run` now fails it and frees the slot, and
`status` names it; a daemon run whose worker lives is left alone."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import pytest
from dagster._core.events import EngineEventData

from orchestration.automation.status import interrupted
from orchestration.dagster_home import get_instance
from orchestration.runner.recovery import _alive as _alive_at
from orchestration.runner.recovery import dead_daemon_runs, release_dead_runs
from orchestration.settings import OpsConfig

POOL = "duckdb_warehouse"


def _daemon_run(instance, pid: int, status=dg.DagsterRunStatus.STARTED) -> dg.DagsterRun:
    """A run without the eduhouse pid tag, its worker started as `pid`, holding the slot."""
    run = instance.add_run(dg.DagsterRun(job_name="__ASSET_JOB", status=status))
    instance.report_engine_event(f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid))
    assert instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "eduhouse_dbt_models").is_claimed
    return run


@pytest.fixture
def processes():
    """(a process gone, a process living): pids a run may name."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    living = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield gone, living
    finally:
        living.kill()
        living.wait()


def test_a_daemon_run_whose_worker_died_is_failed_and_its_slot_freed(tmp_path, processes):
    gone, living = processes
    instance = get_instance(tmp_path)
    instance.event_log_storage.set_concurrency_slots(POOL, 4)
    dead = _daemon_run(instance, gone.pid)
    alive = _daemon_run(instance, living.pid)
    assert [(r.run_id, pid) for r, pid in dead_daemon_runs(instance)] == [(dead.run_id, gone.pid)]
    said = interrupted(instance, tmp_path, OpsConfig())["dead_runs"]
    assert [(r["run_id"], r["pid"]) for r in said] == [(dead.run_id, str(gone.pid))]

    lines = []
    assert release_dead_runs(instance, log=lines.append) == [dead.run_id]
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
    info = instance.event_log_storage.get_concurrency_info(POOL)
    assert {s.run_id for s in info.claimed_slots} == {alive.run_id}
    assert "died with its process" in lines[0] and str(gone.pid) in lines[0]
    assert interrupted(instance, tmp_path, OpsConfig())["dead_runs"] == []
    # a pid the kernel gave to a process started after the worker is not the worker
    reused = _daemon_run(instance, living.pid)
    records = instance.get_records_for_run(reused.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
    assert records and dead_daemon_runs(instance) == []
    assert _alive_at(living.pid, records[0].event_log_entry.timestamp - 3600) is False


def test_the_daemon_itself_releases_dead_runs_without_an_eduhouse_run(tmp_path, processes):
    """The daemon probe: `make ui` killed and started again left its dead runs STARTED
    holding the slot, and every queued run waited until someone ran `eduhouse run`. The
    `dead_run_release` sensor fails them (the daemon's, and the CLI's whose process of
    their pid tag is gone) and frees the slot; living ones are left alone."""
    from orchestration.automation.sensors import dead_run_release
    from orchestration.resources import LakeResource
    from orchestration.runner.recovery import PID_TAG, lake_lock

    gone, living = processes
    instance = get_instance(tmp_path)
    instance.event_log_storage.set_concurrency_slots(POOL, 6)
    dead_daemon = _daemon_run(instance, gone.pid)
    live_daemon = _daemon_run(instance, living.pid)
    # killed while STARTING (its worker started, no step yet): it held the queue until run
    # monitoring's 5-minute start timeout (the second daemon probe)
    dead_starting = _daemon_run(instance, gone.pid, status=dg.DagsterRunStatus.STARTING)
    runs = {}
    for name, pid in (("dead_cli", gone.pid), ("live_cli", living.pid)):
        runs[name] = instance.add_run(dg.DagsterRun(job_name="__ASSET_JOB", status=dg.DagsterRunStatus.STARTED,
                                                    tags={PID_TAG: str(pid)}))
        instance.handle_run_event(runs[name].run_id, dg.DagsterEvent(
            event_type_value="PIPELINE_START", job_name="__ASSET_JOB", message="started"))
        instance.event_log_storage.claim_concurrency_slot(POOL, runs[name].run_id, "eduhouse_dbt_models")
    lake = {"lake": LakeResource(root=str(tmp_path))}
    # while an eduhouse run holds the lake, its runs are its own (its pid may be another
    # host's or container's): only the daemon's dead run is released
    with lake_lock(tmp_path):
        assert dead_run_release(dg.build_sensor_context(instance=instance, resources=lake)) is None
    assert instance.get_run_by_id(runs["dead_cli"].run_id).status == dg.DagsterRunStatus.STARTED
    assert dead_run_release(dg.build_sensor_context(instance=instance, resources=lake)) is None
    status = {name: instance.get_run_by_id(run.run_id).status for name, run in
              {"dead_daemon": dead_daemon, "live_daemon": live_daemon, "dead_starting": dead_starting, **runs}.items()}
    assert status == {"dead_daemon": dg.DagsterRunStatus.FAILURE, "live_daemon": dg.DagsterRunStatus.STARTED,
                      "dead_starting": dg.DagsterRunStatus.FAILURE,
                      "dead_cli": dg.DagsterRunStatus.FAILURE, "live_cli": dg.DagsterRunStatus.STARTED}
    info = instance.event_log_storage.get_concurrency_info(POOL)
    assert {s.run_id for s in info.claimed_slots} == {live_daemon.run_id, runs["live_cli"].run_id}
    assert isinstance(dead_run_release(dg.build_sensor_context(instance=instance, resources=lake)), dg.SkipReason)
