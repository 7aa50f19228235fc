"""`eduhouse run` on the shared tiny district: everything built once, nothing rebuilt
when nothing is new, and every delivered record accounted for."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.definitions import defs as load_defs
from orchestration.runner.run import run_everything, summarize

pytestmark = pytest.mark.e2e


def test_every_asset_was_materialized(pipeline):
    graph = load_defs().resolve_asset_graph()
    never = [
        key.to_user_string()
        for key in graph.materializable_asset_keys
        if pipeline.instance.get_latest_materialization_event(key) is None
    ]
    assert not never


def test_nothing_new_means_no_run(pipeline):
    assert run_everything(pipeline.lake, instance=pipeline.instance) == []


def test_every_record_is_landed_or_quarantined(pipeline):
    lake = pipeline.lake
    ledger = duckdb.connect().execute(
        f"""select source, delivery_id, records_in, landed, quarantined, status
            from read_parquet('{lake}/ledger/*/*.parquet', union_by_name=true)"""
    ).fetchall()
    assert {row[0] for row in ledger} == {"roster", "xapi", "exams", "catalog", "fitness", "psych", "governance", "access"}
    for source, delivery, records_in, landed, quarantined, status in ledger:
        if status != "duplicate":
            assert records_in == landed + quarantined, (source, delivery)


def test_summary_names_marts_and_the_district_report(pipeline):
    text = summarize(pipeline.lake, pipeline.outcomes)
    assert "usage_monthly" in text and "student_exam" in text
    assert "district administrator's report" in text and "FAILED" not in text
    # the API's address and the day a simulated district is replayed on (the newcomer
    # probe: "add --as-of its last day" left the date to be found), from the bronze days
    last = max(p.name.split("=")[1] for source in ("xapi", "access")
               for p in (pipeline.lake / "bronze" / source).rglob("local_date=*"))
    api = next(line for line in text.splitlines() if line.strip().startswith("API: eduhouse serve"))
    assert "http://127.0.0.1:8080/v1/marts" in api and f"--as-of {last}, its last day" in api, api
