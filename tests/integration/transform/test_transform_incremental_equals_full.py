"""A new day and a new exam added incrementally, partition by partition as Dagster runs
them, leave every model exactly as a full build over the same bronze does.

Simulated tiny district; the newest xAPI delivery (with late statements for earlier
days) and the newest exam are held back, landed after the first build, then processed
by the dbt runs Dagster makes: the daily partitions the delivery touched, their month
and the unpartitioned models downstream; the unpartitioned exam catalogue, the exam's
partition and the unpartitioned models downstream.
"""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.landing import ledger
from orchestration.landing.sources import LANDERS

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from dbt_runner import run_dbt  # noqa: E402

pytestmark = pytest.mark.e2e

SOURCES = ("roster", "catalog", "exams", "fitness", "psych", "governance", "xapi", "access")
# Columns that record when a row was computed, not what it says.
VOLATILE = {"_loaded_at"}
PARTITIONED = ["tag:partition_daily", "tag:partition_monthly", "tag:partition_exam"]


def _land_all(lake: Path) -> None:
    for source in SOURCES:
        LANDERS[source](lake)


def _comparable(column: str, dtype: str) -> str:
    """Floats to 8 places, also inside lists and structs: sums taken in another order
    differ in the last bits."""
    if dtype in ("DOUBLE", "FLOAT"):
        return f'round("{column}", 8) + 0.0'
    if "[]" in dtype or "STRUCT" in dtype:
        return f"""regexp_replace(cast("{column}" as varchar), '(\\.\\d{{8}})\\d+', '\\1', 'g')"""
    return f'"{column}"'


def _tables(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() order by 1, 2"
        ).fetchall():
            cols = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index", [schema, table]).fetchall()
            exprs = [_comparable(c, d) for c, d in cols if c not in VOLATILE]
            out[f"{schema}.{table}"] = con.execute(
                f"select {', '.join(exprs)} from \"{schema}\".\"{table}\" order by all").fetchall()
        return out
    finally:
        con.close()


def test_new_day_by_partitions_equals_full_build(tmp_path):
    lake = tmp_path / "lake"
    simulate(lake, scale="tiny", seed=42, start=date(2021, 10, 1), days=7, progress=lambda *_: None)
    inbox = lake / "inbox" / "xapi"
    newest = sorted(p for p in inbox.iterdir() if p.name[:4].isdigit())[-1]
    held = tmp_path / newest.name
    newest.rename(held)
    exams = lake / "inbox" / "exams"
    new_exam = sorted(p for p in exams.iterdir() if p.name[:4].isdigit() and "resend" not in p.name)[-1]
    held_exam = tmp_path / new_exam.name
    new_exam.rename(held_exam)
    _land_all(lake)
    target = tmp_path / "target"
    run_dbt(lake, ["build"], target, timeout=600)

    held.rename(inbox / newest.name)
    LANDERS["xapi"](lake)
    row = next(r for r in ledger.read_ledger(lake, "xapi") if r["delivery_path"].endswith(newest.name))
    dates = sorted(str(d)[:10] for d in row["local_dates"])
    assert len(dates) > 1, "the new day should carry late statements for earlier days"
    daily = run_dbt(lake, ["build", "--select", "tag:partition_daily"], target,
                    partitions={"partition_dates": {"start": dates[0], "end": dates[-1]}})
    assert "(catch_up): " in daily.stdout
    run_dbt(lake, ["build", "--select", "tag:partition_monthly"], target,
            partitions={"partition_months": {"start": dates[0][:7], "end": dates[-1][:7]}})
    run_dbt(lake, ["build", "--select", "source:xapi+", "--exclude", *PARTITIONED], target)

    held_exam.rename(exams / new_exam.name)
    LANDERS["exams"](lake)
    exam_id = new_exam.name[len("YYYY-MM-DD-"):]
    run_dbt(lake, ["build", "--select", "source:exams+,+tag:partition_exam", "--exclude", *PARTITIONED], target)
    run_dbt(lake, ["build", "--select", "tag:partition_exam"], target, partitions={"partition_exams": [exam_id]})
    run_dbt(lake, ["build", "--select", "source:exams+", "--exclude", *PARTITIONED], target)

    full = tmp_path / "full"
    full.mkdir()
    for folder in ("bronze", "ledger"):
        shutil.copytree(lake / folder, full / folder)
    # the same pseudonym key (each lake draws its own), or every student_key would differ
    shutil.copytree(lake / "ops" / "secrets", full / "ops" / "secrets")
    run_dbt(full, ["build"], tmp_path / "full_target", timeout=600)

    incremental, rebuilt = _tables(lake / "warehouse" / "eduhouse.duckdb"), _tables(full / "warehouse" / "eduhouse.duckdb")
    assert incremental.keys() == rebuilt.keys()
    differ = [name for name in rebuilt if incremental[name] != rebuilt[name]]
    assert differ == [], f"incremental run differs from the full build in {differ}"


def test_dbt_unit_tests_pass(tmp_path):
    """The SQL logic tests (dbt unit tests: z-scores, top-N ties, local month boundary,
    roster denominator, mastery, ...). Dagster's runs leave them out (they test code, not
    data), so they run here. They need the project's relations to exist: an empty build
    first (seeds, and no deliveries: every bronze source reads as zero rows)."""
    lake = tmp_path / "lake"
    lake.mkdir()
    target = tmp_path / "target"
    run_dbt(lake, ["seed"], target)
    run_dbt(lake, ["run"], target)
    result = run_dbt(lake, ["test", "--select", "test_type:unit"], target)
    assert "ERROR=0" in result.stdout and "PASS=" in result.stdout
