"""The Dagster instance of a lake: `<lake>/ops/dagster`, always.

A lake is a deployment: its run history, dynamic partitions (exams), concurrency slots
and sensor state belong to it, so two lakes used one after the other or at the same
time never see each other's runs. $DAGSTER_HOME, which the webserver and the daemon
need (`make ui` sets it), must name that folder: an instance shared by two lakes would
let a run of one hold the other's warehouse slot, and a mistyped one made `status` read
an empty new instance and say OK of a lake it had never seen (the daemon probe). The
instance's dagster.yaml is the committed one in `orchestration/instance/` (the warehouse
pool, run monitoring, retention).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import yaml
from dagster._serdes import ConfigurableClassData

from orchestration.errors import UserError
from orchestration.lake import LakePaths

INSTANCE_YAML = Path(__file__).parent / "instance" / "dagster.yaml"
WAREHOUSE_POOL = "duckdb_warehouse"
POOL_LIMITS = {WAREHOUSE_POOL: 1}
DEFAULT_STORAGE = ("dagster._core.storage.sqlite_storage", "DagsterSqliteStorage")
LAKE_STORAGE = ("orchestration.instance_storage", "LakeSqliteStorage")
# the compute logs' manager: module name strings, as the storage's (both are named in dagster.yaml)
DEFAULT_LOGS = ("dagster._core.storage.local_compute_log_manager", "LocalComputeLogManager")
LAKE_LOGS = ("orchestration.compute_logs", "LakeComputeLogManager")


def dagster_home_for(lake: Path) -> Path:
    """The lake's own instance folder; $DAGSTER_HOME, when set, must be that folder."""
    own = LakePaths(Path(lake).resolve()).dagster_home
    explicit = os.environ.get("DAGSTER_HOME")
    if explicit and Path(explicit).resolve() != own.resolve():
        raise UserError(f"DAGSTER_HOME={explicit} is not the instance of the lake {Path(lake).resolve()}, which "
                        f"keeps its runs in {own}: unset DAGSTER_HOME (eduhouse finds the lake's own) or set it there")
    return own


def ensure_dagster_home(lake: Path) -> Path:
    home = dagster_home_for(lake)
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(INSTANCE_YAML, target)
    return home


def get_instance(lake: Path) -> dg.DagsterInstance:
    """The lake's instance, with the warehouse pool's limit set before any run claims it.

    Built from its folder, not from the process environment, so one process can serve
    several lakes one after the other (tests, a notebook) without mixing them up: the
    lake's storage (dagster.yaml names it with base_dir from $DAGSTER_HOME, for the
    webserver and daemon) gets the folder's own path here. A lake whose dagster.yaml
    predates that, left to Dagster's SQLite default, gets the lake's storage too (kept
    connections, instance_storage.py: 5.5 → 1.6 ms per stored materialization; the pool
    claimed in one statement); an instance configured otherwise keeps its own. The same
    for the compute logs: the lake's manager mirrors a run's output to the terminal by a
    thread (compute_logs.py), in the same files as Dagster's default."""
    from dagster._core.instance.ref import InstanceRef

    home = ensure_dagster_home(lake)
    ref = InstanceRef.from_dir(str(home))
    data = ref.storage_data
    if data is not None and (data.module_name, data.class_name) in (DEFAULT_STORAGE, LAKE_STORAGE):
        config = yaml.safe_dump({"base_dir": str(home)}, default_flow_style=False)
        ref = ref._replace(storage_data=ConfigurableClassData(*LAKE_STORAGE, config))
    logs = ref.compute_logs_data
    if (logs.module_name, logs.class_name) in (DEFAULT_LOGS, LAKE_LOGS):
        config = yaml.safe_dump({"instance_dir": str(home)}, default_flow_style=False)
        ref = ref._replace(compute_logs_data=ConfigurableClassData(*LAKE_LOGS, config))
    instance = dg.DagsterInstance.from_ref(ref)
    ensure_pools(instance)
    return instance


def ensure_pools(instance: dg.DagsterInstance) -> None:
    """Give each pool its limit unless someone already set one explicitly.

    dagster.yaml's `pools.default_limit: 1` gives a new pool one slot when a step first
    claims it, but two processes claiming a brand-new pool at the same instant can both
    initialise it (SQLite storage has no cross-process lock there). Setting the limit
    once, before any run, closes that window. DuckDB allows one writer: one slot."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return
    current = {p.name: p for p in storage.get_pool_limits()}
    for pool, limit in POOL_LIMITS.items():
        existing = current.get(pool)
        if existing is None or existing.from_default:
            storage.set_concurrency_slots(pool, limit)
