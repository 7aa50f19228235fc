"""How dbt nodes become Dagster assets: key ``[<models subfolder>, <model>]``, group =
the subfolder, and each column's privacy classification as metadata (the governance
audit and reviewers read it from the asset).

Partitioning comes from the model's dbt tag (``partition_daily``, ``partition_monthly``,
``partition_exam``; interfaces.md): the asset gets the tag ``eduhouse/partition`` and the
automation condition of its partitioning, and a dependency between a time partitioning and
the exam partitioning maps to all partitions (a day says nothing about which exam)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.conditions import PARTITION_KINDS, PARTITION_TAG, condition_for, seed_condition
from orchestration.lake import TIME_BASED_SOURCES


def model_layer(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The models subfolder a node lives in (fqn = [project, layer, ..., name])."""
    fqn = dbt_resource_props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 else None


def column_classifications(dbt_resource_props: Mapping[str, Any]) -> dict[str, str]:
    columns = dbt_resource_props.get("columns") or {}
    out = {}
    for name, column in columns.items():
        meta = column.get("meta") or (column.get("config") or {}).get("meta") or {}
        if "classification" in meta:
            out[name] = str(meta["classification"])
    return out


def partition_kind(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """'daily' | 'monthly' | 'exam' from a model's ``partition_<kind>`` tag; a dbt source
    of a time-based landing source is 'daily'; None = unpartitioned."""
    if dbt_resource_props.get("resource_type") == "source":
        meta = (dbt_resource_props.get("meta") or {}).get("dagster") or {}
        key = meta.get("asset_key") or []
        return "daily" if len(key) == 2 and key[0] == "bronze" and key[1] in TIME_BASED_SOURCES else None
    tags = set(dbt_resource_props.get("tags") or []) | set((dbt_resource_props.get("config") or {}).get("tags") or [])
    kinds = [kind for kind in PARTITION_KINDS if f"partition_{kind}" in tags]
    if len(kinds) > 1:
        raise ValueError(f"dbt model {dbt_resource_props.get('name')} has several partition tags: {kinds}")
    return kinds[0] if kinds else None


class EduhouseDbtTranslator(DagsterDbtTranslator):
    """Asset keys by layer; sources keep their ``meta.dagster.asset_key`` (bronze/<source>)."""

    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True,
                # Every roster table maps to the one landing asset bronze/roster.
                enable_duplicate_source_asset_keys=True,
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            layer = model_layer(dbt_resource_props) or dbt_resource_props["resource_type"]
            return dg.AssetKey([layer, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            return model_layer(dbt_resource_props) or dbt_resource_props["resource_type"]
        return super().get_group_name(dbt_resource_props)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        kind = partition_kind(dbt_resource_props)
        if kind and dbt_resource_props.get("resource_type") != "source":
            tags[PARTITION_TAG] = kind
        return tags

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        if dbt_resource_props.get("resource_type") == "source":
            return None
        # a seed, or a model that reads nothing (column_classification): no update ever
        # requests it, so it is built when missing
        if dbt_resource_props.get("resource_type") == "seed" or not (
                dbt_resource_props.get("depends_on") or {}).get("nodes"):
            return seed_condition()
        return condition_for(partition_kind(dbt_resource_props))

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> dg.PartitionMapping | None:
        child, parent = partition_kind(dbt_resource_props), partition_kind(dbt_parent_resource_props)
        if child and parent and child != parent and "exam" in (child, parent):
            return dg.AllPartitionMapping()
        return None  # Dagster's default: identity, time window, or all from/to unpartitioned

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check, described: the UI showed "No description provided" for the
        396 generic tests (dagster-dbt reads only a test's meta.description)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return dg.AssetCheckSpec(
            name=spec.name, asset=spec.asset_key, description=check_description(manifest["nodes"][unique_id]),
            additional_deps=spec.additional_deps, blocking=spec.blocking, metadata=spec.metadata,
            automation_condition=spec.automation_condition, partitions_def=spec.partitions_def)

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        classifications = column_classifications(dbt_resource_props)
        if classifications:
            metadata["eduhouse/column_classifications"] = dg.MetadataValue.json(classifications)
        export = export_area(dbt_resource_props)
        if export:
            metadata["eduhouse/export"] = dg.MetadataValue.text(f"{export}/{dbt_resource_props['name']}.parquet")
        return metadata


def export_area(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """'marts' or 'restricted': where the model is exported to Parquet, read from its
    contract's ``meta.exposure`` (public / restricted), the key the export post-hook
    (macros/export_parquet.sql) reads too; None = not exported."""
    meta = (dbt_resource_props.get("config") or {}).get("meta") or dbt_resource_props.get("meta") or {}
    return {"public": "marts", "restricted": "restricted"}.get(meta.get("exposure"))


def _model_named(ref: object) -> str:
    """`ref('student_identity')` as the model's name."""
    text = str(ref or "")
    for junk in ("ref(", ")", "'", '"'):
        text = text.replace(junk, "")
    return text.strip()


def check_description(test: Mapping[str, Any]) -> str:
    """What a dbt test checks, in a line: its own description (a singular test's, from
    its yml), else said from the generic test and its arguments; and whether it blocks."""
    text = (test.get("description") or "").strip()
    generic = (test.get("test_metadata") or {}).get("name")
    kwargs = (test.get("test_metadata") or {}).get("kwargs") or {}
    column = kwargs.get("column_name")
    if not text and generic:
        said = {
            "not_null": f"`{column}` is never NULL.",
            "unique": f"`{column}` has no duplicates.",
            "accepted_values": f"`{column}` is one of {', '.join(map(str, kwargs.get('values') or []))}.",
            "relationships": f"every `{column}` is a `{kwargs.get('field')}` of {_model_named(kwargs.get('to'))}.",
        }.get(generic)
        text = said or f"dbt test `{generic}`" + (f" on `{column}`" if column else "") + "."
    severity = ((test.get("config") or {}).get("severity") or "error").lower()
    return (text or f"dbt test `{test.get('name')}`.") + (
        " Blocking (error): a failure holds back what reads the model." if severity == "error"
        else " A warning: reported, nothing held back.")
