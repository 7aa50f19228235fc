"""Operations settings read from the environment, beside the shared `Settings`.

They only matter to operations (retention, alert links, inbox settling), so they live
here rather than in `orchestration/settings.py`; each has a safe default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Access logs are evidence for the governance audit: kept at least this long.
ACCESS_MIN_RETENTION_DAYS = 180


def _days(name: str, default: int) -> int | None:
    """A retention in days; 0 or 'none' (or empty) keeps data forever."""
    raw = os.environ.get(name, str(default)).strip().lower()
    if raw in ("", "0", "none", "forever"):
        return None
    value = int(raw)
    if value < 0:
        raise ValueError(f"{name} must be a positive number of days, got {raw!r}")
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
