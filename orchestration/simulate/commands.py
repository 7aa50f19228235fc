"""`eduhouse simulate`: write a simulated district's deliveries into a lake's inbox."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from orchestration.simulate.world import SCALES


def _run(args: argparse.Namespace) -> int:
    from orchestration.simulate.run import simulate

    summary = simulate(Path(args.lake), scale=args.scale, seed=args.seed, start=args.start,
                       days=args.days, dirt_rate=args.dirt_rate)
    for source in ("xapi", "exams", "fitness", "psych"):
        dirt = summary[source].get("dirty_by_kind") or {}
        if dirt:
            print(f"dirt {source}: " + ", ".join(f"{k}={v}" for k, v in dirt.items()))
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="generate a simulated district's deliveries into <lake>/inbox")
    p.add_argument("--lake", default="./lake", help="lake root (default ./lake)")
    p.add_argument("--scale", choices=sorted(SCALES), default="small")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--start", type=date.fromisoformat, default=date(2021, 10, 1), help="first local day")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--dirt-rate", type=float, default=0.002,
                   help="share of records with an injected defect (0 for a clean district)")
    p.set_defaults(func=_run)
