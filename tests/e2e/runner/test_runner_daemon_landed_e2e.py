"""What the daemon landed and died before building (`make ui` killed, a reboot) is built by
the next `eduhouse run`, whatever else that run builds (runner/behind.py). The second
daemon probe: beside a mart never built, the run rebuilt the months from days whose
daily models had never read the landed day, and `usage_monthly` stopped a day short."""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.dagster_home import get_instance
from orchestration.runner.execute import range_tags
from orchestration.runner.run import run_everything

pytestmark = pytest.mark.e2e


def test_what_the_daemon_landed_is_built_whatever_else_the_run_builds(tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    simulate(lake, scale="tiny", seed=5, start=date(2021, 10, 1), days=2, progress=lambda *_: None)
    held = tmp_path / "held"
    for source in ("xapi", "access"):
        (held / source).mkdir(parents=True)
        for delivery in (lake / "inbox" / source).glob("2021-10-02*"):
            shutil.move(delivery, held / source / delivery.name)  # a move keeps the file's time
    monkeypatch.setenv("EDUHOUSE_LAKE", str(lake))
    assert all(o.ok for o in run_everything(lake))
    for delivery in held.glob("*/*"):
        shutil.move(delivery, lake / "inbox" / delivery.parent.name / delivery.name)
    # the daemon's landing of the day, and nothing after it; a mart it never reached
    from orchestration.definitions import defs

    with get_instance(lake) as instance:
        job = defs().resolve_job_def("landing_daily_job")
        assert job.execute_in_process(instance=instance, tags=range_tags("2021-10-01", "2021-10-02")).success
        instance.wipe_assets([dg.AssetKey(["marts", "top_students"])])
    outcomes = run_everything(lake)
    assert all(o.ok for o in outcomes), [(o.label, o.failed_steps) for o in outcomes]
    assert any(o.label.startswith("daily models") for o in outcomes), [o.label for o in outcomes]
    con = duckdb.connect()
    (through,), = con.execute(f"select max(data_through) from '{lake}/marts/usage_monthly.parquet'").fetchall()
    assert str(through)[:10] == "2021-10-02"
    assert con.execute(f"select count(*) from '{lake}/marts/top_students.parquet'").fetchone()[0] >= 0
