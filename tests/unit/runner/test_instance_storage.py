"""The lake's Dagster storage (orchestration/instance_storage.py): the event log keeps a
connection per recent shard, and the history it writes is the one Dagster's default
storage reads (the webserver and daemon build that one from dagster.yaml)."""

from __future__ import annotations

import multiprocessing as mp
import time

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from orchestration.dagster_home import ensure_dagster_home, get_instance
from orchestration.instance_storage import KEPT_SHARDS, LakeEventLogStorage


def _materialization(run_id: str, key: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None, level="debug", user_message="", run_id=run_id, timestamp=time.time(),
        dagster_event=DagsterEvent(DagsterEventType.ASSET_MATERIALIZATION.value, "job",
                                   event_specific_data=StepMaterializationData(dg.AssetMaterialization(key))),
    )


@dg.asset
def tiny() -> int:
    return 1


def test_lake_instance_keeps_connections_and_default_storage_reads_them(tmp_path):
    instance = get_instance(tmp_path)
    storage = instance.event_log_storage
    assert isinstance(storage, LakeEventLogStorage)
    result = dg.materialize([tiny], instance=instance)
    assert result.success
    # The run's events went through the kept engines (fails if Dagster stops calling _connect).
    assert result.run_id in storage._engines and "index" in storage._engines
    instance.dispose()
    assert storage._engines == {}

    # Dagster's own storage, as the webserver builds it from dagster.yaml, sees the run.
    default = dg.DagsterInstance.from_config(str(ensure_dagster_home(tmp_path)))
    assert type(default.event_log_storage).__name__ == "SqliteEventLogStorage"
    event = default.get_latest_materialization_event(dg.AssetKey("tiny"))
    assert event is not None and event.run_id == result.run_id
    # ... and what it writes, the lake's instance reads.
    default.event_log_storage.store_event(_materialization("written-by-default", "other"))
    default.dispose()
    again = get_instance(tmp_path)
    assert again.get_latest_materialization_event(dg.AssetKey("other")).run_id == "written-by-default"
    again.dispose()


def test_kept_engines_are_bounded_and_wipe_closes_them(tmp_path):
    instance = get_instance(tmp_path)
    storage = instance.event_log_storage
    runs = [f"run{i}" for i in range(KEPT_SHARDS + 3)]
    for run_id in runs:
        storage.store_event(_materialization(run_id, "a"))
    assert len(storage._engines) == KEPT_SHARDS
    assert runs[0] not in storage._engines and runs[-1] in storage._engines
    # the oldest shard, its engine closed, is opened again when read
    assert len(storage.get_logs_for_run(runs[0])) == 1
    storage.wipe()
    # the run files are gone and so are their engines (the index is emptied, not deleted)
    assert list(storage._engines) == ["index"]
    assert storage.get_logs_for_run(runs[-1]) == []
    storage.store_event(_materialization("after-wipe", "a"))
    assert len(storage.get_logs_for_run("after-wipe")) == 1
    instance.dispose()


def _child_engines(storage, queue) -> None:
    queue.put(len(storage._engines))


def test_a_forked_child_does_not_inherit_the_connections(tmp_path):
    instance = get_instance(tmp_path)
    storage = instance.event_log_storage
    storage.store_event(_materialization("r", "a"))
    assert storage._engines
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_engines, args=(storage, queue))
    child.start()
    child.join(30)
    assert queue.get(timeout=5) == 0
    # the parent's connections are untouched
    assert storage._engines and len(storage.get_logs_for_run("r")) == 1
    instance.dispose()
