"""Operational alerts: one JSON line per alert in <lake>/alerts/alerts.jsonl, and a webhook.

The file is the record a data engineer tails; the webhook (if configured) is how a chat
room or pager hears about it. A webhook that fails never hides the alert: the line is
written first and the POST error is logged, not raised.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from orchestration.lake import LakePaths

log = logging.getLogger(__name__)

ALERTS_FILE = "alerts.jsonl"


def alerts_path(lake_root: Path) -> Path:
    return LakePaths(Path(lake_root)).alerts / ALERTS_FILE


def make_alert(kind: str, *, run_id: str | None, run_url: str | None, job: str | None = None,
               assets: list[str] | None = None, partitions: list[str] | None = None,
               error: str | None = None, check: str | None = None, severity: str = "ERROR",
               at: datetime | None = None) -> dict:
    return {
        "at": (at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "kind": kind,
        "severity": severity,
        "job": job,
        "assets": assets or [],
        "partitions": partitions or [],
        "check": check,
        "error": (error or "")[:4000],
        "run_id": run_id,
        "run_url": run_url,
    }


def write_alert(lake_root: Path, alert: dict, webhook_url: str | None = None) -> Path:
    """Append the alert (one line, atomic for small writes under O_APPEND) and POST it."""
    path = alerts_path(lake_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(alert, ensure_ascii=False, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    if webhook_url:
        post_webhook(webhook_url, alert)
    return path


def post_webhook(url: str, alert: dict, timeout: float = 10.0) -> bool:
    request = urllib.request.Request(
        url, data=json.dumps(alert).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return 200 <= response.status < 300
    except OSError as exc:
        log.warning("alert webhook %s failed: %s", url, exc)
        return False


def read_alerts(lake_root: Path, since: datetime | None = None) -> list[dict]:
    path = alerts_path(lake_root)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            alert = json.loads(line)
        except json.JSONDecodeError:
            continue
        if since is None or datetime.fromisoformat(alert["at"]) >= since:
            out.append(alert)
    return out
