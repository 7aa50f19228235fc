"""Landing as Dagster assets: one ``bronze/<source>`` asset per source, with two checks on
each: conservation (blocking: a record lost) and deliveries_landed (a warning: a delivery
refused whole).

``xapi`` and ``access`` are daily-partitioned (local dates) with a single-run backfill
policy. A run over a date range lands every new delivery of the source whole (a file is
read once, whatever dates it holds); dates it touched outside the range are reported as
extra partition materializations. With ``rebuild`` (config, or run tag
``eduhouse/rebuild=true``) already-landed deliveries holding requested dates are landed
again from the immutable inbox; their per-delivery files are overwritten, so this is
idempotent.
"""


from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.cluster.tasks import ClusterTasks
from orchestration.errors import UserError
from orchestration.lake import SOURCES, LakePaths
from orchestration.landing import conservation, ledger
from orchestration.landing.core import PARTITIONED, SOURCE_TABLES, LandingSummary, to_land
from orchestration.landing.exam_partitions import register_exam_partitions
from orchestration.landing.on_cluster import land_on_cluster
from orchestration.landing.sources import LANDERS, NEEDS_ROSTER
from orchestration.partitions import daily_partitions
from orchestration.resources import EngineResource, LakeResource

REBUILD_TAG = "eduhouse/rebuild"


class LandingConfig(dg.Config):
    rebuild: bool = False  # land already-landed deliveries again (requested dates only)


def asset_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["bronze", source])


def _dates(start: str, end: str) -> list[str]:
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def rows_by_date(lake_root: Path, source: str, dates: list[str]) -> dict[str, int]:
    """Bronze rows per local date, recounted from the Parquet footers."""
    table = SOURCE_TABLES[source][0]
    table_dir = LakePaths(Path(lake_root)).bronze / source / table
    counts = dict.fromkeys(dates, 0)
    if not any(table_dir.glob("local_date=*/*.parquet")):
        return counts
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT regexp_extract(file_name, 'local_date=(\\d{4}-\\d{2}-\\d{2})', 1), sum(num_rows) "
            "FROM parquet_file_metadata(?) GROUP BY 1", [str(table_dir / "local_date=*" / "*.parquet")]
        ).fetchall()
    finally:
        con.close()
    for d, n in rows:
        if d in counts:
            counts[d] = int(n)
    return counts


def _rebuild_ids(lake_root: Path, source: str, dates: list[str] | None) -> list[str]:
    wanted = set(dates or [])
    out = []
    for r in ledger.read_ledger(lake_root, source):
        if r["status"] != "landed":
            continue
        if dates is None or wanted & set(r["local_dates"] or []):
            out.append(r["delivery_id"])
    return out


def _metadata(summary: LandingSummary) -> dict:
    return {
        "deliveries": dg.MetadataValue.json(summary.by_status()),
        "delivery_ids": dg.MetadataValue.json([d.delivery_id for d in summary.deliveries]),
        "records_in": summary.records_in,
        "landed": summary.landed,
        "quarantined": summary.quarantined,
        "rows_by_table": dg.MetadataValue.json(summary.tables),
        "quarantine_by_reason": dg.MetadataValue.json(summary.reasons),
    }


def _land_on_cluster(context, root: Path, source: str, timezone: str, engine: EngineResource,
                     rebuild_ids: list[str]) -> LandingSummary:
    """Engine spark: the deliveries land as tasks on the cluster, one per delivery."""
    try:
        tasks = ClusterTasks.for_lake(root, engine.spark_master, f"eduhouse landing {source} ({root})")
    except UserError as exc:
        raise dg.Failure(str(exc)) from None
    context.log.info(f"{source}: landing on the Spark cluster at {tasks.master}")
    with tasks:
        return land_on_cluster(tasks, root, source, timezone, rebuild=rebuild_ids)


