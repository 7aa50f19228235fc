"""`eduhouse status` and `eduhouse backfill`: the two commands operations adds."""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path

from orchestration.errors import UserError, existing_lake, whole_number


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _load_defs(lake):
    # (Dagster's beta notices of the parts' parameters are filtered where they load:
    # orchestration/definitions.py)
    os.environ["EDUHOUSE_LAKE"] = str(lake)
    from orchestration.definitions import defs

    return defs()


def status_command(args: argparse.Namespace) -> int:
    from orchestration.automation.status import format_text, gather_status
    from orchestration.dagster_home import get_instance

    lake = existing_lake(args.lake)
    asset_graph, error = None, None
    try:
        asset_graph = _load_defs(lake).resolve_asset_graph()
    except Exception as exc:  # noqa: BLE001 - status must still report runs when the code is broken
        lines = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {lines[-1] if lines else ''}"
    with get_instance(lake) as instance:
        status = gather_status(instance, asset_graph, lake, args.days, load_error=error)
    print(json.dumps(status, indent=2, default=str) if args.json else format_text(status))
    return 0 if status["healthy"] else 1


def backfill_command(args: argparse.Namespace) -> int:
    import dagster as dg

    from orchestration.automation.backfill import run_backfill
    from orchestration.dagster_home import get_instance
    from orchestration.lake import LakePaths
    from orchestration.runner.progress import step_lines
    from orchestration.runner.recovery import lake_lock
    from orchestration.runner.run import STEP_LINES
    from orchestration.worker import run_worker

    if (args.start is None) != (args.end is None) or (args.start is None and not args.exam):
        raise UserError("give --from DATE --to DATE, and/or --exam EXAM_ID")
    lake = existing_lake(args.lake)
    # as `eduhouse run`: one line per step on stderr, the tools' output (dbt) in a log file
    definitions = dg.Definitions.merge(_load_defs(lake), dg.Definitions(loggers={"step_lines": step_lines}))
    log_path = LakePaths(lake).root / "logs" / f"backfill-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with lake_lock(lake, wait=args.wait, what="eduhouse backfill"), get_instance(lake) as instance, \
            run_worker(lake):
        try:
            summary = run_backfill(definitions, instance, args.start, args.end,
                                   downstream=not args.no_downstream, rebuild=args.rebuild, exams=args.exam,
                                   log_path=log_path, run_config=STEP_LINES)
        except ValueError as exc:  # a range or exam the partitions do not hold: one line
            raise UserError(str(exc)) from None
    summary["seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(backfill_summary(summary, log_path if log_path.exists() else None))
    return 0 if summary["success"] else 1


def backfill_summary(summary: dict, log_path: Path | None) -> str:
    """The closing lines of `eduhouse backfill`, as `eduhouse run` closes with its own:
    what it covered, how its runs ended, where the tools' output is."""
    from orchestration.runner.progress import counted

    days, runs = summary["partitions"], summary["runs"]
    held = [r for r in runs if r.get("held_by")]
    failed = [r for r in runs if not r["success"] and not r.get("held_by")]
    covered = [f"{days[0]}..{days[-1]} ({counted(len(days), 'day')})"] if days else []
    covered += [f"exam {e}" for e in summary["exams"]]
    lines = [f"backfill {summary['backfill_id']}: {'ok' if summary['success'] else 'FAILED'} "
             f"in {summary['seconds']:.0f} s, over {', '.join(covered)}"]
    if summary["landing"] is not None:
        lines.append(f"  landing: {'ok' if summary['landing']['success'] else 'FAILED'}")
    if summary.get("deferred"):
        lines.append(f"  downstream: {counted(summary['deferred']['assets'], 'asset')} left to the next "
                     "`eduhouse run` (--no-downstream)")
    else:
        lines.append(f"  rebuilt: {counted(len(runs), 'run')}, {len(runs) - len(failed) - len(held)} ok, "
                     f"{len(failed)} failed, {len(held)} held back")
    for run in held:
        lines.append(f"  held back: {run['label']}: a blocking check still fails on what it reads "
                     f"({', '.join(run['held_by'])})")
    for run in failed:
        lines.append(f"  failed: {run['label']} (run {run['run_id']})")
    if log_path is not None:
        lines.append(f"  tool output: {log_path}")
    return "\n".join(lines)


def register(subparsers) -> None:
    status = subparsers.add_parser("status", help="pipeline health: runs, stale assets, checks, quarantine")
    status.add_argument("--days", type=whole_number(1), default=7, help="quarantine and alerts window (default 7)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--lake", default=None, help="lake root (default $EDUHOUSE_LAKE or ./lake)")
    status.set_defaults(func=status_command)

    backfill = subparsers.add_parser(
        "backfill", help="rebuild a range of days (and their months) or some exams, and what they feed",
        description="Lands the days DATE..DATE in one run, then rebuilds (dbt var `rebuild`) the daily "
        "models of those days, the monthly models of the months they cover and everything downstream; "
        "--exam rebuilds exam partitions and what they feed.")
    backfill.add_argument("--from", dest="start", type=_date, metavar="DATE")
    backfill.add_argument("--to", dest="end", type=_date, metavar="DATE")
    backfill.add_argument("--exam", action="append", default=[], metavar="EXAM_ID",
                          help="an exam partition to rebuild (repeatable)")
    backfill.add_argument("--lake", default=None, help="lake root (default $EDUHOUSE_LAKE or ./lake)")
    backfill.add_argument("--rebuild", action="store_true",
                          help="land already-landed deliveries holding these days again")
    backfill.add_argument("--no-downstream", action="store_true",
                          help="land the days only; the next `eduhouse run` rebuilds what they feed")
    backfill.add_argument("--json", action="store_true", help="print the run ids as JSON")
    backfill.add_argument("--wait", action="store_true", help="wait for a run working on the lake to finish")
    backfill.set_defaults(func=backfill_command)
