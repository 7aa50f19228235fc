"""The lake's Dagster storage (orchestration/instance_storage.py): the event log keeps a
connection per recent shard, and the history it writes is the one Dagster's default
storage reads (the webserver and daemon build that one from dagster.yaml)."""

from __future__ import annotations

import multiprocessing as mp
import time

import dagster as dg
import yaml
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData

from orchestration.dagster_home import DEFAULT_STORAGE, ensure_dagster_home, get_instance
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

    # Dagster's own storage (a lake whose dagster.yaml predates the lake's storage) sees
    # the run: same files, same schema.
    home = str(ensure_dagster_home(tmp_path))
    ref = InstanceRef.from_dir(home)._replace(storage_data=ConfigurableClassData(
        *DEFAULT_STORAGE, yaml.safe_dump({"base_dir": home})))
    default = dg.DagsterInstance.from_ref(ref)
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


def test_commits_skip_the_fsync_in_wal_mode_and_a_known_table_is_not_asked_again(tmp_path, monkeypatch):
    """A kept connection commits with synchronous=NORMAL on a WAL shard (consistent through
    a power cut, durable through a crash of the process); has_table, asked before every
    asset check event on a connection of its own, is answered from memory once yes."""
    instance = get_instance(tmp_path)
    storage = instance.event_log_storage
    storage.store_event(_materialization("r1", "a"))
    for shard in ("r1", "index"):
        with storage._connect(shard) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL (FULL is 2)
    assert storage.supports_asset_checks
    asked = []
    monkeypatch.setattr(SqliteEventLogStorage, "has_table", lambda self, name: asked.append(name) or False)
    assert storage.supports_asset_checks and asked == []
    assert not storage.has_table("no_such_table") and asked == ["no_such_table"]  # a no is asked again
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


def _claim_at_once(lake: str, label: str, pools: list[str], start, claims) -> None:
    """Claim each pool at the same moment as the other process (`start` is a barrier)."""
    instance = get_instance(lake)
    storage = instance.event_log_storage
    for i, pool in enumerate(pools):
        start.wait(30)
        if storage.claim_concurrency_slot(pool, label, "step").is_claimed:
            with claims.get_lock():
                claims[i] += 1
    instance.dispose()


def test_two_processes_claiming_one_slot_at_once_get_it_once(tmp_path):
    # Dagster's own claim selects a free slot, then updates it by id; SQLite ignores the
    # FOR UPDATE, so two processes selecting at the same moment both took the one slot
    # (two dbt steps writing the warehouse at once). The lake's storage claims it in one
    # conditional statement.
    instance = get_instance(tmp_path)
    pools = [f"pool{i}" for i in range(60)]
    for pool in pools:
        instance.event_log_storage.set_concurrency_slots(pool, 1)
    instance.dispose()
    # Forked, not spawned: a spawned child unpickles this test's function by its module
    # name, which pytest's importlib mode does not put on the child's path (CI failed so).
    # Each child builds its own instance; the fork hook drops any inherited connection.
    ctx = mp.get_context("fork")
    start, claims = ctx.Barrier(2), ctx.Array("i", len(pools))
    procs = [ctx.Process(target=_claim_at_once, args=(str(tmp_path), label, pools, start, claims))
             for label in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert list(claims) == [1] * len(pools)


def test_the_webserver_and_daemon_build_the_lake_storage_from_dagster_yaml(tmp_path, monkeypatch):
    # As `make ui` starts them: DAGSTER_HOME is the lake's instance folder. The runs the
    # daemon launches get the same storage (their instance is built from its ref).
    home = ensure_dagster_home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, LakeEventLogStorage)
        assert dg.DagsterInstance.from_ref(instance.get_ref()).event_log_storage.__class__ is LakeEventLogStorage
    # eduhouse's own instance names the folder itself, DAGSTER_HOME or not.
    monkeypatch.delenv("DAGSTER_HOME")
    lake = tmp_path / "other"
    with get_instance(lake) as instance:
        assert isinstance(instance.event_log_storage, LakeEventLogStorage)
        assert (lake / "ops" / "dagster" / "history" / "runs" / "index.db").exists()
