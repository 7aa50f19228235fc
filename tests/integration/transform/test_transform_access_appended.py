"""The access log's staging model appends (macros/appended_bronze.sql): a run reads only
the bronze files it has not read, and what it holds is what a full build over the same
bronze gives, with each line's occurrence counted over the whole log. When retention
removes a bronze day it has read, the next run reads everything again, so nothing that
expired stays in the warehouse.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.landing.sources import LANDERS

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from dbt_runner import run_dbt  # noqa: E402

pytestmark = pytest.mark.e2e

MODEL = "stg_access__events"


def _rows(lake: Path) -> list[tuple]:
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        return con.execute(f"select * from staging.{MODEL} order by all").fetchall()
    finally:
        con.close()


def _full_build(lake: Path, tmp_path: Path, name: str) -> list[tuple]:
    full = tmp_path / name
    full.mkdir()
    shutil.copytree(lake / "bronze", full / "bronze")
    run_dbt(full, ["run", "--select", MODEL], tmp_path / f"{name}_target")
    return _rows(full)


def _lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line for line in f if line.strip()]


def test_appended_access_log_equals_a_full_build(tmp_path):
    lake = tmp_path / "lake"
    simulate(lake, scale="tiny", seed=42, start=date(2021, 10, 1), days=5, progress=lambda *_: None)
    inbox = lake / "inbox" / "access"
    deliveries = sorted(p for p in inbox.iterdir() if p.name[:4].isdigit())
    newest = deliveries[-1]
    held = tmp_path / newest.name
    newest.rename(held)
    for source in ("roster", "governance", "access"):
        LANDERS[source](lake)
    target = tmp_path / "target"
    run_dbt(lake, ["run", "--select", MODEL], target)
    first = _rows(lake)

    # the next delivery, and one re-sending two events an earlier delivery already held,
    # the first of them twice (their lines must number 2, and 3 for the third line of the
    # first, as over the whole log)
    held.rename(inbox / newest.name)
    resent = [json.loads(line) for line in _lines(deliveries[1])[:2]]
    resent.append(resent[0])
    (inbox / f"{newest.name[:10]}-resent.jsonl").write_text(
        "".join(json.dumps(event) + "\n" for event in resent), encoding="utf-8")
    LANDERS["access"](lake)
    appended = run_dbt(lake, ["run", "--select", MODEL], target)
    assert "(catch_up): 2 file(s) to read" in appended.stdout, appended.stdout[-3000:]
    rows = _rows(lake)
    assert len(rows) > len(first)
    assert rows == _full_build(lake, tmp_path, "full")
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    twice = con.execute(f"select count(*) from staging.{MODEL} where occurrence = 2 and _delivery like '%resent%'"
                        ).fetchone()[0]
    thrice = con.execute(f"select count(*) from staging.{MODEL} where occurrence = 3 and _delivery like '%resent%'"
                         ).fetchone()[0]
    # every line's number, computed apart: each event id's lines over all bronze, in
    # landing order (the model ranks only the ids whose hash repeats)
    bronze = lake / "bronze" / "access" / "events"
    expected = con.execute(f"""
        select _delivery, _position, row_number() over (
            partition by event_id order by _landed_at, _delivery, _position) as occurrence
        from read_parquet('{bronze}/*/*.parquet', union_by_name = true) order by all""").fetchall()
    numbered = con.execute(f"select _delivery, _position, occurrence from staging.{MODEL} order by all").fetchall()
    con.close()
    assert (twice, thrice) == (2, 1)
    assert numbered == expected

    # retention deletes the oldest bronze day: the next run reads everything again
    oldest = sorted((lake / "bronze" / "access" / "events").glob("local_date=*"))[0]
    shutil.rmtree(oldest)
    reread = run_dbt(lake, ["run", "--select", MODEL], target)
    assert "reading every file again" in reread.stdout, reread.stdout[-3000:]
    after = _rows(lake)
    assert len(after) < len(rows)
    assert after == _full_build(lake, tmp_path, "full_after_retention")
    # and the run after that appends again (nothing left to read)
    quiet = run_dbt(lake, ["run", "--select", MODEL], target)
    assert "(catch_up): 0 file(s) to read" in quiet.stdout
    assert _rows(lake) == after
