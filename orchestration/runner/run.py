"""`eduhouse run`: materialize every asset for what is in the inbox, in as few runs as
Dagster allows, and say what was landed, quarantined and built.

A run holds one partitioning (stages.py): landing first (the new deliveries; the daily
sources over the range of local days they hold), then, in dependency order, the
unpartitioned models the partitioned ones read, the daily models over the days landing
touched (one run over min..max, read from the ledger), the exam models of the exams that
landed, the monthly models of the months touched and every later month (a month reads the
months before it), the unpartitioned rest (marts, checks,
reports, audit) and the monthly publication. Only what new deliveries change is rebuilt;
`--full` rebuilds everything (every partition, with `rebuild`). Runs go through the
Dagster instance of the lake, so they show in the UI. A failed run stops the stages
after it. A run holds the lake's lock, journals its plan first and finishes what a run
that died left undone (recovery.py).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import orjson

from orchestration.dagster_home import get_instance
from orchestration.lake import SOURCES, TIME_BASED_SOURCES, LakePaths
from orchestration.landing.access_segments import seal_open_segments
from orchestration.partitions import EXAM_PARTITIONS_NAME, NO_EXAM_YET
from orchestration.resources import ENGINE_TAG
from orchestration.runner.behind import landed_since_built
from orchestration.runner.execute import LABEL_TAG, RANGE_END, RANGE_START, RunOutcome, execute, range_tags
from orchestration.runner.holds import blocked_by, failing_landing_checks, held_by
from orchestration.runner.progress import counted
from orchestration.runner.recovery import (
    WorkJournal,
    lake_lock,
    release_dead_runs,
    remove_orphan_temp_files,
    stage_marker,
    wait_for_tools,
)
from orchestration.runner.scope import Scope, ledger_ids, partition_runs
from orchestration.runner.stages import Stage, partitioning_kind, plan_stages
from orchestration.settings import get_settings
from orchestration.worker import run_worker

__all__ = ["RANGE_END", "RANGE_START", "RunOutcome", "blocked_by", "run_everything", "summarize"]
STEP_LINES = {"loggers": {"step_lines": {}}}
LANDING_GAP_DAYS = 7  # days without a delivery that split the landing run's range (landing_range)


def _pending_dates(lake: Path) -> dict[str, list[str]]:
    """Per time-based source, the local dates (in the lake's time zone) its not-yet-landed
    deliveries are for, from the first records of each (`head_dates`): the landing run's
    range. Whatever they hold beyond it lands all the same (landing/assets.py)."""
    from orchestration.landing import head_dates, pending_dates
    from orchestration.partitions import daily_partitions

    timezone = get_settings(lake).timezone
    found = {}
    for source in TIME_BASED_SOURCES:
        dates = head_dates(lake, source, timezone)
        if dates and not any(daily_partitions.has_partition_key(d) for d in dates):
            # the heads hold only days outside the partitions: a range needs one inside
            dates = pending_dates(lake, source, timezone)
        found[source] = sorted(dates)
    return found


@dataclass(frozen=True)
class InboxScan:
    """What the runner asks of the inbox, scanned in a background thread started before
    the code location loads, which it then overlaps: both read files and Parquet (the
    GIL released), the load imports Python."""

    changed_sources: Future  # list[str]: the sources with deliveries the ledger has not seen
    pending_dates: Future  # dict[str, list[str]]: `_pending_dates`
    problems: Future  # list[str]: what in the inbox will not land as it is (`_inbox_problems`)


def _scan_inbox(lake: Path) -> InboxScan:
    """The sources with new deliveries first (the plan needs them as soon as the code
    location has loaded; 8 inboxes against their ledgers, 0.35 s at a district), then
    the days the daily sources' new deliveries hold, which the daily landing run waits
    for only if the scan is still going. (Reading every line of a month's inbox took
    18.5 CPU s for 62 files at a district; the heads of the files take about half a
    second.)"""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-scan")
    try:
        return InboxScan(pool.submit(_changed_sources, lake), pool.submit(_pending_dates, lake),
                         pool.submit(_inbox_problems, lake))
    finally:
        pool.shutdown(wait=False)


def _inbox_problems(lake: Path) -> list[str]:
    from orchestration.landing.inbox_health import problems

    return problems(lake)


def _changed_sources(lake: Path) -> list[str]:
    """Sources with deliveries in the inbox that the ledger has not seen."""
    from orchestration.landing.core import pending

    return [source for source in SOURCES if pending(lake, source)]


def _selection(defs: dg.Definitions, instance, changed_sources: list[str], full: bool) -> set[dg.AssetKey]:
    """What this run must build: everything downstream of a source with new deliveries,
    plus anything never materialized (a first run, a new model). Nothing else changed."""
    graph = defs.resolve_asset_graph()
    everything = set(graph.materializable_asset_keys)
    if full:
        return everything
    changed = [dg.AssetKey(["bronze", source]) for source in changed_sources]
    selected = set(dg.AssetSelection.assets(*changed).downstream().resolve(graph)) if changed else set()
    never = _never_built(instance, everything)
    # Models never built are built now. Daily and monthly ones with no day yet are built
    # empty on their first partition (scope.partition_runs), exam ones with no exam yet on
    # the placeholder exam partition, registered here: the unpartitioned models that read
    # them need their tables.
    if (any(partitioning_kind(graph.get(k).partitions_def) == "exam" for k in never)
            and not instance.get_dynamic_partitions(EXAM_PARTITIONS_NAME)):
        instance.add_dynamic_partitions(EXAM_PARTITIONS_NAME, [NO_EXAM_YET])
    return (selected | never) & everything


def sources_that_landed(lake: Path, before: dict[str, set[str]], sources: list[str]) -> list[str]:
    """Of `sources`, those whose deliveries new since the ledger `before` landed at least
    one record. A delivery refused whole (unreadable, every record quarantined) or sent
    again (a duplicate) changes no table: what reads only its source need not be rebuilt
    (the UI probe's roster folder without its manifest rebuilt every roster model, the
    42 exams and the month)."""
    from orchestration.landing.ledger import read_ledger

    after = ledger_ids(lake)
    landed = []
    for source in sources:
        new = after.get(source, set()) - before.get(source, set())
        if new and any(r["delivery_id"] in new and (r.get("landed") or 0) > 0 for r in read_ledger(lake, source)):
            landed.append(source)
    return landed


def _never_built(instance, keys) -> set[dg.AssetKey]:
    """The keys with no materialization: one query for all of them (one per key took
    1.4 s for the project's 250 assets before every run)."""
    keys = list(keys)
    built = {record.asset_entry.asset_key for record in instance.get_asset_records(keys)
             if record.asset_entry.last_materialization_record is not None}
    return {key for key in keys if key not in built}


def _time_sources(graph, keys) -> set[str]:
    """The time-based sources whose landing assets `keys` read (their days matter)."""
    upstream = dg.AssetSelection.assets(*keys).upstream().resolve(graph)
    return {s for s in TIME_BASED_SOURCES if dg.AssetKey(["bronze", s]) in upstream}


def _landing_runs(stages: list[Stage], selected: set, changed_sources: list[str], instance, full: bool,
                  pending_dates: Callable[[], dict[str, list[str]]]) -> Iterator[tuple[str, list[dg.AssetKey], dict]]:
    """The landing runs, (label, keys, tags): new deliveries of the unpartitioned sources,
    then the daily sources over the range of local days their new deliveries hold (one run
    lands each file once). A source with nothing pending is not landed again (a resumed
    plan names every source), unless it was never materialized or `full`.

    A generator: each run is planned when the one before it has been executed, so the
    daily run asks `pending_dates` (the background scan) for its days only then.

    Two runs, not one: Dagster plans every asset of a ranged run for every day of the
    range, one stored event each (6.6 ms then, with Dagster's own event log). A month whose
    access log held one record of April planned 1,600 events, 11 s before landing began,
    when the range came from every record; the daily sources alone plan a quarter of that.
    The range now comes from the deliveries' first records, so a stray record further in
    no longer stretches it: it lands as a partition of its own beside the range."""
    pending = set(changed_sources)
    for stage in (s for s in stages if s.landing):
        chosen = [k for k in stage.asset_keys if k in selected
                  and (full or k.path[-1] in pending or _never_built(instance, [k]))]
        if not chosen:
            continue
        if stage.kind == "none":
            yield "land new deliveries", chosen, {}
            continue
        dates = sorted(set().union(*pending_dates().values()))
        valid = [d for d in dates if stage.partitions_def.has_partition_key(d)]
        if len(valid) < len(dates):
            print(f"! dates outside the partitions ({dates[0]}..{dates[-1]}); set EDUHOUSE_PARTITIONS_START",
                  file=sys.stderr)
        if not valid and any(k.path[-1] in pending for k in chosen):
            # New deliveries with no day in them (empty, unreadable, not the shape of one):
            # landed with a day the lake already holds, so the ledger records each with its
            # reason. They waited in the inbox for a dated delivery (the operations probe).
            held = sorted(set().union(*(instance.get_materialized_partitions(k) for k in chosen)))
            day = held[-1] if held else stage.partitions_def.get_first_partition_key()
            print(f"  new learning or access logs with no day in them: landed beside {day}", file=sys.stderr)
            yield f"land new learning and access logs {day}", chosen, range_tags(day, day)
        if valid:
            span = landing_range(valid)
            apart = len(valid) - len(span)
            print(f"  new learning and access logs for {span[0]} .. {span[-1]} ({counted(len(span), 'day')})"
                  + (f", and {counted(apart, 'day')} apart from them, landed as partitions of their own"
                     if apart else ""), file=sys.stderr)
            yield (f"land new learning and access logs {span[0]}..{span[-1]}", chosen,
                   range_tags(span[0], span[-1]))


def landing_range(dates: list[str], gap_days: int = LANDING_GAP_DAYS) -> list[str]:
    """Of the sorted days the new deliveries are for, the stretch the landing run ranges
    over: the longest with no gap over ``gap_days`` (of equal ones, the latest).

    Dagster plans a ranged run's every day, and the landing records each, so one delivery
    of old records (the simulated district's access log of 2021-04-13, for the retention
    check) stretched a month's landing over 200 days, 199 of them empty. The days apart
    land all the same, in the same run: each gets a partition materialization of its own
    and the bronze checks widen their window to it (landing/assets.py, quality/checks.py)."""
    stretches: list[list[str]] = []
    for day in dates:
        if stretches and (date.fromisoformat(day) - date.fromisoformat(stretches[-1][-1])).days <= gap_days:
            stretches[-1].append(day)
        else:
            stretches.append([day])
    return max(reversed(stretches), key=len) if stretches else []


def _unfinished_landings(instance: dg.DagsterInstance, dead_runs: list[str], stages: list[Stage],
                         landed: set[dg.AssetKey]) -> Iterator[tuple[str, list[dg.AssetKey], dict]]:
    """Landing runs that died, whose assets this run has not landed again, as (label,
    keys, tags) to run once more over the same days.

    A run killed after its last delivery's ledger row leaves nothing pending, so no
    landing would run again: its checks (conservation above all, the proof that nothing
    was lost) never ran on what it landed, and the landing group's last run stayed the
    dead one, for `status` a failure no later run cleared. Run again, the landing lands
    nothing (the ledger has every delivery) and its checks run."""
    landing_keys = {k for s in stages if s.landing for k in s.asset_keys}
    for run_id in dead_runs:
        run = instance.get_run_by_id(run_id)
        keys = set(run.asset_selection or ()) if run is not None else set()
        if not keys or not keys <= landing_keys or not keys - landed:
            continue
        tags = {k: v for k, v in run.tags.items() if k in (RANGE_START, RANGE_END)}
        yield (run.tags.get(LABEL_TAG, "landing"), sorted(keys - landed, key=lambda k: k.to_user_string()),
               tags)


def run_everything(lake: Path, instance: dg.DagsterInstance | None = None, full: bool = False,
                   wait: bool = False) -> list[RunOutcome]:
    """Materialize what the inbox's new deliveries change (everything with `full`), and
    whatever a run that died left undone. Returns one outcome per Dagster run; none when
    nothing is new. Holds the lake's lock throughout (`wait`: queue behind another run)."""
    lake = Path(lake).resolve()
    with lake_lock(lake, wait=wait):
        return _run_locked(lake, instance, full)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _run_locked(lake: Path, instance: dg.DagsterInstance | None, full: bool) -> list[RunOutcome]:
    os.environ["EDUHOUSE_LAKE"] = str(lake)
    instance = instance or get_instance(lake)
    dead = release_dead_runs(instance, log=_say)
    wait_for_tools(lake, log=_say)
    if remove_orphan_temp_files(lake):
        _say("  removed half-written files a killed run left")
    sealed = seal_open_segments(lake)
    if sealed:
        _say(f"  sealed {len(sealed)} open access-log segment(s) of `eduhouse serve` for landing")
    _wait_until_settled(lake)
    leftover = WorkJournal.load(lake)
    inbox = LakePaths(lake).inbox
    if leftover is None and not any(inbox.glob("*/*")):
        # Nothing delivered, nothing unfinished: building empty marts would only hide that.
        _say(f"  the inbox is empty: nothing to land (deliveries go under {inbox}/<source>/)")
        _say_problems(_inbox_problems(lake))
        return []
    scan = _scan_inbox(lake)  # after sealing: the sealed segments are deliveries
    try:
        with run_worker(lake):  # imports dbt and GX while the code location loads and landing runs
            return _plan_and_execute(lake, instance, full, leftover, scan, dead)
    finally:  # last, where they are read, whatever the run did: landing did not take them
        _say_problems(scan.problems.result())


def _say_problems(lines: list[str]) -> None:
    for line in lines:
        _say(f"! {line}")


SETTLE_WAIT_LIMIT_S = 900  # a delivery still changing after this lands as it stands


def _wait_until_settled(lake: Path) -> None:
    """Before the inbox is read: wait for deliveries still being copied in (a file landed
    half written lost the rest: it lands once, by its name; the operations probe)."""
    from orchestration.landing.inbox_health import unsettled
    from orchestration.settings import OpsConfig

    settle = OpsConfig.from_env().inbox_settle_seconds
    waited, said = 0.0, False
    while settle > 0 and waited < SETTLE_WAIT_LIMIT_S:
        busy = unsettled(lake, settle)
        if not busy:
            break
        if not said:
            names = ", ".join(f"{d.source}/{d.path.name}" for d in busy[:3]) + (" ..." if len(busy) > 3 else "")
            many = f"{len(busy)} deliver{'y' if len(busy) == 1 else 'ies'}"
            _say(f"  waiting for {many} still being written ({names}): landed once "
                 f"unchanged for {settle:g} s (EDUHOUSE_INBOX_SETTLE_SECONDS)")
            said = True
        time.sleep(1.0)
        waited += 1.0


@contextmanager
def _code_location_kept() -> Iterator[None]:
    """Load the code location with the garbage collector off, then freeze all it made.

    Its objects (modules, the dbt manifest, the asset graph) live as long as the run and
    are hardly ever garbage: each full collection while they were made walked them all
    again, and every later one too, 1.0 s and 0.5 s of the 2.0 s a district new day's
    process spent collecting. Frozen, the collector's passes skip them."""
    gc.freeze()  # what is imported already
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()
        gc.freeze()


def _plan_and_execute(lake: Path, instance: dg.DagsterInstance, full: bool, leftover: WorkJournal | None,
                      scan: InboxScan, dead_runs: list[str] = ()) -> list[RunOutcome]:
    from orchestration.definitions import defs as load_defs
    from orchestration.runner.progress import step_lines

    if leftover is not None and leftover.deferred_by:
        days = sorted(leftover.dates)
        what = [f"{days[0]}..{days[-1]}"] if days else []
        what += [f"exam {e}" for e in sorted(leftover.exams)]
        _say(f"  building what {leftover.deferred_by} landed and left to the next run ({', '.join(what)})")
    elif leftover is not None:
        _say(f"  finishing what the run started {leftover.started_at} (pid {leftover.pid}) left undone")
    if leftover is not None:
        full = full or leftover.full
    with _code_location_kept():
        defs = dg.Definitions.merge(load_defs(), dg.Definitions(loggers={"step_lines": step_lines}))
        job = defs.resolve_implicit_global_asset_job_def()
        graph = defs.resolve_asset_graph()
        stages = plan_stages(graph)
    # which sources have new deliveries, asked once (nothing lands before the landing runs)
    changed_sources = scan.changed_sources.result()
    selected = _selection(defs, instance, changed_sources, full)
    if leftover is None:
        # whatever else this run builds (new deliveries, a model never built): the daemon's
        # landings its models never read (the second daemon probe: beside never-built marts,
        # the run rebuilt the months from days it had not built)
        leftover = landed_since_built(lake, instance, graph)
        if leftover is not None:
            _say(f"  building what {leftover.deferred_by} landed after the models reading it were last built")
    left = {dg.AssetKey.from_user_string(k) for k in leftover.keys} if leftover is not None else set()
    selected |= left & set(graph.materializable_asset_keys)
    if not selected:
        _say("  nothing new in the inbox: every asset is up to date")
        return []
    journal = WorkJournal.new({k.to_user_string() for k in selected}, ledger_ids(lake), full).merged(leftover)
    journal.save(lake)

    log_path = LakePaths(lake).root / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    base_tags = {"eduhouse/trigger": "cli", ENGINE_TAG: get_settings(lake).engine}
    outcomes: list[RunOutcome] = []
    landed_before = ledger_ids(lake)
    landed: set[dg.AssetKey] = set()
    for label, keys, tags in _landing_runs(stages, selected, changed_sources, instance, full, scan.pending_dates.result):
        # as in one run: a failure holds back only the landing that reads what failed
        # (the learning logs check their actors against the roster)
        if blocked_by(keys, graph, outcomes):
            print(f"  {label}: skipped, what it reads failed to land", file=sys.stderr)
            continue
        outcomes.append(execute(job, instance, label, keys, {**base_tags, **tags}, log_path, STEP_LINES))
        landed |= set(keys)
    for label, keys, tags in _unfinished_landings(instance, dead_runs, stages, landed):
        _say(f"  {label}: its run died after landing, before its checks had all run; running it again")
        outcomes.append(execute(job, instance, label, keys, {**base_tags, **tags}, log_path, STEP_LINES))
    if ledger_ids(lake) != landed_before:
        # New data: every stage after landing runs again, whatever a dead run finished.
        journal.done.clear()
        journal.save(lake)
    landed_sources = sources_that_landed(lake, landed_before, changed_sources)
    refused = [s for s in changed_sources if s not in landed_sources]
    if refused and not full:
        _say(f"  nothing landed from the new deliveries of {', '.join(refused)} (the summary's quarantine says why): "
             "what reads only them is not rebuilt")
        selected = (_selection(defs, instance, landed_sources, full) | left) & set(graph.materializable_asset_keys)
    # The ledger as it was before this plan began (a dead run's plan included): what it
    # landed counts as new, so its days, months and exams are built now.
    scope = Scope.after_landing(lake, journal.ledger_before, full=full).with_deferred(journal.dates, journal.exams)
    failing = failing_landing_checks(instance, graph)
    for stage in (s for s in stages if not s.landing):
        keys = [k for k in stage.asset_keys if k in selected]
        if not keys:
            continue
        runs = partition_runs(stage, scope, instance, _time_sources(graph, keys),
                              never_built=bool(_never_built(instance, keys)))
        if not runs:
            print(f"  {stage.name}: no partitions to run on", file=sys.stderr)
        for run in runs:
            if any(not o.ok for o in outcomes):
                # Blocking checks only hold back assets in their own run: stop here.
                print(f"  {run.label}: skipped, an earlier run failed", file=sys.stderr)
                continue
            held = held_by(keys, graph, failing)
            if held:
                print(f"  {run.label}: held back, a blocking check still fails on what it reads: "
                      f"{', '.join(held)}", file=sys.stderr)
                outcomes.append(RunOutcome(run.label, "", False, 0.0, held_by=held))
                continue
            marker = stage_marker(run.label, keys)
            if marker in journal.done:
                _say(f"  {run.label}: done before the run that started it died")
                continue
            outcome = execute(job, instance, run.label, keys, {**base_tags, **run.tags}, log_path, STEP_LINES)
            outcomes.append(outcome)
            if outcome.ok:
                journal.done.add(marker)
                journal.save(lake)
    if all(o.ok for o in outcomes):
        WorkJournal.clear(lake)
    return outcomes


def _last_data_day(con, paths: LakePaths) -> str | None:
    """The last local day the learning and access logs landed hold (from the ledger)."""
    files = [str(p) for s in TIME_BASED_SOURCES for p in (paths.ledger / s).glob("*.parquet")]
    if not files:
        return None
    (day,), = con.execute("select max(d) from (select unnest(local_dates) as d from read_parquet(?, "
                          "union_by_name = true) where status = 'landed')", [files]).fetchall()
    return day


def summarize(lake: Path, outcomes: list[RunOutcome]) -> str:
    """The closing lines: what was landed, quarantined and built, and where to look."""
    import duckdb

    paths = LakePaths(lake)
    lines = ["", "Summary"]
    con = duckdb.connect()
    if any(paths.ledger.glob("*/*.parquet")):
        rows = con.execute(
            f"""select source, count(*) deliveries, sum(records_in), sum(landed), sum(quarantined),
                   count(*) filter (where status = 'duplicate'), count(*) filter (where status = 'unreadable')
                from read_parquet('{paths.ledger}/*/*.parquet', union_by_name=true)
                group by source order by source"""
        ).fetchall()
        lines.append(f"  {'source':<11}{'deliveries':>11}{'records':>12}{'landed':>12}{'quarantined':>13}  duplicates/unreadable")
        for source, deliveries, records, landed, quarantined, dup, bad in rows:
            lines.append(
                f"  {source:<11}{deliveries:>11,}{records or 0:>12,}{landed or 0:>12,}{quarantined or 0:>13,}  {dup}/{bad}"
            )
    marts = sorted(p.stem for p in paths.marts.glob("*.parquet"))
    if marts:
        lines.append(f"  public marts ({len(marts)}): {paths.marts}/  [{', '.join(marts)}]")
    restricted = sorted(p.stem for p in paths.restricted.glob("*.parquet"))
    if restricted:
        lines.append(f"  restricted marts ({len(restricted)}): {paths.restricted}/")
    pages = list(paths.reports.rglob("*.html")) if paths.reports.exists() else []
    if pages:
        lines.append(f"  reports: {len(pages):,} pages under {paths.reports}/ (start at {paths.reports / 'index.html'})")
        manifest = paths.reports / "pages.json"
        # orjson: json took 0.3 s for a district's 123 k entries
        on_demand = sum(1 for p in orjson.loads(manifest.read_bytes()) if p.get("on_demand")) \
            if manifest.exists() else 0
        if on_demand:
            lines.append(f"  student, parent, teacher, head teacher, grade leader and principal pages: {on_demand:,}, "
                         f"rendered on demand by eduhouse serve (GET /v1/reports/<role>/<page id>)")
        district = sorted(p for p in (paths.reports / "district_admin").glob("*.html") if p.name != "index.html")
        if district:
            lines.append(f"  district administrator's report: {district[0]}")
        audit = sorted((paths.reports / "governance").glob("*.html"))
        if audit:
            lines.append(f"  governance audit: {audit[0]}")
    if restricted:
        # the address it listens on by default, and the day a simulated world is replayed on
        # (the newcomer probe: "its last day" left the date to be found in the simulation's output)
        last_day = _last_data_day(con, paths)
        replay = f"; a simulated district: add --as-of {last_day}, its last day" if last_day else ""
        lines.append(f"  API: eduhouse serve --lake {lake}  (http://127.0.0.1:8080/v1/marts; tokens: eduhouse token "
                     f"issue --lake {lake} --principal ID{replay}; docs/serve.md)")
    for outcome in outcomes:
        if outcome.held_by:
            lines.append(f"  held back {outcome.label}: blocking check(s) of an earlier run still fail on what it "
                         f"reads ({', '.join(outcome.held_by)}); {_hold_advice(outcome.held_by)}")
            continue
        state = "ok" if outcome.success and not outcome.failed_checks else "FAILED"
        lines.append(
            f"  run {outcome.run_id[:8]} {outcome.label}: {state} in {outcome.seconds:.0f}s, "
            f"checks {outcome.checks_passed} passed, {len(outcome.warned_checks)} warned, {len(outcome.failed_checks)} failed"
        )
        if outcome.failed_steps or outcome.failed_checks:
            lines.append(f"    tool output: {outcome.log_path}")
        for step in outcome.failed_steps:
            lines.append(f"    failed step: {step}")
        for check in outcome.failed_checks:
            lines.append(f"    failed check (error): {check}")
    return "\n".join(lines)


def _hold_advice(checks: list[str]) -> str:
    """What to do about the checks holding a run back. A conservation failure refused no
    record: records the ledger counted are missing from bronze and quarantine (the
    retention probe was told to deliver a correction, which cannot help)."""
    if any(check.endswith(":conservation") for check in checks):
        return ("records a delivery brought are missing from bronze and quarantine (the check's `mismatches` "
                "name the deliveries, in the UI): restore the files, or land those deliveries again "
                "(`eduhouse backfill --rebuild` over their days, for learning and access logs)")
    return "deliver a correction of the refused records (`eduhouse status` says where)"
