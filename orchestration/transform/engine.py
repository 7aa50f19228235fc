"""What a dbt invocation needs for the engine at hand (the ``engine`` resource).

DuckDB needs nothing more than the lake: the profile's default target opens
``<lake>/warehouse/eduhouse.duckdb``. Spark (profile target ``spark``, dbt-spark's
``session`` method) runs its driver inside dbt's process and its executors on a
standalone cluster: the lake's own (``eduhouse cluster up``) unless a master is
configured. Its metastore (Derby) and table files live under ``<lake>/warehouse/spark``,
so a Spark build belongs to its lake as the DuckDB file does.

The pseudonym key reaches Spark as its two HMAC pads in hex, in settings Spark substitutes
into the SQL when it parses it (macros/pseudonymize.sql); they never enter compiled SQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from orchestration.cluster.standalone import LOG4J2, Cluster, cluster_dir, resolve_master
from orchestration.errors import UserError
from orchestration.lake import LakePaths
from orchestration.privacy.pseudonym import hmac_pads, load_key
from orchestration.resources import EngineResource


def spark_warehouse(lake: LakePaths) -> Path:
    return lake.root / "warehouse" / "spark"


def hive_resources_dir(lake: LakePaths) -> Path:
    """The Hive sessions' resources folder (`hive.downloaded.resources.dir`): the lake's."""
    return cluster_dir(lake.root) / "hive-resources"


def spark_master(engine: EngineResource, lake: LakePaths) -> tuple[str, Cluster | None]:
    """The configured master, else the lake's running cluster (returned too, for its
    sizes); a clear error otherwise."""
    try:
        return resolve_master(lake.root, engine.spark_master)
    except UserError as exc:
        raise dg.Failure(str(exc)) from None


def driver_memory() -> str:
    """The Spark driver's heap: EDUHOUSE_SPARK_DRIVER_MEMORY, else a quarter of this
    machine's memory, from 2g to 8g. The driver runs inside dbt's process and holds query
    plans and broadcast sides: a district fits 2g, a city week needed 6g (docs/scaleout.md).
    The JVM takes its heap as it grows, so a larger cap costs nothing until it is used."""
    if os.environ.get("EDUHOUSE_SPARK_DRIVER_MEMORY"):
        return os.environ["EDUHOUSE_SPARK_DRIVER_MEMORY"]
    quarter_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4 // 2**30
    return f"{min(8, max(2, quarter_gib))}g"


def engine_env(engine: EngineResource, lake: LakePaths) -> dict[str, str]:
    """Environment variables for one dbt invocation on ``engine`` (profiles.yml reads them)."""
    if engine.name != "spark":
        return {"EDUHOUSE_DBT_TARGET": "dev"}
    master, cluster = spark_master(engine, lake)
    ipad, opad = hmac_pads(load_key(lake.root))
    spark_warehouse(lake).mkdir(parents=True, exist_ok=True)
    ops = cluster_dir(lake.root)
    ops.mkdir(parents=True, exist_ok=True)
    env = {
        "EDUHOUSE_DBT_TARGET": "spark",
        "EDUHOUSE_SPARK_MASTER": master,
        "EDUHOUSE_SPARK_HMAC_IPAD": ipad.hex(),
        "EDUHOUSE_SPARK_HMAC_OPAD": opad.hex(),
        "EDUHOUSE_SPARK_DRIVER_MEMORY": driver_memory(),
        # Derby writes derby.log into its home; Spark logs at WARN, not INFO.
        "EDUHOUSE_SPARK_DRIVER_OPTS": f"-Dderby.system.home={ops} -Dlog4j2.configurationFile=file:{LOG4J2}",
        # Each dbt invocation's Hive session makes a resources folder, by default
        # /tmp/<session id>_resources, and never removes it: four a Spark build of the
        # suite. The lake's own folder instead, one for every session (it stays empty:
        # nothing adds Hive resources).
        "EDUHOUSE_SPARK_HIVE_RESOURCES": str(hive_resources_dir(lake)),
    }
    if cluster is not None:
        # An executor takes what its worker offers, no more.
        env["EDUHOUSE_SPARK_EXECUTOR_MEMORY"] = cluster.memory_per_worker
    return env
