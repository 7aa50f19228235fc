"""Partitions on the shared tiny district after `eduhouse run`: the exams that landed are
partitions and each exam model was built per exam; a backfill of three days rebuilds
three daily partitions of the daily dbt models (not only landing); a new day that lands
through the inbox sensor reaches its daily models, then (next tick) what reads them, in
runs that do not read each other. Runs after test_runner_e2e.py (it adds a day and rebuilds days, idempotently)."""

from __future__ import annotations

import shutil
import warnings
from datetime import date

import dagster as dg
import duckdb
import pytest
from dagster._core.events import DagsterEventType

from orchestration.partitions import REBUILD_TAG

pytestmark = pytest.mark.e2e
DAILY_TAG = "eduhouse/partition"


@pytest.fixture
def defs(pipeline, monkeypatch):
    monkeypatch.setenv("EDUHOUSE_LAKE", str(pipeline.lake))
    warnings.simplefilter("ignore", dg.BetaWarning)
    from orchestration.definitions import defs as load_defs

    return load_defs()


def _keys(defs, kind: str) -> set[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return {k for k in graph.materializable_asset_keys if graph.get(k).tags.get(DAILY_TAG) == kind}


def _materialized(instance, run_id) -> dict[dg.AssetKey, set[str]]:
    out: dict[dg.AssetKey, set[str]] = {}
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        event = record.dagster_event
        out.setdefault(event.asset_key, set()).add(event.partition)
    return out


def test_landed_exams_are_partitions_built_one_by_one(pipeline, defs):
    bronze = pipeline.lake / "bronze" / "exams" / "exams"
    in_bronze = {r[0] for r in duckdb.execute(f"select distinct exam_id from '{bronze}/*.parquet'").fetchall()}
    registered = set(pipeline.instance.get_dynamic_partitions("exam"))
    assert in_bronze and in_bronze <= registered
    exam_models = _keys(defs, "exam")
    assert dg.AssetKey(["marts", "student_exam"]) in exam_models
    for key in exam_models:
        assert pipeline.instance.get_materialized_partitions(key) == registered, key.to_user_string()
    labels = [o.label for o in pipeline.outcomes]
    assert any(label.startswith("daily models") for label in labels)
    assert any(label.startswith("exam models") for label in labels)
    assert any(label.startswith("monthly models") for label in labels)


def test_backfill_rebuilds_three_days_of_the_daily_models(pipeline, defs):
    from orchestration.automation.backfill import run_backfill

    daily = _keys(defs, "daily")
    stg = dg.AssetKey(["staging", "stg_xapi__statements"])
    assert stg in daily
    summary = run_backfill(defs, pipeline.instance, "2021-10-02", "2021-10-04", log=lambda *_: None,
                           select=dg.AssetSelection.assets(*daily))
    assert summary["success"], summary
    days = {"2021-10-02", "2021-10-03", "2021-10-04"}
    landing = _materialized(pipeline.instance, summary["landing"]["run_id"])
    assert days <= landing[dg.AssetKey(["bronze", "xapi"])]
    [run] = summary["runs"]  # the daily models only (select), one run over the range
    built = _materialized(pipeline.instance, run["run_id"])
    assert set(built) == daily and all(parts == days for parts in built.values())
    record = pipeline.instance.get_run_by_id(run["run_id"])
    assert record.tags[REBUILD_TAG] == "true"
    messages = [r.user_message for r in pipeline.instance.all_logs(run["run_id"]) if r.user_message]
    assert any(m.startswith("dbt partitions: ") and '"rebuild": true' in m
               and '"partition_dates": {"start": "2021-10-02", "end": "2021-10-04"}' in m for m in messages)


def test_a_new_day_flows_through_automation_in_order(pipeline, defs, tmp_path, monkeypatch):
    from eduhouse_dev.simulate.run import simulate
    from orchestration.automation.sensors import downstream_automation, inbox_sensor

    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "0")
    repo = defs.get_repository_def()
    instance = pipeline.instance
    cursor = {}

    def tick(sensor):
        context = dg.build_sensor_context(instance=instance, cursor=cursor.get(sensor.name), repository_def=repo,
                                          resources={"lake": defs.resources["lake"]})
        data = sensor.evaluate_tick(context)
        cursor[sensor.name] = data.cursor
        return data.run_requests

    def execute(request):
        job = defs.resolve_job_def(request.job_name) if request.job_name else defs.resolve_implicit_global_asset_job_def()
        assert job.execute_in_process(instance=instance, asset_selection=list(request.asset_selection),
                                      partition_key=request.partition_key, tags=request.tags).success

    tick(inbox_sensor)
    tick(downstream_automation)  # baseline
    simulate(tmp_path, scale="tiny", seed=42, start=date(2021, 10, 8), days=1, dirt_rate=0,
             progress=lambda *a, **k: None, governance=False)
    shutil.copy(tmp_path / "inbox" / "xapi" / "2021-10-08.jsonl.gz", pipeline.lake / "inbox" / "xapi")
    [landing] = tick(inbox_sensor)
    assert landing.job_name == "landing_daily_job"
    execute(landing)

    daily = _keys(defs, "daily")
    requests = tick(downstream_automation)
    by_partition = {r.partition_key: set(r.asset_selection) for r in requests}
    assert by_partition.get("2021-10-08") == daily, by_partition  # the day's models, that day only
    assert set(by_partition) <= {"2021-10-08", None}
    execute(next(r for r in requests if r.partition_key == "2021-10-08"))

    requests = tick(downstream_automation)
    requested = {k for r in requests for k in r.asset_selection}
    assert dg.AssetKey(["intermediate", "int_student_activity_daily"]) in requested  # reads the daily models
    assert not requested & daily  # the day is done
    # Runs of one tick start in any order: none reads what another of them writes.
    graph = defs.resolve_asset_graph()
    for request in requests:
        others = requested - set(request.asset_selection)
        for key in request.asset_selection:
            assert not set(graph.get(key).parent_keys) & others, key.to_user_string()
    assert {r.partition_key for r in requests} <= {"2021-10-01", None}  # October: the month of the day


