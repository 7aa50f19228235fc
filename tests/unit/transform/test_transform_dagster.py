"""The dbt project as Dagster assets: keys, groups, lineage from landing, checks, and a
real materialization that publishes mart exports into place."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import bronze_fixture  # noqa: E402

from orchestration.resources import LakeResource  # noqa: E402
from orchestration.transform import definitions as transform_defs  # noqa: E402
from orchestration.transform.assets import DBT_POOL  # noqa: E402


@pytest.fixture(scope="module")
def dbt_assets_def() -> dg.AssetsDefinition:
    assets = list(transform_defs.defs.assets or [])
    assert len(assets) == 1, "the dbt manifest did not load (dbt parse failed?)"
    return assets[0]


@pytest.fixture(scope="module")
def graph():
    return dg.Definitions.merge(
        transform_defs.defs, dg.Definitions(resources={"lake": LakeResource(root="/tmp/unused")})
    ).resolve_asset_graph()


def test_models_are_assets_by_layer(dbt_assets_def):
    keys = {key.to_user_string() for key in dbt_assets_def.keys}
    for expected in ("staging/stg_xapi__statements", "staging/stg_roster__enrollments",
                     "intermediate/int_enrollments_effective", "intermediate/int_activity_daily",
                     "marts/usage_monthly", "marts/microtest_monthly", "marts/student_identity", "marts/staff_scope"):
        assert expected in keys
    groups = {dbt_assets_def.group_names_by_key[dg.AssetKey(["marts", "usage_monthly"])],
              dbt_assets_def.group_names_by_key[dg.AssetKey(["staging", "stg_roster__orgs"])]}
    assert groups == {"marts", "staging"}
    assert dbt_assets_def.op.pool == DBT_POOL


def test_landing_feeds_staging(graph):
    assert dg.AssetKey(["bronze", "roster"]) in graph.get(dg.AssetKey(["staging", "stg_roster__orgs"])).parent_keys
    assert dg.AssetKey(["bronze", "xapi"]) in graph.get(dg.AssetKey(["staging", "stg_xapi__statements"])).parent_keys


def test_dbt_tests_are_asset_checks(dbt_assets_def):
    checks = {(c.asset_key.to_user_string(), c.name) for c in dbt_assets_def.check_specs}
    assert any(key == "marts/usage_monthly" and "not_null" in name for key, name in checks)
    assert any(name == "assert_usage_rates_within_bounds" for _, name in checks)


def test_public_marts_carry_column_classifications(dbt_assets_def):
    spec = next(s for s in dbt_assets_def.specs if s.key == dg.AssetKey(["marts", "usage_monthly"]))
    classes = spec.metadata["eduhouse/column_classifications"].data
    assert classes["on_roster"] == "aggregate" and classes["month"] == "attribute"
    assert spec.metadata["eduhouse/export"].text == "marts/usage_monthly.parquet"


def test_materialize_publishes_exports(tmp_path, dbt_assets_def):
    """A real Dagster run of a small subset (org_hierarchy and its upstream models)."""
    lake = tmp_path / "lake"
    bronze_fixture.build_fixture_lake(lake)
    wanted = dg.AssetKey(["marts", "org_hierarchy"])
    selection = dg.AssetSelection.assets(wanted).upstream() - dg.AssetSelection.key_prefixes("bronze")
    result = dg.materialize(
        [dbt_assets_def],
        selection=selection,
        resources={"dbt": transform_defs.defs.resources["dbt"], "lake": LakeResource(root=str(lake))},
    )
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events() if e.asset_key}
    assert materialized == {wanted, dg.AssetKey(["staging", "stg_roster__orgs"]),
                            dg.AssetKey(["intermediate", "int_org_hierarchy"])}
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert checks and all(c.passed for c in checks)
    published = lake / "restricted" / "org_hierarchy.parquet"
    assert published.exists() and not list((lake / "restricted" / ".staging").glob("*.parquet"))
    rows = duckdb.execute(f"select school_sourced_id, district_sourced_id, city_sourced_id from '{published}' "
                          "order by 1").fetchall()
    assert rows == [("S1", "D1", "C1"), ("S2", "D1", "C1")]
