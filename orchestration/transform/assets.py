"""Every dbt model as a Dagster asset, every dbt test as an asset check.

Four ``@dbt_assets`` over the one manifest, chosen by the models' dbt tags:
``partition_daily`` (daily, district-local dates), ``partition_monthly`` (monthly),
``partition_exam`` (one partition per exam, registered when exams land) and the rest,
unpartitioned. Dependencies between them come from the manifest. Each is one
``dbt build`` per run (subset to the selected assets by dagster-dbt), in the
``duckdb_warehouse`` pool because only one process may open the warehouse. A partitioned
run passes its partitions to dbt as JSON in ``EDUHOUSE_DBT_PARTITIONS``
(``partition_dates`` / ``partition_months`` / ``partition_exams``, plus ``rebuild`` under
the run tag ``eduhouse/rebuild=true``); the time partitions run a whole range in one run
(single-run backfill policy), and so do ranges of exams.
"""

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dagster_home import WAREHOUSE_POOL
from orchestration.faults import fault_point
from orchestration.partitions import daily_partitions, exam_partitions, is_rebuild, monthly_partitions
from orchestration.resources import EngineResource, LakeResource
from orchestration.transform.engine import engine_env
from orchestration.transform.project import (
    MANIFEST_PATH,
    dbt_env,
    eduhouse_dbt_project,
    ensure_manifest,
    prepare_lake,
)
from orchestration.transform.publish import exports_by_asset_key, publish_export
from orchestration.transform.selection import (
    dbt_selection,
    extra_tests,
    partition_kinds,
    routed_tests,
    tests_on_unbuilt,
    tests_reading_partitioned,
)
from orchestration.transform.translator import EduhouseDbtTranslator

log = logging.getLogger(__name__)
DBT_POOL = WAREHOUSE_POOL  # DuckDB allows one writer: every dbt step takes its one slot
# Partitioning → (partitions definition, dbt selection). The unpartitioned assets are the rest.
PARTITIONINGS: dict[str, dg.PartitionsDefinition] = {
    "daily": daily_partitions,
    "monthly": monthly_partitions,
    "exam": exam_partitions,
}
# The partitions a run asks dbt for (dbt_project/macros/partitions.sql reads it at execution).
PARTITIONS_ENV = "EDUHOUSE_DBT_PARTITIONS"
PARTIAL_PARSE = "partial_parse.msgpack"
KEPT_TARGETS = 10  # invocation target folders kept under <lake>/ops/dbt/target
OP_NAMES = {None: "eduhouse_dbt_models", "daily": "eduhouse_dbt_daily", "monthly": "eduhouse_dbt_monthly",
            "exam": "eduhouse_dbt_exam"}


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


def partition_vars(kind: str | None, context: dg.AssetExecutionContext) -> dict:
    """The partition request of a run for dbt: the partitions it was asked for
    (inclusive), and `rebuild`; {} for the unpartitioned assets."""
    if kind is None:
        return {}
    if kind == "exam":
        out: dict = {"partition_exams": list(context.partition_keys)}
    else:
        rng = context.partition_key_range
        if kind == "daily":
            out = {"partition_dates": {"start": rng.start[:10], "end": rng.end[:10]}}
        else:
            out = {"partition_months": {"start": rng.start[:7], "end": rng.end[:7]}}
    if is_rebuild(context.run.tags):
        out["rebuild"] = True
    return out


def build_dbt_assets(manifest: dict) -> list[dg.AssetsDefinition]:
    """The unpartitioned dbt assets, then one definition per partitioning in use."""
    kinds = partition_kinds(manifest)
    routed = routed_tests(manifest)
    return [_build(manifest, kind, routed.get(kind, {})) for kind in (None, *PARTITIONINGS)
            if kind is None or kind in kinds]