def test_status_reads_partitioned_assets(pipeline, defs):
    from orchestration.automation.status import format_text, gather_status

    status = gather_status(pipeline.instance, defs.resolve_asset_graph(), pipeline.lake)
    models = {g: s for g, s in status["groups"].items() if g in ("staging", "intermediate", "marts")}
    assert models and all(not s["missing"] for s in models.values()), models
    assert all(s["last_run"]["status"] == "SUCCESS" for s in models.values())
    assert "overall:" in format_text(status)


def test_a_backfill_without_downstream_leaves_it_to_the_next_run(pipeline, defs):
    """`backfill --no-downstream` landed its days and stopped there, and the next `eduhouse
    run` found nothing new in the inbox: "every asset is up to date", with the days'
    models stale (stop 49's list). The backfill now writes what the days feed into the
    lake's work journal, `status` says so, and the next run rebuilds those days and what
    they feed, then clears it."""
    from orchestration.automation.backfill import run_backfill
    from orchestration.automation.status import format_text, gather_status
    from orchestration.runner.recovery import WorkJournal
    from orchestration.runner.run import run_everything

    summary = run_backfill(defs, pipeline.instance, "2021-10-05", "2021-10-06", downstream=False,
                           log=lambda *_: None)
    assert summary["success"] and summary["runs"] == [] and summary["deferred"]["assets"] > 0
    journal = WorkJournal.load(pipeline.lake)
    assert journal.dates == {"2021-10-05", "2021-10-06"}
    assert {"staging/stg_xapi__statements", "marts/usage_monthly"} <= journal.keys
    status = gather_status(pipeline.instance, defs.resolve_asset_graph(), pipeline.lake)
    assert not status["healthy"]
    assert f"backfill {summary['backfill_id']} (--no-downstream) left" in format_text(status)

    outcomes = run_everything(pipeline.lake, pipeline.instance)
    assert outcomes and all(o.ok for o in outcomes), [(o.label, o.failed_steps, o.failed_checks) for o in outcomes]
    labels = [o.label for o in outcomes]
    assert "daily models 2021-10-05..2021-10-06" in labels and "monthly models 2021-10..2021-10" in labels, labels
    assert not any(label.startswith("land") for label in labels)  # nothing new to land
    daily = next(o for o in outcomes if o.label.startswith("daily models"))
    assert pipeline.instance.get_run_by_id(daily.run_id).tags[REBUILD_TAG] == "true"  # as the backfill would
    assert any(label.startswith("models, checks, reports and audit") for label in labels)
    assert WorkJournal.load(pipeline.lake) is None


def test_a_delivery_that_lands_nothing_rebuilds_nothing(pipeline, capsys):
    """A roster folder without its manifest is unreadable: ledgered, nothing landed. The
    run rebuilt every roster model, every exam and the month all the same (the UI
    probe); now it lands (the ledger row, the landing's checks) and stops there."""
    from orchestration.runner.run import run_everything

    folder = pipeline.lake / "inbox" / "roster" / "2021-10-09-no-manifest"
    folder.mkdir(parents=True)
    (folder / "users.csv").write_text("sourcedId,status,dateLastModified,role\nstu-x,,2021-10-09T00:00:00Z,student\n")
    outcomes = run_everything(pipeline.lake, pipeline.instance)
    assert [o.label for o in outcomes] == ["land new deliveries"], [o.label for o in outcomes]
    assert all(o.ok for o in outcomes)
    assert "nothing landed from the new deliveries of roster" in capsys.readouterr().err


def test_learning_logs_with_no_day_in_them_are_ledgered(pipeline):
    """An empty gzip and an empty access log hold no day for the landing run's range, so
    no landing ran and they waited in the inbox, unledgered, until a dated delivery came
    (the operations probe). They land beside the latest day the lake holds, each ledgered
    with its verdict, and nothing downstream is rebuilt from them."""
    from orchestration.landing.core import pending
    from orchestration.landing.ledger import read_ledger
    from orchestration.runner.run import run_everything

    lake = pipeline.lake
    (lake / "inbox" / "xapi" / "2021-10-12.jsonl.gz").write_bytes(b"")
    (lake / "inbox" / "access" / "2021-10-12-empty.jsonl").write_bytes(b"")
    outcomes = run_everything(lake, pipeline.instance)
    labels = [o.label for o in outcomes]
    assert len(labels) == 1 and labels[0].startswith("land new learning and access logs"), labels
    assert all(o.ok for o in outcomes)
    xapi = {r["delivery_id"]: r for r in read_ledger(lake, "xapi")}
    access = {r["delivery_id"]: r for r in read_ledger(lake, "access")}
    assert xapi["2021-10-12.jsonl.gz"]["landed"] == 0 and access["2021-10-12-empty.jsonl"]["landed"] == 0
    assert pending(lake, "xapi") == [] and pending(lake, "access") == []
