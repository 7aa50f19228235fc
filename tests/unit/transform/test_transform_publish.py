"""Fast checks of the Python glue: export detection, publishing by rename, lake folders."""

from __future__ import annotations

import os
import time

import dagster as dg

from orchestration.lake import LakePaths
from orchestration.transform.project import dbt_env, prepare_lake
from orchestration.transform.publish import exports_by_asset_key, publish_all, publish_export
from orchestration.transform.translator import EduhouseDbtTranslator, column_classifications, export_area


def _node(name: str, layer: str, exposure: str | None) -> dict:
    meta = {"exposure": exposure} if exposure else {}
    return {"resource_type": "model", "name": name, "fqn": ["eduhouse", layer, "x", name],
            "config": {"meta": meta}, "columns": {}}


def test_export_area_from_the_contracts_exposure():
    assert export_area(_node("a", "marts", "public")) == "marts"
    assert export_area(_node("b", "marts", "restricted")) == "restricted"
    assert export_area(_node("c", "marts", None)) is None
    assert export_area(_node("d", "marts", "internal")) is None
    manifest = {"nodes": {"model.x.a": _node("a", "marts", "public")}}
    assert exports_by_asset_key(manifest) == {dg.AssetKey(["marts", "a"]): ("marts", "a")}


def test_translator_keys_and_classifications():
    node = _node("usage_monthly", "marts", None)
    node["columns"] = {"month": {"meta": {"classification": "attribute"}}, "x": {"meta": {}}}
    translator = EduhouseDbtTranslator()
    assert translator.get_asset_key(node) == dg.AssetKey(["marts", "usage_monthly"])
    assert translator.get_group_name(node) == "marts"
    assert column_classifications(node) == {"month": "attribute"}


def test_publish_moves_only_finished_exports(tmp_path):
    lake = LakePaths(tmp_path)
    prepare_lake(lake)
    assert lake.warehouse.parent.is_dir() and (lake.restricted / ".staging").is_dir()
    assert publish_export(lake, "marts", "missing") is None
    (lake.marts_staging / "usage_monthly.parquet").write_bytes(b"new")
    assert publish_export(lake, "marts", "usage_monthly") == lake.marts / "usage_monthly.parquet"
    assert (lake.marts / "usage_monthly.parquet").read_bytes() == b"new"
    # A leftover from before this run (e.g. a killed COPY) is not published.
    stale = lake.restricted / ".staging" / "staff_scope.parquet"
    stale.write_bytes(b"old")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    fresh = lake.restricted / ".staging" / "student_identity.parquet"
    fresh.write_bytes(b"fresh")
    assert publish_all(lake, since=time.time() - 60) == [lake.restricted / "student_identity.parquet"]
    assert stale.exists()


def test_dbt_env_is_absolute(tmp_path):
    env = dbt_env("relative/lake", "Asia/Shanghai", 10, 200)
    assert os.path.isabs(env["EDUHOUSE_LAKE"]) and env["EDUHOUSE_TZ"] == "Asia/Shanghai"
