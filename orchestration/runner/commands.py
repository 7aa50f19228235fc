"""CLI: `eduhouse run --lake DIR`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from orchestration.errors import UserError, lake_from
from orchestration.lake import LakePaths
from orchestration.settings import ENGINES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="materialize every asset for what is in DIR/inbox/",
        description="Land every new delivery, build the dbt models (the days, exams and months the "
        "new deliveries touched), run the quality checks, render the reports and the governance audit, "
        "one Dagster run per partitioning in dependency order. Exits non-zero if anything failed.",
    )
    parser.add_argument("--lake", default=None, help="the lake root (default $EDUHOUSE_LAKE or ./lake)")
    parser.add_argument("--full", action="store_true",
                        help="rebuild every asset and every partition (days, months, exams: dbt `rebuild`), "
                        "not only what new deliveries change")
    parser.add_argument("--engine", choices=ENGINES, default=None,
                        help="land and build on duckdb (default; $EDUHOUSE_ENGINE), or on spark: deliveries land as "
                        "Spark tasks and the dbt models build on the lake's cluster from `eduhouse cluster up`, "
                        "or on $EDUHOUSE_SPARK_MASTER")
    parser.add_argument("--wait", action="store_true",
                        help="if another run is working on the lake, wait for it instead of exiting")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from orchestration.runner.run import run_everything, summarize

    lake = lake_from(args.lake)
    if args.engine:
        # The Dagster definitions read their resources from the environment when loaded.
        os.environ["EDUHOUSE_ENGINE"] = args.engine
    if not (LakePaths(Path(lake)).inbox).is_dir():
        raise UserError(f"no inbox at {lake}/inbox (put deliveries there, or `eduhouse simulate --lake {lake}`)")
    outcomes = run_everything(lake, full=args.full, wait=args.wait)
    print(summarize(lake, outcomes))
    failed = any(not o.success or o.failed_checks for o in outcomes)
    return 1 if failed else 0
