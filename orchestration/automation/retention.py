"""Retention: delete expired bronze days, quarantine files and old reports, and say so.

Bronze of the time-based sources is stored per `local_date=` folder, so a day expires as
one folder. Quarantine files expire by their newest `quarantined_at`; reports by file
modification time. Access logs (bronze and quarantine) are kept at least 180 days
whatever the setting, because the governance audit reads them. Every removal is logged
to `<lake>/ops/retention.jsonl`, one line per run. Before a bronze or quarantine file is
deleted its records are counted by delivery and recorded (landing/expired.py), so the
conservation check counts them as expired instead of lost.
"""


import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from orchestration.automation.retries import TRANSIENT_RETRY
from orchestration.automation.selections import RETENTION_KEY
from orchestration.lake import SOURCES, LakePaths
from orchestration.landing.expired import record_removal
from orchestration.resources import LakeResource
from orchestration.settings import OpsConfig

_DATE_DIR = re.compile(r"^local_date=(\d{4}-\d{2}-\d{2})$")


def expired_bronze_days(lake_root: Path, today: date, config: OpsConfig) -> list[Path]:
    out = []
    for source in SOURCES:
        days = config.retention_for("bronze", source)
        source_dir = LakePaths(Path(lake_root)).bronze / source
        if days is None or not source_dir.is_dir():
            continue
        cutoff = today - timedelta(days=days)
        for folder in source_dir.glob("*/local_date=*"):
            match = _DATE_DIR.match(folder.name)
            if match and folder.is_dir() and date.fromisoformat(match.group(1)) < cutoff:
                out.append(folder)
    return sorted(out)


def expired_quarantine(lake_root: Path, now: datetime, config: OpsConfig) -> list[Path]:
    out: list[Path] = []
    con = duckdb.connect()
    try:
        for source in SOURCES:
            days = config.retention_for("quarantine", source)
            files = sorted((LakePaths(Path(lake_root)).quarantine / source).glob("*.parquet"))
            if days is None or not files:
                continue
            cutoff = now - timedelta(days=days)
            rows = con.execute(
                "SELECT filename FROM read_parquet(?, filename = true, union_by_name = true) "
                "GROUP BY filename HAVING max(quarantined_at) < ?",
                [[str(f) for f in files], cutoff],
            ).fetchall()
            out.extend(Path(r[0]) for r in rows)
    finally:
        con.close()
    return sorted(out)


def expired_reports(lake_root: Path, now: datetime, config: OpsConfig) -> list[Path]:
    days = config.retention_for("reports")
    reports = LakePaths(Path(lake_root)).reports
    if days is None or not reports.is_dir():
        return []
    cutoff = (now - timedelta(days=days)).timestamp()
    return sorted(p for p in reports.rglob("*") if p.is_file() and p.stat().st_mtime < cutoff)


def _record(lake_root: Path, bronze_days: list[Path], quarantine_files: list[Path], now: datetime) -> None:
    """Each source's expiring records, by delivery and file, before anything is deleted."""
    paths = LakePaths(lake_root)
    for source in SOURCES:
        bronze = [f for day in bronze_days if day.is_relative_to(paths.bronze / source)
                  for f in sorted(day.rglob("*.parquet")) if not f.name.startswith(".")]
        record_removal(lake_root, source, "bronze", bronze, now)
        quarantined = [f for f in quarantine_files if f.is_relative_to(paths.quarantine / source)]
        record_removal(lake_root, source, "quarantine", quarantined, now)


def apply_retention(lake_root: Path, timezone: str, config: OpsConfig | None = None,
                    now: datetime | None = None, dry_run: bool = False) -> dict:
    """Delete what has expired; returns (and logs) what was removed, by kind."""
    config = config or OpsConfig.from_env()
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(timezone)).date()
    lake_root = Path(lake_root)
    removed = {
        "bronze_days": expired_bronze_days(lake_root, today, config),
        "quarantine_files": expired_quarantine(lake_root, now, config),
        "report_files": expired_reports(lake_root, now, config),
    }
    if not dry_run:
        _record(lake_root, removed["bronze_days"], removed["quarantine_files"], now)
        for folder in removed["bronze_days"]:
            shutil.rmtree(folder, ignore_errors=True)
        for path in removed["quarantine_files"] + removed["report_files"]:
            path.unlink(missing_ok=True)
    summary = {
        "at": now.isoformat(timespec="seconds"),
        "dry_run": dry_run,
        "settings": {k: config.retention_for(k) for k in ("bronze", "quarantine", "reports")},
        **{k: [str(p.relative_to(lake_root)) for p in v] for k, v in removed.items()},
    }
    if not dry_run:
        log = LakePaths(Path(lake_root)).ops / "retention.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(summary) + "\n")
    return summary


@dg.asset(
    key=RETENTION_KEY,
    group_name="ops",
    retry_policy=TRANSIENT_RETRY,
    description="Deletes expired bronze days, quarantine files and reports (EDUHOUSE_RETENTION_*_DAYS).",
)
def retention(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    summary = apply_retention(lake.paths.root, lake.timezone)
    for kind in ("bronze_days", "quarantine_files", "report_files"):
        for path in summary[kind]:
            context.log.info(f"retention removed {kind[:-1].replace('_', ' ')}: {path}")
    return dg.MaterializeResult(metadata={
        "bronze_days_removed": len(summary["bronze_days"]),
        "quarantine_files_removed": len(summary["quarantine_files"]),
        "report_files_removed": len(summary["report_files"]),
        "removed": dg.MetadataValue.json({k: summary[k] for k in ("bronze_days", "quarantine_files", "report_files")}),
        "settings": dg.MetadataValue.json(summary["settings"]),
    })
