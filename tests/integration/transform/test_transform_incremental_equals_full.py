"""A new day and a new exam added incrementally, partition by partition as Dagster runs
them, leave every model exactly as a full build over the same bronze does.

Simulated tiny district; the newest xAPI delivery (with late statements for earlier
days) and the newest exam are held back, landed after the first build, then processed
by the dbt runs Dagster makes: the daily partitions the delivery touched, their month
and the unpartitioned models downstream; the unpartitioned exam catalogue, the exam's
partition and the unpartitioned models downstream. Then the newest access-log delivery
(the governance models append its events) and a second grants delivery that revokes a
grant in use (they rebuild whole: macros/appended_lines.sql).
"""

from __future__ import annotations

import csv
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
    access = lake / "inbox" / "access"
    new_access = sorted(p for p in access.iterdir() if p.name[:4].isdigit())[-1]
    held_access = tmp_path / "access" / new_access.name  # the same name as the held xAPI file
    held_access.parent.mkdir()
    new_access.rename(held_access)
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

    held_access.rename(access / new_access.name)
    LANDERS["access"](lake)
    appended = run_dbt(lake, ["build", "--select", "source:access+", "--exclude", *PARTITIONED], target)
    assert "rebuilding it whole" not in appended.stdout, appended.stdout

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

    # A grants delivery changes what every event joins to: the governance models rebuild
    # whole, and hold what a full refresh of them gives.
    _revoke_a_used_grant(lake, held=tmp_path)
    LANDERS["governance"](lake)
    changed = run_dbt(lake, ["build", "--select", "source:governance+", "--exclude", *PARTITIONED], target)
    assert "int_governance__events: what it joins the log to changed; rebuilding it whole" in changed.stdout
    governance = ("intermediate.int_governance__events", "intermediate.int_governance__event_subjects")
    after_change = {name: table for name, table in _tables(lake / "warehouse" / "eduhouse.duckdb").items()
                    if name in governance}
    run_dbt(lake, ["build", "--full-refresh", "--select", *(n.split(".")[1] for n in governance)], target)
    refreshed = {name: table for name, table in _tables(lake / "warehouse" / "eduhouse.duckdb").items()
                 if name in governance}
    assert after_change.keys() == set(governance)
    assert after_change == refreshed, "the governance models after the grants delivery differ from a full refresh"


def _revoke_a_used_grant(lake: Path, held: Path) -> None:
    """A second governance delivery: the first one's grants and consents, one grant that
    access events cite revoked on the first day of the log."""
    first = next(p for p in (lake / "inbox" / "governance").iterdir() if p.is_dir())
    con = duckdb.connect()
    used, day = con.execute(
        f"""select grant_id, min(cast(event_time as date)) from read_json_auto('{lake}/inbox/access/*.jsonl*')
            where grant_id is not null group by grant_id order by count(*) desc limit 1""").fetchone()
    staged = held / "governance-revoked"
    staged.mkdir()
    shutil.copy(first / "consents.csv", staged / "consents.csv")
    with open(first / "grants.csv", newline="", encoding="utf-8") as src, \
            open(staged / "grants.csv", "w", newline="", encoding="utf-8") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
        writer.writeheader()
        for row in reader:
            if row["grant_id"] == used:
                row["revoked_at"] = f"{day}T00:00:00+08:00"
            writer.writerow(row)
    staged.rename(first.with_name(first.name.replace("governance", "governance-revoked")))


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
