"""Fixtures for operations tests: a temp lake, a real Dagster instance, tiny fake parts.

The fakes stand in for landing and dbt with the same asset keys, groups, partitions and
pool, so the automation is tested against a real instance whatever state the other
parts are in; tests that use the real parts skip when those are missing.
"""

import os
import shutil
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.automation.backfill import INSTANCE_YAML
from orchestration.partitions import daily_partitions
from orchestration.resources import LakeResource

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def lake(tmp_path) -> Path:
    root = tmp_path / "lake"
    root.mkdir()
    return root


@pytest.fixture
def dagster_home(lake, monkeypatch) -> Path:
    """The lake's own instance folder: DAGSTER_HOME may name no other (dagster_home.py)."""
    from orchestration.lake import LakePaths

    home = LakePaths(lake).dagster_home
    home.mkdir(parents=True)
    shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def instance(dagster_home):
    with dg.DagsterInstance.get() as inst:
        yield inst


def put_delivery(lake: Path, source: str, name: str, text: str = "x\n", age_seconds: float = 3600) -> Path:
    """Drop a delivery into the inbox, its mtime `age_seconds` in the past (settled)."""
    path = lake / "inbox" / source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


def _ledger(lake: Path, source: str):
    from orchestration.automation.inbox import scan

    folder = lake / "ledger" / source
    folder.mkdir(parents=True, exist_ok=True)
    for entry in scan(lake, source):
        (folder / f"{entry.delivery_id}.parquet").write_bytes(b"fake")


def fake_parts(lake: Path) -> dg.Definitions:
    """Landing (roster unpartitioned, xapi daily) and a dbt-like mart in the pool."""

    @dg.asset(key=["bronze", "roster"], group_name="landing")
    def roster(lake: LakeResource):
        _ledger(Path(lake.root), "roster")

    @dg.asset(key=["bronze", "xapi"], group_name="landing", partitions_def=daily_partitions,
              backfill_policy=dg.BackfillPolicy.single_run())
    def xapi(context: dg.AssetExecutionContext, lake: LakeResource) -> None:
        for day in context.partition_keys:
            folder = Path(lake.root) / "bronze" / "xapi" / "statements" / f"local_date={day}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "d.parquet").write_bytes(b"fake")
        _ledger(Path(lake.root), "xapi")

    @dg.asset(key=["marts", "fake_mart"], group_name="marts", deps=[roster, xapi], pool="duckdb_warehouse")
    def fake_mart(lake: LakeResource):
        path = Path(lake.root) / "warehouse" / "eduhouse.duckdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")

    return dg.Definitions(assets=[roster, xapi, fake_mart])


def automation_with(parts: dg.Definitions, lake: Path) -> dg.Definitions:
    from orchestration.automation.definitions import defs as automation_defs

    return dg.Definitions.merge(
        parts, automation_defs, dg.Definitions(resources={"lake": LakeResource(root=str(lake))})
    )


def real_landing_ready() -> str | None:
    """None if the real landing part defines the daily xapi asset."""
    try:
        from orchestration.landing.definitions import defs as landing_defs
    except Exception as exc:  # noqa: BLE001 - any import failure means "not ready"
        return f"landing definitions do not import: {exc}"
    keys = {key for a in landing_defs.assets or [] for key in getattr(a, "keys", ())}
    if dg.AssetKey(["bronze", "xapi"]) not in keys:
        return "landing does not define ['bronze', 'xapi'] yet"
    return None


@pytest.fixture
def ops():
    """The helpers above, for test modules (importlib mode cannot import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(put_delivery=put_delivery, fake_parts=fake_parts,
                           automation_with=automation_with, real_landing_ready=real_landing_ready,
                           repo_root=REPO_ROOT)
