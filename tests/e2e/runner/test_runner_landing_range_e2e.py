"""`eduhouse run` sets its daily landing run's range by the days the deliveries are for,
read from the first records of each (landing.pending.head_dates), not from every line. A
record further in dated outside that range lands all the same: its day is a partition
materialized beside the range, and the run's bronze check validates it: the check's
window widens to it (unwidened, the check reads the range's days only and never sees
that record)."""

from __future__ import annotations

import gzip
import json
import os
import uuid
from datetime import date

import dagster as dg
import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.landing import pending
from orchestration.runner.run import run_everything

pytestmark = pytest.mark.e2e


def test_a_record_outside_the_landing_range_lands_as_its_own_checked_partition(tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    simulate(lake, scale="tiny", seed=42, start=date(2021, 10, 1), days=2, dirt_rate=0, progress=lambda *_: None)
    # a late statement at the end of the second day's delivery, three days before the first
    delivery = lake / "inbox" / "xapi" / "2021-10-02.jsonl.gz"
    lines = gzip.decompress(delivery.read_bytes()).decode().splitlines()
    stray = json.loads(lines[0])
    stray.update(id=str(uuid.uuid4()), timestamp="2021-09-28T10:00:00+08:00")
    stray.pop("stored", None)
    delivery.write_bytes(gzip.compress(("\n".join([*lines, json.dumps(stray)]) + "\n").encode()))
    monkeypatch.setattr(pending, "HEAD_BYTES", 2 << 10)  # the tiny deliveries' first records
    assert "2021-09-28" not in pending.head_dates(lake, "xapi")

    instance = dg.DagsterInstance.ephemeral()
    saved = os.environ.get("EDUHOUSE_LAKE")
    try:
        outcomes = run_everything(lake, instance=instance)
    finally:
        os.environ.pop("EDUHOUSE_LAKE", None) if saved is None else os.environ.update(EDUHOUSE_LAKE=saved)
    broken = [(o.label, o.failed_steps, o.failed_checks) for o in outcomes if not o.ok]
    assert outcomes and not broken, broken
    landing = next(o for o in outcomes if o.label.startswith("land new learning and access logs"))
    assert "2021-09-28" not in landing.label  # the range: 2021-10-01..2021-10-02

    key = dg.AssetKey(["bronze", "xapi"])
    assert (lake / "bronze" / "xapi" / "statements" / "local_date=2021-09-28").is_dir()
    assert "2021-09-28" in instance.get_materialized_partitions(key)
    results = lake / "quality" / "results" / "xapi_statements"
    [(checked,)] = duckdb.sql(f"select distinct partition from read_parquet('{results}/*.parquet')").fetchall()
    assert checked == "2021-09-28..2021-10-02"
