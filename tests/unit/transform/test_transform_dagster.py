"""The dbt project as Dagster assets: keys, groups, lineage from landing, checks, the
three partitioned sets beside the unpartitioned one, and a real materialization that
publishes mart exports into place."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import bronze_fixture  # noqa: E402

from orchestration.partitions import daily_partitions, monthly_partitions  # noqa: E402
from orchestration.resources import EngineResource, LakeResource  # noqa: E402
from orchestration.transform import definitions as transform_defs  # noqa: E402
from orchestration.transform.assets import DBT_POOL, OP_NAMES  # noqa: E402

# The partitioned sets; the dbt project tags its models partition_<kind> (interfaces.md).
EXPECTED = {
    "eduhouse_dbt_daily": ("intermediate/int_activity_daily", daily_partitions),
    "eduhouse_dbt_monthly": ("marts/usage_monthly", monthly_partitions),
    "eduhouse_dbt_exam": ("marts/student_exam", None),
}


@pytest.fixture(scope="module")
def dbt_defs() -> dict[str, dg.AssetsDefinition]:
    assets = {a.op.name: a for a in transform_defs.defs.assets or []}
    assert assets, "the dbt manifest did not load (dbt parse failed?)"
    return assets


@pytest.fixture(scope="module")
def dbt_assets_def(dbt_defs) -> dg.AssetsDefinition:
    """The unpartitioned dbt assets."""
    return dbt_defs[OP_NAMES[None]]


@pytest.fixture(scope="module")
def graph():
    return dg.Definitions.merge(
        transform_defs.defs, dg.Definitions(resources={"lake": LakeResource(root="/tmp/unused")})
    ).resolve_asset_graph()


def test_models_are_assets_by_layer(dbt_defs, dbt_assets_def):
    keys = {key.to_user_string() for a in dbt_defs.values() for key in a.keys}
    for expected in ("staging/stg_xapi__statements", "staging/stg_roster__enrollments",
                     "intermediate/int_enrollments_effective", "intermediate/int_activity_daily",
                     "marts/usage_monthly", "marts/microtest_monthly", "marts/student_identity", "marts/staff_scope"):
        assert expected in keys
    groups = {a.group_names_by_key[k] for a in dbt_defs.values() for k in a.keys
              if k in (dg.AssetKey(["marts", "usage_monthly"]), dg.AssetKey(["staging", "stg_roster__orgs"]))}
    assert groups == {"marts", "staging"}
    assert {a.op.pool for a in dbt_defs.values()} == {DBT_POOL}


def test_partitioned_sets_by_tag(dbt_defs, dbt_assets_def):
    assert set(dbt_defs) == {OP_NAMES[None], *EXPECTED}, "a partition tag set is missing from the dbt project"
    assert dbt_assets_def.partitions_def is None
    for name, (member, partitions_def) in EXPECTED.items():
        assets = dbt_defs[name]
        kind = name.rsplit("_", 1)[1]
        if partitions_def is None:
            assert isinstance(assets.partitions_def, dg.DynamicPartitionsDefinition)
            assert assets.partitions_def.name == "exam"
        else:
            assert assets.partitions_def == partitions_def
        assert assets.backfill_policy == dg.BackfillPolicy.single_run()
        assert dg.AssetKey(member.split("/")) in assets.keys
        for spec in assets.specs:
            assert spec.tags.get("eduhouse/partition") == kind and f"partition_{kind}" in spec.tags
            assert spec.automation_condition is not None
    assert all("eduhouse/partition" not in s.tags for s in dbt_assets_def.specs)
    monthly = {k.to_user_string() for k in dbt_defs["eduhouse_dbt_monthly"].keys}
    assert {"marts/usage_monthly", "marts/microtest_monthly"} <= monthly


def test_split_keeps_every_test_as_one_check(dbt_defs):
    """Each dbt test attached to a model is a check of exactly one of the four sets, as in
    one definition over the whole manifest (none lost to the split)."""
    from dagster_dbt import dbt_assets

    from orchestration.transform.assets import load_manifest
    from orchestration.transform.translator import EduhouseDbtTranslator

    @dbt_assets(manifest=load_manifest(), dagster_dbt_translator=EduhouseDbtTranslator())
    def whole(context):
        return None

    split = [c.key for a in dbt_defs.values() for c in a.check_specs]
    assert len(split) == len(set(split))
    assert set(split) == {c.key for c in whole.check_specs}
    assert sum(len(a.keys) for a in dbt_defs.values()) == len(whole.keys)


def test_dependencies_across_partitionings():
    from orchestration.landing.definitions import defs as landing_defs

    graph = dg.Definitions.merge(
        landing_defs, transform_defs.defs, dg.Definitions(resources={"lake": LakeResource(root="/tmp/unused")})
    ).resolve_asset_graph()
    # The unsuppressed monthly figures read the daily table; the public mart reads them.
    usage = dg.AssetKey(["intermediate", "int_usage_monthly"])
    daily = dg.AssetKey(["intermediate", "int_activity_daily"])
    assert daily in graph.get(usage).parent_keys
    assert usage in graph.get(dg.AssetKey(["marts", "usage_monthly"])).parent_keys
    assert isinstance(graph.get_partition_mapping(usage, daily), dg.TimeWindowPartitionMapping)
    stg = dg.AssetKey(["staging", "stg_xapi__statements"])
    mapping = graph.get_partition_mapping(stg, dg.AssetKey(["bronze", "xapi"]))
    assert mapping.get_upstream_mapped_partitions_result_for_partitions(
        daily_partitions.subset_with_partition_keys(["2021-10-05"]), daily_partitions, daily_partitions
    ).partitions_subset.get_partition_keys() == ["2021-10-05"]  # the same day


def test_time_and_exam_partitions_map_to_all():
    from orchestration.transform.translator import EduhouseDbtTranslator

    translator = EduhouseDbtTranslator()
    exam = {"resource_type": "model", "name": "e", "tags": ["partition_exam"]}
    day = {"resource_type": "model", "name": "d", "tags": ["partition_daily"]}
    xapi = {"resource_type": "source", "meta": {"dagster": {"asset_key": ["bronze", "xapi"]}}}
    assert isinstance(translator.get_partition_mapping(exam, day), dg.AllPartitionMapping)
    assert isinstance(translator.get_partition_mapping(exam, xapi), dg.AllPartitionMapping)
    assert translator.get_partition_mapping(day, xapi) is None  # Dagster's default: the same day


def test_landing_feeds_staging(graph):
    assert dg.AssetKey(["bronze", "roster"]) in graph.get(dg.AssetKey(["staging", "stg_roster__orgs"])).parent_keys
    assert dg.AssetKey(["bronze", "xapi"]) in graph.get(dg.AssetKey(["staging", "stg_xapi__statements"])).parent_keys


def test_dbt_tests_are_asset_checks(dbt_defs):
    checks = {(c.asset_key.to_user_string(), c.name) for a in dbt_defs.values() for c in a.check_specs}
    assert any(key == "marts/usage_monthly" and "not_null" in name for key, name in checks)
    assert any(name == "assert_usage_rates_within_bounds" for _, name in checks)


def test_public_marts_carry_column_classifications(dbt_defs):
    spec = next(s for a in dbt_defs.values() for s in a.specs if s.key == dg.AssetKey(["marts", "usage_monthly"]))
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
        resources={"dbt": transform_defs.defs.resources["dbt"], "lake": LakeResource(root=str(lake)), "engine": EngineResource()},
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


def test_unpartitioned_run_skips_tests_of_partitioned_models_never_built():
    """On a fresh lake the unpartitioned run may come before an exam's first partition:
    tests that read the exam tables are left out until those tables exist."""
    import json

    from orchestration.transform.project import MANIFEST_PATH
    from orchestration.transform.selection import tests_on_unbuilt, tests_reading_partitioned

    reading = tests_reading_partitioned(json.loads(MANIFEST_PATH.read_text()))
    scores = dg.AssetKey(["staging", "stg_exams__scores"])
    relationship = "relationships_stg_exams__scores_exam_id__exam_id__ref_stg_exams__exams_"
    assert relationship in reading[scores]
    with dg.DagsterInstance.ephemeral() as instance:
        assert relationship in tests_on_unbuilt(instance, reading)
        instance.report_runless_asset_event(dg.AssetMaterialization(scores, partition="ex-1"))
        assert relationship not in tests_on_unbuilt(instance, reading)
