"""Every dbt model as a Dagster asset, every dbt test as an asset check.

One ``dbt build`` per run (subset to the selected assets by dagster-dbt), in the
``duckdb_warehouse`` pool because only one process may open the warehouse. The models
are unpartitioned in Dagster: incremental models decide inside dbt which local dates a
run rebuilds (ledger-driven), so a new day costs a day's work whatever triggers it.
"""

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.resources import LakeResource
from orchestration.transform.project import (
    MANIFEST_PATH,
    dbt_env,
    eduhouse_dbt_project,
    ensure_manifest,
    prepare_lake,
)
from orchestration.transform.publish import exports_by_asset_key, publish_export
from orchestration.transform.translator import EduhouseDbtTranslator

log = logging.getLogger(__name__)
DBT_POOL = "duckdb_warehouse"


@contextlib.contextmanager
def _environ(overrides: Mapping[str, str]) -> Iterator[None]:
    """dbt reads the lake from the environment; set it only for this invocation."""
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def load_manifest() -> dict | None:
    """The parsed manifest; a stale one (with a warning) when ``dbt parse`` fails, so one
    broken model does not take the whole code location down."""
    try:
        ensure_manifest()
    except Exception as error:  # noqa: BLE001 - surface any parse failure as a warning
        stderr = getattr(error, "stderr", "") or getattr(error, "stdout", "") or ""
        log.warning("dbt parse failed; using the previous manifest if any: %s %s", error, stderr[-2000:])
    if not MANIFEST_PATH.exists():
        return None
    return json.loads(MANIFEST_PATH.read_text())


def build_dbt_assets(manifest: dict) -> dg.AssetsDefinition:
    exports = exports_by_asset_key(manifest)

    @dbt_assets(
        manifest=manifest,
        project=eduhouse_dbt_project,
        dagster_dbt_translator=EduhouseDbtTranslator(),
        pool=DBT_POOL,
    )
    def eduhouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
        """dbt build of the selected models and their tests; marts exported to Parquet.

        An export is published (renamed into place) only when its model was built in this
        run and none of its error-severity tests failed, so readers never see a mart that
        failed its checks, nor a half-written file.
        """
        paths = lake.paths
        prepare_lake(paths)
        built: set[dg.AssetKey] = set()
        failed: set[dg.AssetKey] = set()
        with _environ(dbt_env(lake.root, lake.timezone, lake.min_cell, lake.top_n)):
            invocation = dbt.cli(["build"], context=context, raise_on_error=False)
            for event in invocation.stream():
                yield event
                key = _event_asset_key(context, event)
                if isinstance(event, dg.AssetCheckResult):
                    if not event.passed and event.severity == dg.AssetCheckSeverity.ERROR:
                        failed.add(event.asset_key)
                elif key is not None:
                    built.add(key)
        for key in sorted(built - failed, key=lambda k: k.to_user_string()):
            if key in exports:
                publish_export(paths, *exports[key])
        error = invocation.get_error()
        if error is not None:
            raise error

    return eduhouse_dbt_models


def _event_asset_key(context: dg.AssetExecutionContext, event: object) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        try:
            return context.asset_key_for_output(event.output_name)
        except Exception:  # noqa: BLE001 - not an asset output
            return None
    return getattr(event, "asset_key", None)
