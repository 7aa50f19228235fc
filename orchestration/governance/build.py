"""Run the governance dbt models (and their parents) outside Dagster, then publish
their Parquet exports: for `eduhouse audit --build`, the end-to-end test and the bench."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from pathlib import Path

from orchestration.lake import LakePaths
from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_TIMEZONE

AUDIT_SELECTION = ("+access_audit_findings", "+entitlements", "column_classification")
# the audit's own models only (parents already built): what a re-audit costs
AUDIT_ONLY = ("path:models/staging/governance", "path:models/staging/access", "path:models/intermediate/governance",
              "path:models/marts/governance", "path:seeds/governance")


def build_audit_models(lake_root: Path, *, audit_date: str | None = None, timezone: str = DEFAULT_TIMEZONE,
                       target_path: Path | None = None, timeout: int = 900,
                       select: tuple[str, ...] = AUDIT_SELECTION) -> dict:
    """`dbt build` of the audit's models and parents over the lake's bronze; returns
    {seconds, cpu_seconds (dbt's user+system CPU: comparable on a busy machine),
    returncode, published, log_tail}. Tests of models outside the selection are
    not run (cautious indirect selection)."""
    from orchestration.transform.project import dbt_executable
    from orchestration.transform.publish import publish_all

    lake = LakePaths(Path(lake_root).resolve())
    for folder in (lake.warehouse.parent, lake.marts_staging, lake.restricted / ".staging"):
        folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "EDUHOUSE_LAKE": str(lake.root), "EDUHOUSE_TZ": timezone,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [dbt_executable(), "build", "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR),
           "--indirect-selection", "cautious", "--select", *select]
    # dbt's artifacts and log belong to the lake (never dbt_project/target, shared by lakes).
    target = Path(target_path) if target_path else lake.dbt_target / "audit"
    cmd += ["--target-path", str(target), "--log-path", str(target)]
    if audit_date:
        cmd += ["--vars", json.dumps({"audit_date": audit_date})]
    started = time.time()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.time() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    published = publish_all(lake, since=started - 1) if proc.returncode == 0 else []
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "returncode": proc.returncode,
            "published": [p.name for p in published], "log_tail": proc.stdout[-3000:]}
