"""`eduhouse simulate`: write a simulated district's deliveries into a lake's inbox."""

from __future__ import annotations

import argparse
from datetime import date

from eduhouse_dev.simulate.world import SCALES
from orchestration.errors import UserError, lake_from


def _days(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} days: give at least 1")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _dirt_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 0.5:
        raise argparse.ArgumentTypeError(f"{text} is not a share in [0, 0.5) (0.002 = 0.2 % of records)")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _run(args: argparse.Namespace) -> int:
    from eduhouse_dev.simulate.run import simulate

    lake = lake_from(args.lake)
    try:  # a path that cannot hold a lake is one line, not a traceback (the faults probe)
        (lake / "inbox").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot make a lake at {lake}: {exc.strerror or exc}") from None
    summary = simulate(lake, scale=args.scale, seed=args.seed, start=args.start,
                       days=args.days, dirt_rate=args.dirt_rate)
    for source in ("xapi", "exams", "fitness", "psych"):
        dirt = summary[source].get("dirty_by_kind") or {}
        if dirt:
            print(f"dirt {source}: " + ", ".join(f"{k}={v}" for k, v in dirt.items()))
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="generate a simulated district's deliveries into <lake>/inbox")
    p.add_argument("--lake", default=None, help="lake root (default $EDUHOUSE_LAKE or ./lake)")
    p.add_argument("--scale", choices=sorted(SCALES), default="small")
    p.add_argument("--seed", type=_int, default=42)
    p.add_argument("--start", type=_date, default=date(2021, 10, 1), help="first local day")
    p.add_argument("--days", type=_days, default=30)
    p.add_argument("--dirt-rate", type=_dirt_rate, default=0.002,
                   help="share of records with an injected defect (0 for a clean district)")
    p.set_defaults(func=_run)
