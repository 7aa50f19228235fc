"""Sensors that keep eduhouse running unattended.

- `inbox_sensor` lands new deliveries as they arrive, and only those (cursor + ledger).
- `downstream_automation` rematerializes the assets below landing when something they
  depend on was updated (declarative automation, no schedule needed): unpartitioned ones
  by its default condition, the partitioned dbt models per partition by their own;
  `downstream_catchup` rebuilds what that misses, every 10 minutes when idle;
  `later_months_catchup` rebuilds the months after a month rebuilt late (a month reads
  the months before it), as `eduhouse run` does.
- `run_failure_alert` and `check_failure_alert` write alerts (alerts.py).
- `dead_run_release` fails the runs whose process died and frees their warehouse slot
  (runner/recovery.py), so a daemon started again after a crash goes on by itself.
"""

import hashlib
import warnings
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration import conditions
from orchestration.automation import inbox, selections
from orchestration.automation.alerts import make_alert, write_alert
from orchestration.automation.jobs import (
    LANDING_DAILY_JOB,
    LANDING_JOB,
    landing_daily_job,
    landing_job,
)
from orchestration.lake import TIME_BASED_SOURCES, lake_in_use
from orchestration.partitions import daily_partitions
from orchestration.resources import ENGINE_TAG, LakeResource
from orchestration.runner.progress import failure_reason
from orchestration.runner.recovery import release_orphaned_runs
from orchestration.settings import OpsConfig, get_settings

TRIGGER_TAG = "eduhouse/trigger"
SOURCE_TAG = "eduhouse/source"
DELIVERIES_TAG = "eduhouse/deliveries"
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
             dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def _batch_id(entries: list[inbox.Entry]) -> str:
    text = "\n".join(f"{e.name}:{e.signature}" for e in sorted(entries, key=lambda e: e.name))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def range_tags(start: str, end: str) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}


def inbox_run_requests(lake_root: Path, found: dict[str, list[inbox.Entry]],
                       known_keys: set[dg.AssetKey] | None = None,
                       timezone: str | None = None) -> list[dg.RunRequest]:
    """One `landing_job` run for all unpartitioned sources with new deliveries (Dagster
    orders them: roster first, the sources checked against it after); one
    `landing_daily_job` run per time-based source spanning its pending days.

    Landing lands every new delivery of a source whole (a file once, whatever dates it
    holds), so never two runs of one source at a time.
    """
    found = {s: e for s, e in found.items()
             if known_keys is None or dg.AssetKey(["bronze", s]) in known_keys}
    requests = []
    plain = sorted(s for s in found if s not in TIME_BASED_SOURCES)
    if plain:
        entries = [e for s in plain for e in found[s]]
        requests.append(dg.RunRequest(
            run_key=f"landing:{','.join(plain)}:{_batch_id(entries)}", job_name=LANDING_JOB,
            asset_selection=[dg.AssetKey(["bronze", s]) for s in plain],
            tags={TRIGGER_TAG: "inbox_sensor", ENGINE_TAG: get_settings().engine, SOURCE_TAG: ",".join(plain),
                  DELIVERIES_TAG: ",".join(e.delivery_id for e in entries)[:1000]},
        ))
    for source in sorted(s for s in found if s in TIME_BASED_SOURCES):
        entries = found[source]
        days = [d for d in inbox.pending_dates(lake_root, source, timezone) if daily_partitions.has_partition_key(d)]
        if not days:
            continue  # unreadable or out-of-range only: nothing to land per day
        requests.append(dg.RunRequest(
            run_key=f"{source}:{days[0]}..{days[-1]}:{_batch_id(entries)}", job_name=LANDING_DAILY_JOB,
            asset_selection=[dg.AssetKey(["bronze", source])],
            tags={TRIGGER_TAG: "inbox_sensor", ENGINE_TAG: get_settings().engine, SOURCE_TAG: source,
                  DELIVERIES_TAG: ",".join(e.delivery_id for e in entries)[:1000],
                  **range_tags(days[0], days[-1])},
        ))
    return requests


def busy_sources(instance: dg.DagsterInstance) -> set[str]:
    """Sources with a landing run queued or in flight (their new deliveries wait a tick).

    While any unpartitioned source is landing, the daily sources wait too: xAPI and access
    are checked against the roster, which may be the delivery being landed.
    """
    runs = instance.get_runs(dg.RunsFilter(statuses=IN_FLIGHT, tags={TRIGGER_TAG: "inbox_sensor"}))
    busy = {source for run in runs for source in run.tags.get(SOURCE_TAG, "").split(",")}
    if any(run.job_name == LANDING_JOB for run in runs):
        busy |= set(TIME_BASED_SOURCES)
    return {s for s in busy if s}