def _build_asset(source: str) -> dg.AssetsDefinition:
    key = asset_key(source)
    partitioned = source in PARTITIONED
    lander = LANDERS[source]

    @dg.asset(
        key=key,
        group_name="landing",
        deps=[asset_key("roster")] if source in NEEDS_ROSTER else [],
        partitions_def=daily_partitions if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        kinds={"parquet", "duckdb", "spark"},
        description=f"Inbox deliveries of {source} validated into bronze/{source} (+ quarantine, ledger).",
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource, config: LandingConfig,
               engine: EngineResource):
        root = Path(lake.root)
        rebuild = config.rebuild or context.run.tags.get(REBUILD_TAG, "").lower() == "true"
        dates = None
        if partitioned:
            rng = context.partition_key_range
            dates = _dates(rng.start, rng.end)
        rebuild_ids = _rebuild_ids(root, source, dates) if rebuild else []
        if engine.name == "spark" and to_land(root, source, rebuild_ids):
            summary = _land_on_cluster(context, root, source, lake.timezone, engine, rebuild_ids)
        else:
            summary = lander(root, lake.timezone, rebuild=rebuild_ids)
        if source == "exams":  # exam marts are partitioned by exam: register new ones
            register_exam_partitions(context.instance, root)
        for d in summary.deliveries:
            context.log.info(f"{source}/{d.delivery_id}: {d.status} in={d.records_in} "
                             f"landed={d.landed} quarantined={d.quarantined}")
        metadata = _metadata(summary)
        if rebuild_ids:
            metadata["rebuilt"] = dg.MetadataValue.json(rebuild_ids)
        if partitioned:
            metadata["rows_by_date"] = dg.MetadataValue.json(rows_by_date(root, source, dates))
            outside = sorted(set(summary.local_dates) - set(dates))
            for d in outside:
                if daily_partitions.has_partition_key(d):
                    context.log_event(dg.AssetMaterialization(
                        asset_key=key, partition=d,
                        metadata={"rows": summary.rows_by_date.get(d, 0),
                                  "note": "landed by a run for another date range"}))
                else:
                    context.log.warning(f"{source}: records dated {d} are outside the partitions")
            metadata["dates_outside_range"] = dg.MetadataValue.json(outside)
        return dg.MaterializeResult(metadata=metadata)

    return _asset


def _build_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset_key(source), name="conservation", blocking=True,
                    description="records in = landed + quarantined + expired for every ledgered delivery, "
                                "recounted from bronze and quarantine files (expired: deleted by retention, "
                                "which recorded them)")
    def _check(lake: LakeResource) -> dg.AssetCheckResult:
        report = conservation.check(Path(lake.root), source)
        return dg.AssetCheckResult(
            passed=report.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "deliveries": report.deliveries,
                "records_in": report.records_in,
                "landed": report.landed,
                "quarantined": report.quarantined,
                "expired": report.expired,
                "mismatches": dg.MetadataValue.json(report.mismatches[:50]),
                "orphan_deliveries": dg.MetadataValue.json(report.orphans[:50]),
            },
        )

    return _check


def refused_deliveries(lake_root: Path, source: str, delivery_ids: set[str]) -> list[dict]:
    """Of ``delivery_ids``, the ledger rows of deliveries that landed no record: unreadable
    (a broken gzip, an unknown encoding, a roster folder without its manifest) or with
    every record quarantined. A duplicate delivery is not refused: its records landed the
    first time."""
    return [
        {k: r.get(k) for k in ("delivery_id", "status", "records_in", "quarantined", "reason")}
        for r in ledger.read_ledger(lake_root, source)
        if r["delivery_id"] in delivery_ids and r["status"] != "duplicate" and not (r.get("landed") or 0)
    ]


def _landed_deliveries(context: dg.AssetCheckExecutionContext, key: dg.AssetKey) -> set[str]:
    """The deliveries (``delivery_ids``) of the asset's materialization in this run or, for
    the check run alone (from the UI), of its latest one: the landing being judged."""
    def named(records) -> set[str] | None:
        for record in records:
            materialization = record.asset_materialization
            if materialization is not None and materialization.asset_key == key \
                    and "delivery_ids" in materialization.metadata:
                return set(materialization.metadata["delivery_ids"].value)
        return None

    in_run = named(context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records)
    if in_run is not None:
        return in_run
    # newest first; a ranged landing's extra days (no delivery_ids) come before its range
    latest = named(context.instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=20).records)
    return latest or set()


def _build_refusal_check(source: str) -> dg.AssetChecksDefinition:
    key = asset_key(source)

    @dg.asset_check(asset=key, name="deliveries_landed", blocking=False,
                    description="warns when a delivery this landing took landed no record (unreadable, or "
                                "every record quarantined): the ledger and the quarantine say why; not "
                                "blocking, the other deliveries land")
    def _check(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
        # Only the contract blocks: a refused file is quarantined whole with its reason, and
        # conservation proves nothing was lost; this says so where a data engineer looks,
        # the run's checks, rather than only in the quarantine lines of `eduhouse status`.
        ids = _landed_deliveries(context, key)
        refused = refused_deliveries(Path(lake.root), source, ids)
        return dg.AssetCheckResult(
            passed=not refused,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{len(refused)} of {len(ids)} deliveries landed no record" if refused else None,
            metadata={
                "deliveries": len(ids),
                "refused": len(refused),
                "refused_deliveries": dg.MetadataValue.json(refused[:50]),
            },
        )

    return _check


landing_assets = [_build_asset(s) for s in SOURCES]
landing_checks = [_build_check(s) for s in SOURCES] + [_build_refusal_check(s) for s in SOURCES]
