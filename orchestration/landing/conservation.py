"""Conservation: every record of every ledgered delivery is in bronze or in quarantine.

Recounted from the files themselves (the ``_delivery`` column of every bronze table and
the quarantine files), never from the ledger's own landed/quarantined numbers, and
compared with the ledger's ``records_in``. Records retention deleted on purpose count as
expired: retention recorded them, file by file, before deleting (expired.py). Bronze
rows of a delivery with no ledger row (a run that died before its ledger write) are
reported too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lake import LakePaths
from orchestration.landing import ledger
from orchestration.landing.core import SOURCE_TABLES
from orchestration.landing.expired import expired_records


@dataclass
class ConservationReport:
    source: str
    deliveries: int = 0
    records_in: int = 0
    landed: int = 0
    quarantined: int = 0
    expired: int = 0  # deleted by retention, which recorded them
    mismatches: list[dict] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.orphans


def _counts(con, glob: str, column: str) -> dict[str, int]:
    try:
        rows = con.execute(
            f"SELECT {column}, count(*) FROM read_parquet(?, union_by_name=true, hive_partitioning=false) "
            "GROUP BY 1", [glob]
        ).fetchall()
    except duckdb.IOException:  # no files yet
        return {}
    return {k: n for k, n in rows}


def check(lake_root: Path, source: str) -> ConservationReport:
    lake_root = Path(lake_root)
    report = ConservationReport(source)
    rows = ledger.read_ledger(lake_root, source)
    con = duckdb.connect()
    try:
        con.execute("SET threads=2")
        landed: dict[str, int] = {}
        for table in SOURCE_TABLES[source]:
            table_dir = LakePaths(Path(lake_root)).bronze / source / table
            if not table_dir.is_dir():
                continue
            for k, n in _counts(con, str(table_dir / "**" / "*.parquet"), "_delivery").items():
                landed[k] = landed.get(k, 0) + n
        quarantined = _counts(con, str(LakePaths(Path(lake_root)).quarantine / source / "*.parquet"), "delivery_id")
    finally:
        con.close()
    expired = expired_records(lake_root, source)
    ledgered = set()
    for r in rows:
        d = r["delivery_id"]
        ledgered.add(d)
        n_in, n_land, n_q, n_exp = r["records_in"] or 0, landed.get(d, 0), quarantined.get(d, 0), expired.get(d, 0)
        report.deliveries += 1
        report.records_in += n_in
        report.landed += n_land
        report.quarantined += n_q
        report.expired += n_exp
        if n_in != n_land + n_q + n_exp:
            report.mismatches.append({"delivery_id": d, "status": r["status"], "records_in": n_in,
                                      "landed": n_land, "quarantined": n_q, "expired": n_exp})
    report.orphans = sorted((set(landed) | {k for k, n in quarantined.items() if n}) - ledgered)
    return report
