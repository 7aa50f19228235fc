"""Unit tests for operations: settings, inbox cursor, retention, alerts, publication."""

import json
import os
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import duckdb
import pytest

from orchestration.automation import inbox
from orchestration.automation.alerts import make_alert, read_alerts, write_alert
from orchestration.automation.backfill import INSTANCE_YAML, partition_keys
from orchestration.automation.jobs import monthly_publication_schedule, previous_month, retention_schedule
from orchestration.automation.retention import apply_retention
from orchestration.automation.status import format_text, quarantine_counts
from orchestration.resources import ENGINE_TAG
from orchestration.settings import OpsConfig

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_retention_settings_keep_access_180_days(monkeypatch):
    monkeypatch.setenv("EDUHOUSE_RETENTION_BRONZE_DAYS", "30")
    monkeypatch.setenv("EDUHOUSE_RETENTION_QUARANTINE_DAYS", "none")
    config = OpsConfig.from_env()
    assert config.retention_for("bronze", "xapi") == 30
    assert config.retention_for("bronze", "access") == 180
    assert config.retention_for("quarantine", "access") is None  # forever stays forever
    with pytest.raises(ValueError):
        monkeypatch.setenv("EDUHOUSE_RETENTION_REPORTS_DAYS", "-1")
        OpsConfig.from_env()


def _touch(path, age_seconds=3600, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))


def test_inbox_cursor_sees_each_delivery_once(tmp_path):
    _touch(tmp_path / "inbox" / "xapi" / "2021-10-01.jsonl.gz")
    _touch(tmp_path / "inbox" / "roster" / "r1" / "users.csv")
    _touch(tmp_path / "inbox" / "roster" / ".hidden.csv")
    _touch(tmp_path / "inbox" / "roster" / "copying.csv.part")
    found, cursor = inbox.new_entries(tmp_path, {}, settle_seconds=10)
    assert {s: [e.delivery_id for e in es] for s, es in found.items()} == {
        "roster": ["r1"], "xapi": ["2021-10-01.jsonl.gz"]}
    assert inbox.new_entries(tmp_path, cursor, 10)[0] == {}
    # A delivery rewritten under the same name is new again.
    _touch(tmp_path / "inbox" / "roster" / "r1" / "users.csv", age_seconds=1800, text="xy")
    found, cursor = inbox.new_entries(tmp_path, cursor, 10)
    assert list(found) == ["roster"]
    # Once in the ledger it is no longer tracked by the cursor at all.
    (tmp_path / "ledger" / "roster").mkdir(parents=True)
    (tmp_path / "ledger" / "roster" / "r1.parquet").write_bytes(b"")
    found, cursor = inbox.new_entries(tmp_path, cursor, 10)
    assert found == {} and "roster" not in cursor
    assert inbox.load_cursor(inbox.dump_cursor(cursor)) == cursor


def _quarantine(path, source, at):
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT '{source}' AS source, 'd' AS delivery_id, 'malformed_json' AS reason, "
            f"TIMESTAMPTZ '{at.isoformat()}' AS quarantined_at) TO '{path}' (FORMAT parquet)"
        )


def test_retention_removes_only_expired(tmp_path, monkeypatch):
    monkeypatch.setenv("EDUHOUSE_RETENTION_BRONZE_DAYS", "30")
    monkeypatch.setenv("EDUHOUSE_RETENTION_QUARANTINE_DAYS", "30")
    monkeypatch.setenv("EDUHOUSE_RETENTION_REPORTS_DAYS", "30")
    old, recent, very_old = "2026-09-01", "2026-11-20", "2026-03-01"
    for source, table in (("xapi", "statements"), ("access", "events")):
        for day in (old, recent, very_old):
            (tmp_path / "bronze" / source / table / f"local_date={day}").mkdir(parents=True)
    (tmp_path / "bronze" / "roster" / "users").mkdir(parents=True)
    _quarantine(tmp_path / "quarantine" / "xapi" / "old.parquet", "xapi", NOW - timedelta(days=60))
    _quarantine(tmp_path / "quarantine" / "xapi" / "new.parquet", "xapi", NOW - timedelta(days=2))
    _quarantine(tmp_path / "quarantine" / "access" / "old.parquet", "access", NOW - timedelta(days=60))
    _touch(tmp_path / "reports" / "publication" / "2025-01.html", age_seconds=90 * 86400)
    _touch(tmp_path / "reports" / "publication" / "2026-10.html", age_seconds=60)

    summary = apply_retention(tmp_path, "Asia/Shanghai", OpsConfig.from_env(), now=NOW)
    assert summary["bronze_days"] == [
        "bronze/access/events/local_date=2026-03-01",
        "bronze/xapi/statements/local_date=2026-03-01",
        "bronze/xapi/statements/local_date=2026-09-01",
    ]
    assert summary["quarantine_files"] == ["quarantine/xapi/old.parquet"]
    assert summary["report_files"] == ["reports/publication/2025-01.html"]
    assert (tmp_path / "bronze" / "access" / "events" / f"local_date={old}").exists()
    assert not (tmp_path / "bronze" / "xapi" / "statements" / f"local_date={old}").exists()
    assert (tmp_path / "quarantine" / "access" / "old.parquet").exists()
    assert (tmp_path / "bronze" / "roster" / "users").exists()
    logged = json.loads((tmp_path / "ops" / "retention.jsonl").read_text())
    assert logged["bronze_days"] == summary["bronze_days"]


