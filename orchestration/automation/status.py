"""`eduhouse status`: is the pipeline healthy, and if not, where to look.

Read-only. Per asset group: the last run that targeted it and its outcome, assets that
are stale (an upstream asset was materialized after them; for a partitioned asset, a
partitioned one: a day landed that its daily models have not seen) or never
materialized, and failing checks. Then quarantine counts by source and reason over the last N days, the
inbox backlog (deliveries not in the ledger yet) and recent alerts. Everything comes
from the Dagster instance and the lake's Parquet; nothing opens the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.tags import PARENT_RUN_ID_TAG as PARENT_RUN_TAG

from orchestration.automation import inbox
from orchestration.automation.alerts import read_alerts
from orchestration.lake import SOURCES, TIME_BASED_SOURCES, LakePaths, lake_in_use
from orchestration.landing.inbox_health import problems
from orchestration.privacy.pseudonym import PseudonymKeyError, load_key, pseudonym
from orchestration.runner.recovery import (
    PID_TAG,
    WorkJournal,
    cli_runs_in_flight,
    dead_daemon_runs,
    stopped_holder,
)
from orchestration.settings import OpsConfig


def _iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    if isinstance(ts, datetime):
        return ts.astimezone(UTC).isoformat(timespec="seconds")
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _runs_by_id(instance: dg.DagsterInstance, run_ids: set[str]) -> dict[str, dg.RunRecord]:
    if not run_ids:
        return {}
    records = instance.get_run_records(dg.RunsFilter(run_ids=sorted(run_ids)))
    return {r.dagster_run.run_id: r for r in records}


def _run_summary(record: dg.RunRecord, config: OpsConfig) -> dict:
    run = record.dagster_run
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "status": run.status.value,
        "partition": run.tags.get("dagster/partition"),
        "started_at": _iso(record.start_time or record.create_timestamp),
        "ended_at": _iso(record.end_time),
        "url": config.run_url(run.run_id),
    }


def _partitioned(asset_graph, key) -> bool:
    return asset_graph.has(key) and asset_graph.get(key).partitions_def is not None


def group_status(instance: dg.DagsterInstance, asset_graph, config: OpsConfig) -> dict[str, dict]:
    """Last run, stale/missing assets and failing checks for each asset group."""
    keys = [k for k in asset_graph.get_all_asset_keys() if asset_graph.get(k).is_materializable]
    records = {r.asset_entry.asset_key: r.asset_entry for r in instance.get_asset_records(keys)}
    all_keys = list(asset_graph.get_all_asset_keys())
    external = [k for k in all_keys if k not in records]
    records.update({r.asset_entry.asset_key: r.asset_entry for r in instance.get_asset_records(external)})

    def last_time(key):
        entry = records.get(key)
        event = entry.last_materialization if entry else None
        return event.timestamp if event else None

    runs = _runs_by_id(instance, {e.last_run_id for e in records.values() if e.last_run_id})
    check_keys = list(asset_graph.asset_check_keys)
    latest_checks = (
        instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys) if check_keys else {}
    )

    groups: dict[str, dict] = defaultdict(lambda: {"assets": 0, "last_run": None, "stale": [],
                                                    "missing": [], "failing_checks": []})
    for key in sorted(keys):
        node = asset_graph.get(key)
        group = groups[node.group_name or "default"]
        group["assets"] += 1
        entry = records.get(key)
        run = runs.get(entry.last_run_id) if entry and entry.last_run_id else None
        if run is not None:
            current = group["last_run"]
            if current is None or run.create_timestamp > current[0].create_timestamp:
                group["last_run"] = (run, _run_summary(run, config))
        mine = last_time(key)
        if mine is None:
            group["missing"].append(key.to_user_string())
            continue
        # A partitioned asset follows its partitioned inputs (a landed day, the day's
        # models); an unpartitioned input's update does not make every partition stale.
        # A landing asset follows its deliveries, not the assets it reads: a new roster does
        # not make the landed exams stale (no run would land them again; status listed
        # them as stale for ever).
        parents = [p for p in sorted(node.parent_keys)
                   if (node.partitions_def is None or _partitioned(asset_graph, p))
                   and node.group_name != "landing"]
        newer = [p.to_user_string() for p in parents if (last_time(p) or 0) > mine]
        if newer:
            group["stale"].append({"asset": key.to_user_string(), "newer_upstream": newer})
    for check_key, record in sorted(latest_checks.items(), key=lambda kv: kv[0].to_user_string()):
        if record.status != AssetCheckExecutionRecordStatus.FAILED:
            continue
        evaluation = record.event.dagster_event.event_specific_data if record.event else None
        node = asset_graph.get(check_key.asset_key) if asset_graph.has(check_key.asset_key) else None
        groups[(node.group_name if node else None) or "default"]["failing_checks"].append({
            "asset": check_key.asset_key.to_user_string(),
            "check": check_key.name,
            "severity": evaluation.severity.value if evaluation else None,
            "partition": record.partition,
            "run_id": record.run_id,
            "at": _iso(record.create_timestamp),
            "deliveries": _named_deliveries(evaluation),
        })
    for group in groups.values():
        if group["last_run"] and group["last_run"][0].dagster_run.status == dg.DagsterRunStatus.FAILURE:
            retry = _latest_retry(instance, group["last_run"][0])
            if retry is not None:
                group["last_run"] = (retry, {**_run_summary(retry, config),
                                             "retry_of": group["last_run"][0].dagster_run.run_id})
    return {name: {**g, "last_run": g["last_run"][1] if g["last_run"] else None}
            for name, g in sorted(groups.items())}


def _latest_retry(instance: dg.DagsterInstance, failed: dg.RunRecord, depth: int = 5) -> dg.RunRecord | None:
    """The last re-execution of a failed run (Dagster's retry, or one from the UI), followed
    down its chain. A retry that found nothing left to materialize leaves the failed run
    the group's last materializing one: `status` said ATTENTION after the daemon's retry
    had succeeded (the daemon probe)."""
    latest = None
    run_id = failed.dagster_run.run_id
    for _ in range(depth):
        retries = instance.get_run_records(dg.RunsFilter(tags={PARENT_RUN_TAG: run_id}), limit=1)
        if not retries:
            break
        latest = retries[0]
        run_id = latest.dagster_run.run_id
    return latest


def _named_deliveries(evaluation) -> list[str]:
    """The deliveries a failed check's metadata names (conservation's mismatches and
    orphans): where the data engineer starts, said by `status`, not only in the UI."""
    metadata = getattr(evaluation, "metadata", None) or {}
    named: list[str] = []
    for key in ("mismatches", "orphan_deliveries"):
        value = metadata.get(key)
        for item in (getattr(value, "value", None) or []):
            delivery = item.get("delivery_id") if isinstance(item, dict) else item
            if isinstance(delivery, str) and delivery not in named:
                named.append(delivery)
    return named


def job_status(instance: dg.DagsterInstance, config: OpsConfig, limit: int = 500) -> dict[str, dict]:
    """The last run of each job among the most recent runs (works without the code)."""
    out: dict[str, dict] = {}
    for record in instance.get_run_records(limit=limit):
        out.setdefault(record.dagster_run.job_name, _run_summary(record, config))
    return dict(sorted(out.items()))


def quarantine_counts(lake_root: Path, since: datetime) -> list[dict]:
    """Quarantined records by source and reason since a moment (from the Parquet files)."""
    files = sorted(str(p) for p in (LakePaths(Path(lake_root)).quarantine).glob("*/*.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT source, reason, count(*) AS records, count(DISTINCT delivery_id) AS deliveries "
            "FROM read_parquet(?, union_by_name = true) WHERE quarantined_at >= ? "
            "GROUP BY ALL ORDER BY source, records DESC, reason",
            [files, since],
        ).fetchall()
    finally:
        con.close()
    return [{"source": s, "reason": r, "records": n, "deliveries": d} for s, r, n, d in rows]


def known_now(lake_root: Path) -> list[dict]:
    """Records quarantined as `unknown_reference` whose person the roster holds now (an LRS
    export or an exam sheet ahead of the roster export), per source: how many, their
    deliveries, the local days they hold, and how to land them. Landing judged them by the
    roster of their day and never judges a delivery twice on its own; a re-landing does."""
    paths = LakePaths(Path(lake_root))
    quarantined = sorted(str(p) for p in paths.quarantine.glob("*/*.parquet"))
    users = sorted(str(p) for p in (paths.bronze / "roster" / "users").glob("*.parquet"))
    if not quarantined or not users:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            # the detail names the person: 'actor "stu-1" is not a roster user' (landing.rules.show)
            "SELECT source, count(*), list(DISTINCT delivery_id ORDER BY delivery_id) "
            "FROM read_parquet(?, union_by_name = true) "
            "WHERE reason = 'unknown_reference' AND regexp_extract(detail, '\"(.*)\" is not a roster user', 1) "
            "  IN (SELECT sourcedId FROM read_parquet(?, union_by_name = true)) "
            "GROUP BY ALL ORDER BY 1", [quarantined, users]).fetchall()
    finally:
        con.close()
    out = []
    for source, records, deliveries in rows:
        days: set[str] = set()
        if source in TIME_BASED_SOURCES:
            from orchestration.landing.ledger import read_ledger

            wanted = set(deliveries)
            days = {str(d)[:10] for r in read_ledger(Path(lake_root), source)
                    if r["delivery_id"] in wanted for d in r["local_dates"] or []}
        how = (f"eduhouse backfill --from {min(days)} --to {max(days)} --rebuild" if days else
               f"materialize bronze/{source} with the run config `rebuild: true` (the UI's Launchpad), "
               "then `eduhouse run --full`")
        out.append({"source": source, "records": records, "deliveries": deliveries,
                    "days": sorted(days), "land_them": how})
    return out


def inbox_backlog(lake_root: Path) -> dict[str, int]:
    """Deliveries waiting in the inbox that the ledger has not recorded yet."""
    out = {}
    for source in SOURCES:
        done = inbox.ledgered(lake_root, source)
        waiting = [e for e in inbox.scan(lake_root, source) if e.delivery_id not in done]
        if waiting:
            out[source] = len(waiting)
    return out


def interrupted(instance: dg.DagsterInstance, lake_root: Path, config: OpsConfig) -> dict:
    """Runs of `eduhouse run` that died (still "started", nobody holds the lake lock) and
    the plan they left; the next `eduhouse run` finishes both."""
    running = lake_in_use(lake_root)
    pids = {} if running else {r.run_id: r.tags.get(PID_TAG) for r in cli_runs_in_flight(instance)}
    # a daemon run whose worker died with the UI holds its warehouse slot until a run frees it
    pids.update({r.run_id: str(pid) for r, pid in dead_daemon_runs(instance)})
    records = instance.get_run_records(dg.RunsFilter(run_ids=list(pids))) if pids else []
    dead = [{**_run_summary(r, config), "pid": pids[r.dagster_run.run_id]} for r in records]
    journal = None if running else WorkJournal.load(lake_root)
    return {"run_in_progress": running, "run_stopped": stopped_holder(lake_root) if running else None,
            "dead_runs": dead,
            "unfinished_plan": None if journal is None else
            {"started_at": journal.started_at, "pid": journal.pid, "assets": len(journal.keys),
             "runs_done": len(journal.done),
             "deferred_by": journal.deferred_by or None}}


def pseudonym_key_problem(lake_root: Path) -> str | None:
    """Why the published student keys do not match the lake's key (a rotated, replaced or
    lost key file: marts built before and after would hold different keys), else None."""
    identity = LakePaths(Path(lake_root)).restricted / "student_identity.parquet"
    if not identity.exists():
        return None
    with duckdb.connect() as con:
        row = con.execute("select student_sourced_id, student_key from read_parquet(?) "
                          "where student_key is not null limit 1", [str(identity)]).fetchone()
    if row is None:
        return None
    try:
        key = load_key(lake_root, create=False)
    except PseudonymKeyError as exc:
        return str(exc)
    if pseudonym(key, row[0]) != row[1]:
        return ("the marts were built under another pseudonym key: rebuild every partition "
                "(docs/privacy.md, rotating the key)")
    return None


def gather_status(instance: dg.DagsterInstance, asset_graph, lake_root: Path, days: int = 7,
                  now: datetime | None = None, config: OpsConfig | None = None,
                  load_error: str | None = None) -> dict:
    """The whole status; `asset_graph=None` (code failed to load) reports jobs only."""
    config = config or OpsConfig.from_env()
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    groups = group_status(instance, asset_graph, config) if asset_graph is not None else {}
    jobs = job_status(instance, config)
    alerts = read_alerts(lake_root, since)
    failed_groups = [g for g, s in groups.items() if s["last_run"] and s["last_run"]["status"] == "FAILURE"]
    if asset_graph is None:
        failed_groups = [j for j, r in jobs.items() if r["status"] == "FAILURE"]
    failing = [c for s in groups.values() for c in s["failing_checks"] if c["severity"] == "ERROR"]
    broken = interrupted(instance, Path(lake_root), config)
    key_problem = pseudonym_key_problem(Path(lake_root))
    inbox_problems = problems(Path(lake_root))
    backlog = inbox_backlog(lake_root)
    if backlog and not instance.get_runs(limit=1):
        # a lake nothing ever ran on, deliveries waiting: not "OK" (the operations probe)
        inbox_problems.insert(0, f"nothing has landed yet: {sum(backlog.values())} deliveries wait in the inbox "
                                 "(`eduhouse run`, or `make ui` for the daemon)")
    healthy = (not failed_groups and not failing and load_error is None
               and not broken["dead_runs"] and broken["unfinished_plan"] is None and key_problem is None
               and broken["run_stopped"] is None and not inbox_problems)
    return {
        "generated_at": _iso(now),
        "lake": str(lake_root),
        "days": days,
        "healthy": healthy,
        "overall": "OK" if healthy else "ATTENTION",  # the text's first line, as the docs name it
        "pseudonym_key_problem": key_problem,
        "interrupted": broken,
        "definitions_error": load_error,
        "groups": groups,
        "jobs": jobs,
        "quarantine": quarantine_counts(lake_root, since),
        "quarantined_known_now": known_now(lake_root),
        "inbox_backlog": backlog,
        "inbox_problems": inbox_problems,
        "alerts": {"count": len(alerts), "recent": alerts[-10:]},
    }


def format_text(status: dict) -> str:
    lines = [f"eduhouse status  {status['generated_at']}  lake={status['lake']}",
             f"overall: {'OK' if status['healthy'] else 'ATTENTION'}", ""]
    if status.get("definitions_error"):
        lines += [f"! the code location does not load: {status['definitions_error']}", ""]
    if status.get("pseudonym_key_problem"):
        lines += [f"! {status['pseudonym_key_problem']}", ""]
    broken = status.get("interrupted") or {}
    if broken.get("run_stopped"):
        pid = broken["run_stopped"]
        lines += [f"! the eduhouse run holding this lake (pid {pid}) is stopped: nothing progresses until "
                  f"it is resumed (kill -CONT {pid}, or fg in its terminal)", ""]
    elif broken.get("run_in_progress"):
        lines += ["… an eduhouse run is working on this lake now", ""]
    for run in broken.get("dead_runs") or []:
        lines.append(f"! run {run['run_id'][:8]} ({run['job']}) died with its process (pid {run['pid']}) "
                     f"while {run['status']}: {run['url']}")
    plan = broken.get("unfinished_plan")
    if plan and plan.get("deferred_by"):
        lines.append(f"! {plan['deferred_by']} left {plan['assets']} assets to build: `eduhouse run` builds them")
    elif plan:
        # the plan's size alone read as "nothing of it finished" (the faults probe)
        done = plan.get("runs_done", 0)
        lines.append(f"! the run started {plan['started_at']} (pid {plan['pid']}) did not finish its plan of "
                     f"{plan['assets']} assets ({done} of its runs had finished): `eduhouse run` finishes the rest")
    if broken.get("dead_runs") or plan:
        lines.append("")
    # checks that failed and checks that only warned, apart: one count of both read as
    # failures beside "overall: OK" (the faults probe)
    lines.append(f"{'group':<14} {'assets':>6}  {'last run':<34} {'stale':>5} {'missing':>7} {'checks failed/warned':>20}")
    for name, g in status["groups"].items():
        run = g["last_run"]
        run_text = f"{run['status']} {run['started_at'] or ''}" if run else "never run"
        warned = sum(c["severity"] == "WARN" for c in g["failing_checks"])
        counts = f"{len(g['failing_checks']) - warned}/{warned}"
        lines.append(f"{name:<14} {g['assets']:>6}  {run_text:<34} {len(g['stale']):>5} "
                     f"{len(g['missing']):>7} {counts:>20}")
    for name, g in status["groups"].items():
        run = g["last_run"]
        if run and run["status"] == "FAILURE":
            lines.append(f"  ! {name}: last run failed: {run['url']}")
        for item in g["stale"][:10]:
            lines.append(f"  ~ {name}: {item['asset']} is older than {', '.join(item['newer_upstream'])}")
        for check in g["failing_checks"]:
            # a warning is said as one: "failed (WARN)" under "overall: OK" read as a contradiction
            if check["severity"] == "WARN":
                lines.append(f"  ! {name}: check {check['asset']}:{check['check']} warned (not blocking)")
            else:
                lines.append(f"  x {name}: check {check['asset']}:{check['check']} failed ({check['severity']})")
                if check.get("deliveries"):
                    shown = check["deliveries"][:5]
                    more = len(check["deliveries"]) - len(shown)
                    lines.append(f"      deliveries: {', '.join(shown)}" + (f" and {more} more" if more else ""))
    lines += ["", "last run per job:"]
    for job, run in status["jobs"].items():
        lines.append(f"  {job:<28} {run['status']:<9} {run['started_at'] or '':<26} {run['url']}")
    lines += ["", f"quarantine, last {status['days']} days (source / reason / records / deliveries):"]
    if not status["quarantine"]:
        lines.append("  none")
    for q in status["quarantine"]:
        lines.append(f"  {q['source']:<11} {q['reason']:<22} {q['records']:>9} {q['deliveries']:>5}")
    for q in status.get("quarantined_known_now") or []:
        lines.append(f"  ~ {q['source']}: {q['records']} record(s) quarantined as unknown_reference name people the "
                     f"roster holds now; to land them: {q['land_them']}")
    backlog = status["inbox_backlog"]
    lines.append("inbox backlog: " + (", ".join(f"{s}={n}" for s, n in backlog.items()) or "none"))
    lines += [f"  ! {problem}" for problem in status.get("inbox_problems") or []]
    lines.append(f"alerts, last {status['days']} days: {status['alerts']['count']}")
    for alert in status["alerts"]["recent"][-5:]:
        first = (alert.get("error") or "").splitlines()[:1]
        lines.append(f"  {alert['at']} {alert['kind']} {','.join(alert['assets'])} "
                     f"{alert.get('run_url') or ''} {first[0][:100] if first else ''}")
    return "\n".join(lines)
