"""CLI: `eduhouse run --lake DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="materialize every asset for what is in DIR/inbox/",
        description="Land every new delivery, build the dbt models (the days, exams and months the "
        "new deliveries touched), run the quality checks, render the reports and the governance audit, "
        "one Dagster run per partitioning in dependency order. Exits non-zero if anything failed.",
    )
    parser.add_argument("--lake", default="lake", type=Path, help="the lake root (default ./lake)")
    parser.add_argument("--full", action="store_true",
                        help="rebuild every asset and every partition (days, months, exams: dbt `rebuild`), "
                        "not only what new deliveries change")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from orchestration.runner.run import run_everything, summarize

    lake = args.lake.resolve()
    if not (lake / "inbox").is_dir():
        print(f"eduhouse run: no inbox at {lake}/inbox (run `eduhouse simulate --lake {args.lake}` first)", file=sys.stderr)
        return 2
    outcomes = run_everything(lake, full=args.full)
    print(summarize(lake, outcomes))
    failed = any(not o.success or o.failed_checks for o in outcomes)
    return 1 if failed else 0