def test_alert_line_and_webhook(tmp_path):
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        alert = make_alert("run_failure", run_id="r1", run_url="http://x/runs/r1",
                           assets=["bronze/xapi"], partitions=["2021-10-01"], error="boom")
        write_alert(tmp_path, alert, f"http://127.0.0.1:{server.server_port}/hook")
        # An unreachable webhook never loses the alert line.
        write_alert(tmp_path, alert, "http://127.0.0.1:9/unreachable")
    finally:
        server.shutdown()
    assert received == [alert]
    assert read_alerts(tmp_path) == [alert, alert]
    assert read_alerts(tmp_path, since=datetime(2100, 1, 1, tzinfo=UTC)) == []


def test_previous_month_and_partition_range():
    assert previous_month(datetime(2021, 11, 1, 7)) == "2021-10-01"
    assert previous_month(datetime(2022, 1, 1, 7)) == "2021-12-01"
    assert partition_keys("2021-10-30", "2021-11-01") == ["2021-10-30", "2021-10-31", "2021-11-01"]
    with pytest.raises(ValueError):
        partition_keys("2020-01-01", "2020-01-02")


def test_scheduled_runs_name_the_engine():
    """Every run shows the engine in its tags, the schedules' as much as `eduhouse run`'s."""
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2021, 11, 1, 7, tzinfo=UTC))
    request = monthly_publication_schedule(context)
    assert request.tags[ENGINE_TAG] == "duckdb" and request.partition_key == "2021-10-01"
    assert retention_schedule.tags[ENGINE_TAG] == "duckdb"


def test_quarantine_counts_and_text(tmp_path):
    _quarantine(tmp_path / "quarantine" / "xapi" / "a.parquet", "xapi", NOW - timedelta(days=1))
    _quarantine(tmp_path / "quarantine" / "xapi" / "b.parquet", "xapi", NOW - timedelta(days=20))
    counts = quarantine_counts(tmp_path, NOW - timedelta(days=7))
    assert counts == [{"source": "xapi", "reason": "malformed_json", "records": 1, "deliveries": 1}]
    text = format_text({
        "generated_at": "t", "lake": "l", "days": 7, "healthy": False, "definitions_error": None,
        "groups": {"marts": {"assets": 2, "last_run": {"status": "FAILURE", "started_at": "s",
                                                       "url": "http://u/runs/1"},
                             "stale": [{"asset": "marts/a", "newer_upstream": ["staging/b"]}],
                             "missing": [], "failing_checks": [
                                 {"asset": "bronze/access", "check": "access_events", "severity": "WARN"},
                                 {"asset": "bronze/roster", "check": "conservation", "severity": "ERROR"}]}},
        "jobs": {}, "quarantine": counts, "inbox_backlog": {"xapi": 2},
        "alerts": {"count": 0, "recent": []},
    })
    assert "ATTENTION" in text and "http://u/runs/1" in text and "malformed_json" in text
    assert "marts/a is older than staging/b" in text and "xapi=2" in text
    # a warning is said as one (the late-deliveries probe read "failed (WARN)" under "overall: OK")
    assert "check bronze/access:access_events warned (not blocking)" in text
    assert "check bronze/roster:conservation failed (ERROR)" in text


def test_instance_yaml_limits_the_warehouse_pool(tmp_path, monkeypatch):
    shutil.copyfile(INSTANCE_YAML, tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1 and pools.pool_granularity.value == "op"
        assert instance.run_retries_enabled and not instance.run_retries_retry_on_asset_or_op_failure


def test_commands_register_status_and_backfill():
    import argparse

    from orchestration.automation.commands import backfill_command, register, status_command

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["backfill", "--from", "2021-10-01", "--to", "2021-10-03", "--rebuild"])
    assert args.func is backfill_command and args.rebuild and str(args.end) == "2021-10-03"
    args = parser.parse_args(["status", "--json", "--days", "3"])
    assert args.func is status_command and args.json and args.days == 3


def test_a_landing_asset_is_not_stale_for_what_it_reads(tmp_path):
    """A new roster does not make the landed exams stale: landing follows deliveries, and
    no run would land the exams again (status listed them as stale for ever, found by the
    backfill probe). What the exams feed is stale when the exams land again."""
    import dagster as dg

    from orchestration.automation.status import group_status
    from orchestration.dagster_home import get_instance
    from orchestration.settings import OpsConfig

    @dg.asset(key=["bronze", "roster"], group_name="landing")
    def roster() -> None: ...

    @dg.asset(key=["bronze", "exams"], group_name="landing", deps=[roster])
    def exams() -> None: ...

    @dg.asset(key=["marts", "exam_summary"], group_name="marts", deps=[exams])
    def exam_summary() -> None: ...

    defs = dg.Definitions(assets=[roster, exams, exam_summary])
    graph, job = defs.resolve_asset_graph(), defs.resolve_implicit_global_asset_job_def()
    instance = get_instance(tmp_path)
    job.execute_in_process(instance=instance)
    job.execute_in_process(instance=instance, asset_selection=[roster.key])  # a roster delta lands
    groups = group_status(instance, graph, OpsConfig())
    assert groups["landing"]["stale"] == [] and groups["marts"]["stale"] == []
    job.execute_in_process(instance=instance, asset_selection=[exams.key])  # a corrected exam lands
    groups = group_status(instance, graph, OpsConfig())
    assert groups["marts"]["stale"] == [{"asset": "marts/exam_summary", "newer_upstream": ["bronze/exams"]}]
    instance.dispose()
