"""transform: the dbt project (staging → intermediate → marts) as Dagster assets."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.resources import EngineResource
from orchestration.settings import get_settings
from orchestration.transform.assets import build_dbt_assets, load_manifest
from orchestration.transform.project import dbt_executable, eduhouse_dbt_project


def build_defs() -> dg.Definitions:
    manifest = load_manifest()
    # The engine (EDUHOUSE_ENGINE, `eduhouse run --engine`) belongs to the dbt assets: the
    # project's target and the manifest they are built from follow it.
    resources = {"dbt": DbtCliResource(project_dir=eduhouse_dbt_project, dbt_executable=dbt_executable()),
                 "engine": EngineResource.from_settings(get_settings())}
    if manifest is None:
        return dg.Definitions(resources=resources)
    return dg.Definitions(assets=build_dbt_assets(manifest), resources=resources)


defs = build_defs()
