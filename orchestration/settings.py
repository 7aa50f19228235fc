"""Deployment settings, read once from the environment.

Everything that differs between a laptop, CI and a bureau's server lives here, so no
module reads ``os.environ`` on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REPORTS_DIR = REPO_ROOT / "reports"


# The one place each default lives: functions that take these as parameters default to
# the constants, never to their own literals (dbt's vars read the same environment).
DEFAULT_TIMEZONE = "Asia/Shanghai"  # the district's calendar: days and months are local
DEFAULT_MIN_CELL = 10  # the smallest group a published aggregate may show (docs/privacy.md)
LEAST_MIN_CELL = 2  # the least EDUHOUSE_MIN_CELL a deployment may set: 1 would suppress nothing
DEFAULT_TOP_N = 200  # "top students": within the top N of the district in an exam
# The engine dbt builds the models on: duckdb (one machine) or spark (a cluster;
# docs/scaleout.md). The same models, tests and marts either way.
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


@dataclass(frozen=True)
class Settings:
    lake: Path
    timezone: str = DEFAULT_TIMEZONE
    min_cell: int = DEFAULT_MIN_CELL
    top_n: int = DEFAULT_TOP_N
    # First day of the daily partitions: no delivery may carry an earlier local date.
    partitions_start: str = "2021-01-01"
    alert_webhook_url: str | None = None
    # The most a delivery may expand to (a zip's members, a folder's files): a 1.5 MB zip
    # that inflates to 1.5 GB is quarantined (too_large) instead of filling the disk.
    max_delivery_bytes: int = 4 << 30
    engine: str = DEFAULT_ENGINE
    # spark://host:port of an existing cluster, or local[N]; unset = the lake's own
    # cluster (`eduhouse cluster up`).
    spark_master: str | None = None

    @classmethod
    def from_env(cls, lake: str | Path | None = None) -> Settings:
        env = os.environ
        return cls(
            lake=Path(lake or env.get("EDUHOUSE_LAKE", "lake")).resolve(),
            timezone=env.get("EDUHOUSE_TZ", DEFAULT_TIMEZONE),
            min_cell=_whole("EDUHOUSE_MIN_CELL", DEFAULT_MIN_CELL, least=LEAST_MIN_CELL,
                            why="a group of one is a person: suppression needs 2 or more"),
            top_n=_whole("EDUHOUSE_TOP_N", DEFAULT_TOP_N, least=1),
            partitions_start=env.get("EDUHOUSE_PARTITIONS_START", "2021-01-01"),
            alert_webhook_url=env.get("EDUHOUSE_ALERT_WEBHOOK_URL") or None,
            max_delivery_bytes=_whole("EDUHOUSE_MAX_DELIVERY_BYTES", 4 << 30, least=1),
            engine=_engine(env.get("EDUHOUSE_ENGINE", DEFAULT_ENGINE)),
            spark_master=env.get("EDUHOUSE_SPARK_MASTER") or None,
        )


class SettingError(ValueError):
    """An environment setting the deployment got wrong; ``eduhouse`` prints it as one line."""


def _whole(name: str, default: int, least: int, why: str = "") -> int:
    """A whole-number setting of at least ``least``: a wrong one stops the command with
    its name, never a traceback, and never runs with it (EDUHOUSE_MIN_CELL=0 would
    publish every small group)."""
    raw = os.environ.get(name, str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, got {raw!r}") from None
    if value < least:
        raise SettingError(f"{name} must be at least {least}, got {value}" + (f" ({why})" if why else ""))
    return value


def _engine(name: str) -> str:
    name = name.strip().lower()
    if name not in ENGINES:
        raise SettingError(f"EDUHOUSE_ENGINE must be one of {', '.join(ENGINES)}, got {name!r}")
    return name


def get_settings(lake: str | Path | None = None) -> Settings:
    return Settings.from_env(lake)


# -- operations: retention, links in alerts, inbox settling -----------------------------------------

# Access logs are evidence for the governance audit: kept at least this long.
ACCESS_MIN_RETENTION_DAYS = 180


def _days(name: str, default: int) -> int | None:
    """A retention in days; 0 or 'none' (or empty) keeps data forever."""
    raw = os.environ.get(name, str(default)).strip().lower()
    if raw in ("", "0", "none", "forever"):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number of days (0 or 'none': forever), got {raw!r}") from None
    if value < 0:
        raise SettingError(f"{name} must be a positive number of days, got {raw!r}")
    return value


@dataclass(frozen=True)
class OpsConfig:
    # Bronze is kept unless configured: it is what a full dbt refresh rebuilds from.
    retention_bronze_days: int | None = None
    retention_quarantine_days: int | None = 365
    retention_reports_days: int | None = 400
    dagster_url: str = "http://127.0.0.1:3000"
    # A delivery is landed only once its size and mtime have been still this long,
    # so a file still being copied into the inbox is not landed half-written.
    inbox_settle_seconds: float = 10.0
    alert_webhook_url: str | None = None

    @classmethod
    def from_env(cls) -> OpsConfig:
        env = os.environ
        return cls(
            retention_bronze_days=_days("EDUHOUSE_RETENTION_BRONZE_DAYS", 0),
            retention_quarantine_days=_days("EDUHOUSE_RETENTION_QUARANTINE_DAYS", 365),
            retention_reports_days=_days("EDUHOUSE_RETENTION_REPORTS_DAYS", 400),
            dagster_url=env.get("EDUHOUSE_DAGSTER_URL", "http://127.0.0.1:3000").rstrip("/"),
            inbox_settle_seconds=float(env.get("EDUHOUSE_INBOX_SETTLE_SECONDS", "10")),
            alert_webhook_url=env.get("EDUHOUSE_ALERT_WEBHOOK_URL") or None,
        )

    def retention_for(self, kind: str, source: str | None = None) -> int | None:
        """Days to keep `kind` ('bronze' | 'quarantine' | 'reports'); access ≥ 180."""
        days = getattr(self, f"retention_{kind}_days")
        if source == "access" and kind in ("bronze", "quarantine"):
            return None if days is None else max(days, ACCESS_MIN_RETENTION_DAYS)
        return days

    def run_url(self, run_id: str) -> str:
        return f"{self.dagster_url}/runs/{run_id}"

