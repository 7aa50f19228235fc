"""transform: the dbt project (staging → intermediate → marts) as Dagster assets."""

from __future__ import annotations

import dagster as dg

from orchestration.resources import engine_resource
from orchestration.transform.assets import build_dbt_assets, load_manifest
from orchestration.transform.dbt_resource import EduhouseDbtCliResource
from orchestration.transform.project import eduhouse_dbt_project
from orchestration.worker import step_dbt_executable


def build_defs() -> dg.Definitions:
    manifest = load_manifest()
    # The engine (EDUHOUSE_ENGINE, `eduhouse run --engine`, a shared resource) decides the
    # dbt project's target and the manifest the dbt assets are built from.
    resources = {"dbt": EduhouseDbtCliResource(project_dir=eduhouse_dbt_project,
                                          dbt_executable=step_dbt_executable()),
                 "engine": engine_resource()}
    if manifest is None:
        return dg.Definitions(resources=resources)
    return dg.Definitions(assets=build_dbt_assets(manifest), resources=resources)


defs = build_defs()
