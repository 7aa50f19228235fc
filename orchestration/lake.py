"""Where everything lives in the lake. The one place that knows the folder layout.

    <lake>/inbox/<source>/...                deliveries, immutable (docs/inputs.md)
    <lake>/ledger/<source>/<delivery>.parquet one row per delivery landed
    <lake>/bronze/<source>/<table>/...       validated records, Parquet (zstd)
    <lake>/quarantine/<source>/<delivery>.parquet  rejected records with reasons
    <lake>/warehouse/eduhouse.duckdb         dbt's database; only dbt opens it
    <lake>/marts/<name>.parquet              public marts for apps (pseudonymous)
    <lake>/restricted/<name>.parquet         restricted marts (identities, psych)
    <lake>/quality/                          validation results (Parquet)
    <lake>/reports/                          rendered role reports, the audit, the data docs (quality/),
                                             the index pages (index.html, <role>/index.html, orgs/)
    <lake>/alerts/alerts.jsonl               operational alerts (the folder appears with the first alert)
    <lake>/logs/                             tool output of `eduhouse run` and `eduhouse backfill`
                                             (run-<time>.log, backfill-<time>.log; dbt's output included)
    <lake>/simulator/                        simulator ground truth (never in inbox)
    <lake>/ops/                              the deployment's own state, never published:
      dagster/                                 the Dagster instance (runs, partitions, slots)
      dbt/target                               dbt's run artifacts, partial-parse cache and dbt.log for this lake
      secrets/pseudonym.key                    the per-lake pseudonym key (mode 0600)
      run.lock                                 held by the one `eduhouse run` of this lake
      work.json                                the plan of a run not yet finished
      retention.jsonl                          what each retention run removed
      serve/tokens.json                        salted hashes of the API's bearer tokens (0600)
      serve/serve.lock                         held by the one `eduhouse serve` of this lake
      spark/                                   the lake's Spark cluster (cluster.json, logs/, work/)
    <lake>/warehouse/spark/                  the Spark engine's metastore and tables (docs/scaleout.md)
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

SOURCES = ("roster", "xapi", "exams", "catalog", "fitness", "psych", "governance", "access")
TIME_BASED_SOURCES = ("xapi", "access")


@dataclass(frozen=True)
class LakePaths:
    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def inbox_for(self, source: str) -> Path:
        return self.inbox / source

    @property
    def ledger(self) -> Path:
        return self.root / "ledger"

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    def bronze_table(self, source: str, table: str) -> Path:
        return self.bronze / source / table

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "eduhouse.duckdb"

    @property
    def marts(self) -> Path:
        return self.root / "marts"

    @property
    def marts_staging(self) -> Path:
        """dbt writes mart exports here; they are renamed into marts/ once complete."""
        return self.root / "marts" / ".staging"

    @property
    def restricted(self) -> Path:
        return self.root / "restricted"

    @property
    def quality(self) -> Path:
        return self.root / "quality"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts"

    @property
    def simulator(self) -> Path:
        return self.root / "simulator"

    # -- the deployment's own state (one lake is one deployment: docs/architecture.md) ------------
    @property
    def ops(self) -> Path:
        return self.root / "ops"

    @property
    def dagster_home(self) -> Path:
        return self.ops / "dagster"

    @property
    def dbt_target(self) -> Path:
        return self.ops / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.ops / "dbt" / "logs"

    @property
    def secrets(self) -> Path:
        return self.ops / "secrets"

    @property
    def pseudonym_key(self) -> Path:
        return self.secrets / "pseudonym.key"

    @property
    def run_lock(self) -> Path:
        return self.ops / "run.lock"

    @property
    def pending_work(self) -> Path:
        return self.ops / "work.json"

    # -- the governed API (`eduhouse serve`, docs/serve.md) ------------------------------------------
    @property
    def serve_state(self) -> Path:
        return self.ops / "serve"

    @property
    def tokens(self) -> Path:
        return self.serve_state / "tokens.json"

    @property
    def serve_lock(self) -> Path:
        return self.serve_state / "serve.lock"


def lake_in_use(lake: Path) -> bool:
    """True while some process holds the lake's run lock: an `eduhouse run` or backfill
    is at work (runner/recovery.py takes the lock). A read-only probe, for `status` and for
    the daemon's sensors and conditions, which wait for it rather than race it."""
    path = LakePaths(lake).run_lock
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