def _build(manifest: dict, kind: str | None, routed: dict[str, frozenset[dg.AssetKey]]) -> dg.AssetsDefinition:
    exports = exports_by_asset_key(manifest)
    partitions_def = PARTITIONINGS.get(kind) if kind else None
    reading_partitioned = tests_reading_partitioned(manifest) if kind is None else {}

    @dbt_assets(
        manifest=manifest,
        project=eduhouse_dbt_project,
        dagster_dbt_translator=EduhouseDbtTranslator(),
        name=OP_NAMES[kind],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def is not None else None,
        pool=DBT_POOL,
        **dbt_selection(manifest, kind),
    )
    def _dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource,
                    engine: EngineResource):
        """dbt build of the selected models and their tests; marts exported to Parquet.

        An export is published (renamed into place) only when its model was built in this
        run and none of its error-severity tests failed, so readers never see a mart that
        failed its checks, nor a half-written file.
        """
        paths = lake.paths
        prepare_lake(paths)
        # Unit tests check the SQL, not the data: they run in `make test`, not every run.
        args = ["build", "--exclude-resource-type", "unit_test"]
        extra = extra_tests(routed, set(context.selected_asset_keys))
        if extra:  # tests across partitionings that run when this run builds their last parent
            args += ["--select", " ".join(extra)]
        unbuilt = tests_on_unbuilt(context.instance, reading_partitioned)
        if unbuilt:
            args += ["--exclude", " ".join(unbuilt)]
        # The partition request goes in the environment, not --vars: changed vars make dbt
        # re-parse the whole project (seconds per run); an unpartitioned run clears it.
        request = partition_vars(kind, context)
        if request:
            context.log.info(f"dbt partitions: {json.dumps(request)}")
        # dbt's artifacts and logs (compiled SQL, run results, dbt.log) belong to the lake
        # they were made for: dagster-dbt puts each invocation's folder under DBT_TARGET_PATH.
        paths.dbt_target.mkdir(parents=True, exist_ok=True)
        drop_outdated_partial_parse(paths.dbt_target, Path(dbt.project_dir) / "target" / "manifest.json")
        context.log.info(f"dbt engine: {engine.name}")
        env = {**dbt_env(lake.root, lake.timezone, lake.min_cell, lake.top_n),
               **engine_env(engine, paths),
               PARTITIONS_ENV: json.dumps(request) if request else "",
               "DBT_TARGET_PATH": str(paths.dbt_target)}
        built: set[dg.AssetKey] = set()
        failed: set[dg.AssetKey] = set()
        with _environ(env):
            invocation = dbt.cli(args, context=context, raise_on_error=False)
            for event in invocation.stream():
                yield event
                key = _event_asset_key(context, event)
                if key is not None:
                    fault_point(f"dbt:{key.to_user_string()}")  # crash tests: dbt still running
                if isinstance(event, dg.AssetCheckResult):
                    if not event.passed and event.severity == dg.AssetCheckSeverity.ERROR:
                        failed.add(event.asset_key)
                elif key is not None:
                    built.add(key)
        for key in sorted(built - failed, key=lambda k: k.to_user_string()):
            if key in exports:
                publish_export(paths, *exports[key])
        error = invocation.get_error()
        prune_targets(paths.dbt_target)
        if error is not None:
            raise error
        keep_partial_parse(invocation.target_path, paths.dbt_target)

    return _dbt_models


def prune_targets(target_root: Path, keep: int = KEPT_TARGETS) -> None:
    """dagster-dbt gives every invocation its own target folder (~20 MB: manifest, compiled
    SQL, run results); keep the newest few for debugging, not one per run forever."""
    folders = sorted((p for p in target_root.glob("eduhouse_dbt_*") if p.is_dir()),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


def drop_outdated_partial_parse(lake_target: Path, manifest: Path) -> None:
    """The lake's partial parse predates the project's manifest (the project changed since
    this lake's last dbt step): drop it, so this step's dbt parses the project whole, once
    (5-8 s), as the manifest was. dbt 1.11's partial parse of a change that touches a macro
    and a yml of tests together lost those tests' yml config (project.py: _parse_if_stale)."""
    shared = lake_target / PARTIAL_PARSE
    try:
        if shared.stat().st_mtime < manifest.stat().st_mtime:
            shared.unlink()
    except FileNotFoundError:
        pass


def keep_partial_parse(target_path: Path, lake_target: Path) -> None:
    """Make this invocation's parse the one the next invocation starts from.

    dagster-dbt copies ``<DBT_TARGET_PATH>/partial_parse.msgpack`` (here the lake's
    ``ops/dbt/target``) into each run's own target folder; dbt discards it when the
    profile differs (the lake path is in it), so keeping one per lake saves every run a
    full parse (5-8 s on 2 cores).
    """
    fresh = Path(target_path) / PARTIAL_PARSE
    if not fresh.exists():
        return
    shared = lake_target / PARTIAL_PARSE
    tmp = shared.with_name(f".{PARTIAL_PARSE}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(fresh, tmp)
        os.replace(tmp, shared)
    except OSError as exc:  # an optimisation only
        log.warning("could not keep dbt's partial parse: %s", exc)


def _event_asset_key(context: dg.AssetExecutionContext, event: object) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        try:
            return context.asset_key_for_output(event.output_name)
        except Exception:  # noqa: BLE001 - not an asset output
            return None
    return getattr(event, "asset_key", None)
