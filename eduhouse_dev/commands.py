"""The development commands the `eduhouse` command line gains through the
`eduhouse.commands` entry-point group: `simulate` and `sample-marts`."""

from __future__ import annotations

import argparse

from eduhouse_dev.simulate.commands import register as register_simulate
from orchestration.errors import lake_from


def _sample_marts(args: argparse.Namespace) -> int:
    from eduhouse_dev.sample_lake import build_sample_lake

    lake = lake_from(args.lake)
    build_sample_lake(lake)
    print(f"sample marts written under {lake}/marts and {lake}/restricted; render them with "
          f"`eduhouse report --lake {lake}`")
    return 0


def register(subparsers) -> None:
    register_simulate(subparsers)
    p = subparsers.add_parser("sample-marts", help="write the hand-made miniature marts into a lake (report demos, tests)")
    p.add_argument("--lake", default=None, help="lake root (default $EDUHOUSE_LAKE or ./lake)")
    p.set_defaults(func=_sample_marts)