@dg.sensor(
    name="inbox_sensor",
    jobs=[landing_job, landing_daily_job],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Lands new inbox deliveries: one run per source with new deliveries.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult | dg.SkipReason:
    if lake_in_use(lake.paths.root):
        # its landing takes them; a second landing run beside it raced it for the same files
        # (and, landing nothing, still recorded a materialization with no check evaluated)
        return dg.SkipReason("an eduhouse run or backfill holds the lake: it lands the inbox")
    config = OpsConfig.from_env()
    cursor = inbox.load_cursor(context.cursor)
    found, next_cursor = inbox.new_entries(lake.paths.root, cursor, config.inbox_settle_seconds)
    waiting = busy_sources(context.instance)
    if any(s not in TIME_BASED_SOURCES and s not in waiting for s in found):
        waiting |= set(TIME_BASED_SOURCES)  # the roster may be among them: days land after
    for source in waiting & set(found):
        # Seen but not taken: keep the old cursor entries so they count as new next tick.
        del found[source]
        if source in cursor:
            next_cursor[source] = cursor[source]
        else:
            next_cursor.pop(source, None)
        context.log.info(f"inbox/{source}: new deliveries wait for the landing run in flight")
    known = None
    if context.repository_def is not None:
        known = set(context.repository_def.asset_graph.get_all_asset_keys())
    requests = inbox_run_requests(lake.paths.root, found, known, lake.timezone)
    for source, entries in found.items():
        context.log.info(f"new in inbox/{source}: {', '.join(e.name for e in entries)}")
    return dg.SensorResult(run_requests=requests, cursor=inbox.dump_cursor(next_cursor))


# Like eager(), with three differences. A daily-partitioned landing asset with days that
# never had data must not block its unpartitioned dependents (eager() waits while any
# dependency is missing). The trigger resets only when this sensor requests the asset:
# with since_last_handled(), a dependency landed while the asset was being rebuilt (both
# seen in one tick) would be missed until the next delivery. And a dependency of another
# partitioning (a separate run, started in any order) must have finished first
# (conditions.py, which also holds the partitioned dbt assets' own conditions).
DOWNSTREAM_CONDITION = conditions.unpartitioned_condition()

with warnings.catch_warnings():  # default_condition and user-code evaluation are beta
    warnings.simplefilter("ignore", dg.BetaWarning)
    downstream_automation = dg.AutomationConditionSensorDefinition(
        "downstream_automation",
        target=selections.automated(),
        default_condition=DOWNSTREAM_CONDITION,
        use_user_code_server=True,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        run_tags={TRIGGER_TAG: "downstream_automation", ENGINE_TAG: get_settings().engine},
        description="Rebuilds dbt models (days, months, exams), checks, reports and the audit after "
                    "landing updates them.",
    )


def _run_assets(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[list[str], list[str]]:
    """Asset keys and partitions the run planned but did not materialize."""
    planned = instance.get_asset_partitions_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    )
    done = instance.get_asset_partitions_for_run(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    failed = {key: parts - done.get(key, set()) for key, parts in planned.items()}
    failed = {key: parts for key, parts in failed.items() if parts or key not in done}
    keys = set(failed) or set(run.asset_selection or ())
    partitions = {p for parts in failed.values() for p in parts if p}
    if run.tags.get("dagster/partition"):
        partitions.add(run.tags["dagster/partition"])
    return sorted(k.to_user_string() for k in keys), sorted(partitions)


def _run_error(context: dg.RunFailureSensorContext) -> str:
    steps = context.get_step_failure_events()
    errors = []
    for event in steps:
        error = getattr(event.event_specific_data, "error", None)
        if error is not None:
            errors.append(f"{event.step_key}: {failure_reason(error)}")
    return "\n".join(errors) or (context.failure_event.message or "run failed")


@dg.run_failure_sensor(
    name="run_failure_alert",
    # Also runs executed in-process by `eduhouse run` / `eduhouse backfill`: they carry no
    # code-location origin, so only this flag matches them (there is one location).
    monitor_all_code_locations=True,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes an alert (alerts.jsonl + webhook) for every failed run.",
)
def run_failure_alert(context: dg.RunFailureSensorContext, lake: LakeResource) -> None:
    config = OpsConfig.from_env()
    run = context.dagster_run
    assets, partitions = _run_assets(context.instance, run)
    alert = make_alert(
        "run_failure", run_id=run.run_id, run_url=config.run_url(run.run_id), job=run.job_name,
        assets=assets, partitions=partitions, error=_run_error(context),
    )
    write_alert(lake.paths.root, alert, config.alert_webhook_url)


def failed_check_alerts(instance: dg.DagsterInstance, check_keys, after_id: int,
                        config: OpsConfig) -> tuple[list[dict], int]:
    """Alerts for checks whose latest execution, newer than `after_id`, failed at ERROR.

    One query for all checks (the latest execution of each), so it works on the default
    run-sharded SQLite storage, which cannot scan events across runs.
    """
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
    alerts = []
    for key, record in sorted(latest.items(), key=lambda kv: kv[1].id):
        if record.id <= after_id or record.status != AssetCheckExecutionRecordStatus.FAILED:
            continue
        evaluation = record.event.dagster_event.event_specific_data if record.event else None
        if evaluation is None or evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        details = {k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()}
        error = "; ".join(filter(None, [evaluation.description,
                                        ", ".join(f"{k}={v}" for k, v in details.items())]))
        alerts.append(make_alert(
            "check_failure", run_id=record.run_id, run_url=config.run_url(record.run_id),
            job=record.event.job_name, assets=[key.asset_key.to_user_string()],
            partitions=[record.partition] if record.partition else [],
            check=key.name, error=error or "check failed",
        ))
    high = max([after_id, *(r.id for r in latest.values())])
    return alerts, high


@dg.sensor(
    name="check_failure_alert",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes an alert for every failed asset check of severity ERROR.",
)
def check_failure_alert(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SkipReason | None:
    config = OpsConfig.from_env()
    check_keys = context.repository_def.asset_graph.asset_check_keys if context.repository_def else []
    alerts, high = failed_check_alerts(context.instance, check_keys, int(context.cursor or 0), config)
    for alert in alerts:
        write_alert(lake.paths.root, alert, config.alert_webhook_url)
    context.update_cursor(str(high))
    if not alerts:
        return dg.SkipReason("no failed ERROR checks since the last tick")
    return None


@dg.sensor(
    name="dead_run_release",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed a run whose process died (the UI killed with it, a reboot, a killed "
                "`eduhouse run`) and frees the warehouse slot it held: the retry runs and the queue moves.",
)
def dead_run_release(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SkipReason | None:
    released = release_orphaned_runs(context.instance, lake.paths.root, by="the daemon's dead_run_release sensor")
    if not released:
        return dg.SkipReason("no run whose process died")
    for run, pid in released:
        context.log.warning(f"run {run.run_id} ({run.job_name}): its process (pid {pid}) died; marked failed, "
                            "its warehouse slot freed")
    return None


def _busy(context: dg.SensorEvaluationContext) -> dg.SkipReason | None:
    """Why a catch-up sensor waits this tick: it builds only when nothing else does."""
    if context.repository_def is None:
        return dg.SkipReason("no repository")
    if context.instance.get_runs(dg.RunsFilter(statuses=IN_FLIGHT), limit=1):
        return dg.SkipReason("runs in flight")
    if lake_in_use(get_settings().lake):
        return dg.SkipReason("an eduhouse run or backfill holds the lake")
    return None


def lagging_assets(instance: dg.DagsterInstance, asset_graph, keys) -> list[dg.AssetKey]:
    """Assets older than an upstream materialization that no run has tried since.

    The declarative condition can miss a dependency update that lands in the tick right
    after the asset was requested (Dagster resets on the request); this catches it.
    An asset whose last attempt started after the update (it failed) is left alone, so
    a broken model is not retried in a loop: it waits for new data or a person.
    """
    keys = list(keys)
    parents = {k: set(asset_graph.get(k).parent_keys) for k in keys}
    wanted = set(keys) | {p for ps in parents.values() for p in ps}
    entries = {r.asset_entry.asset_key: r.asset_entry for r in instance.get_asset_records(list(wanted))}

    def mat_time(key):
        entry = entries.get(key)
        return entry.last_materialization.timestamp if entry and entry.last_materialization else None

    run_ids = {e.last_run_id for k, e in entries.items() if k in set(keys) and e.last_run_id}
    starts = {r.dagster_run.run_id: (r.start_time or r.create_timestamp.timestamp())
              for r in instance.get_run_records(dg.RunsFilter(run_ids=sorted(run_ids)))} if run_ids else {}
    out = []
    for key in keys:
        mine = mat_time(key)
        newest_parent = max((t for p in parents[key] if (t := mat_time(p)) is not None), default=None)
        if mine is None or newest_parent is None or newest_parent <= mine:
            continue
        entry = entries.get(key)
        attempted = starts.get(entry.last_run_id) if entry and entry.last_run_id else None
        if attempted is not None and attempted >= newest_parent:
            continue
        out.append(key)
    return sorted(out, key=lambda k: k.to_user_string())


@dg.sensor(
    name="downstream_catchup",
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    target=selections.downstream(),
    description="Every 10 min, when nothing runs: rebuilds downstream assets older than their inputs.",
)
def downstream_catchup(context: dg.SensorEvaluationContext):
    busy = _busy(context)
    if busy is not None:
        return busy
    graph = context.repository_def.asset_graph
    keys = selections.downstream().resolve(graph)
    lagging = lagging_assets(context.instance, graph, keys)
    if not lagging:
        return dg.SkipReason("downstream assets are up to date")
    stamp = max(r.asset_entry.last_materialization_record.storage_id
                for r in context.instance.get_asset_records(lagging)
                if r.asset_entry.last_materialization_record)
    # Their dependents too, in the same run: one rebuild, not one layer per tick.
    selection = sorted((dg.AssetSelection.keys(*lagging).downstream() & selections.downstream()).resolve(graph),
                       key=lambda k: k.to_user_string())
    return dg.RunRequest(run_key=f"catchup:{stamp}:{len(selection)}", asset_selection=selection,
                         tags={TRIGGER_TAG: "downstream_catchup", ENGINE_TAG: get_settings().engine})


def stale_months(instance: dg.DagsterInstance, keys) -> list[str]:
    """The months of the monthly models materialized in a run before an earlier month
    was: a month reads the days and months before it (the cumulative `registered`, the
    schools' flags), so a month rebuilt late (a late delivery for a closed month) leaves
    every later month it has stale. By each partition's latest materialization; months of
    one run are as new as each other (a run over a range records them in any order), and
    a run is as new as its first record here (monthly runs never overlap)."""
    stale: set[str] = set()
    for key in keys:
        latest = instance.get_latest_storage_id_by_partition(key, DagsterEventType.ASSET_MATERIALIZATION)
        if len(latest) < 2:
            continue
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, storage_ids=list(latest.values())), limit=len(latest)).records
        run_of = {r.storage_id: r.run_id for r in records}
        run_rank: dict[str, int] = {}
        for storage_id, run_id in run_of.items():
            run_rank[run_id] = min(run_rank.get(run_id, storage_id), storage_id)
        newest_before = -1
        for month in sorted(latest):  # YYYY-MM-DD keys sort by date
            rank = run_rank.get(run_of.get(latest[month], ""), latest[month])
            if rank < newest_before:
                stale.add(month)
            newest_before = max(newest_before, rank)
    return sorted(stale)


@dg.sensor(
    name="later_months_catchup",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    target=conditions.tagged("monthly"),
    description="When nothing runs: rebuilds the months after a month rebuilt late (each month reads the ones "
                "before it), as eduhouse run and backfill do.",
)
def later_months_catchup(context: dg.SensorEvaluationContext):
    """The daemon's monthly condition rebuilds the month a late day falls in; the months
    after it read it (docs/operations.md), and this sends them in one run over their
    range, once nothing is in flight (so never beside the late month's own run)."""
    busy = _busy(context)
    if busy is not None:
        return busy
    keys = sorted(conditions.tagged("monthly").resolve(context.repository_def.asset_graph),
                  key=lambda k: k.to_user_string())
    months = stale_months(context.instance, keys)
    if not months:
        return dg.SkipReason("no month is older than a month before it")
    newest = max(max(context.instance.get_latest_storage_id_by_partition(
        k, DagsterEventType.ASSET_MATERIALIZATION).values(), default=0) for k in keys)
    context.log.info(f"months {months[0]}..{months[-1]} are older than a month before them: rebuilding")
    return dg.RunRequest(run_key=f"later-months:{months[0]}..{months[-1]}:{newest}", asset_selection=keys,
                         tags={TRIGGER_TAG: "later_months_catchup", ENGINE_TAG: get_settings().engine,
                               **range_tags(months[0], months[-1])})
