"""`eduhouse cluster up [--workers N] | status | down`: the lake's Spark cluster."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orchestration.errors import UserError, lake_from


def register(subparsers) -> None:
    p = subparsers.add_parser("cluster", help="the lake's Spark standalone cluster (for `eduhouse run --engine spark`)",
                              description="Start, inspect and stop a Spark standalone master and workers from the "
                                          "installed pyspark; pids and logs live under <lake>/ops/spark/.")
    sub = p.add_subparsers(dest="cluster_command", required=True, metavar="{up,status,down}")
    up = sub.add_parser("up", help="start a master and N workers, and wait until they have registered")
    up.add_argument("--lake", default=None, help="lake root (default $EDUHOUSE_LAKE or ./lake)")
    up.add_argument("--workers", type=int, default=2, help="workers to start (default 2)")
    up.add_argument("--cores-per-worker", type=int, default=None,
                    help="cores each worker offers (default: this machine's cores / workers)")
    up.add_argument("--memory-per-worker", default="2g", help="memory each worker offers its executor (default 2g)")
    up.set_defaults(func=_up)
    st = sub.add_parser("status", help="the cluster's processes and the master's view (JSON with --json)")
    st.add_argument("--lake", default=None)
    st.add_argument("--json", action="store_true", help="print the status as JSON")
    st.set_defaults(func=_status)
    dn = sub.add_parser("down", help="stop the workers, then the master")
    dn.add_argument("--lake", default=None)
    dn.set_defaults(func=_down)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _up(args: argparse.Namespace) -> int:
    from orchestration.cluster.standalone import up

    lake = Path(lake_from(args.lake))
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    _say(f"starting a Spark cluster for {lake} ...")
    cluster = up(lake, workers=args.workers, cores_per_worker=args.cores_per_worker,
                 memory_per_worker=args.memory_per_worker, progress=_say)
    print(f"cluster up: {cluster.master_url} with {len(cluster.workers)} worker(s); web UI {cluster.web_url}; "
          f"`eduhouse run --lake {lake} --engine spark` builds the marts on it")
    return 0


def _status(args: argparse.Namespace) -> int:
    from orchestration.cluster.standalone import status

    lake = Path(lake_from(args.lake))
    info = status(lake)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0 if info["up"] else 1
    if not info.get("master_url"):
        print(f"no cluster for {lake} (`eduhouse cluster up --lake {lake}`)")
        return 1
    print(f"cluster {'up' if info['up'] else 'DOWN'}: {info['master_url']}  web {info['web_url']}")
    if info["up"] and "alive_workers" in info:
        print(f"  {info['alive_workers']} worker(s) alive, {info['cores']} core(s), "
              f"{info['memory_mb']} MB, {info['active_apps']} running application(s)")
    for p in info["processes"]:
        print(f"  {p['role']:<10} pid {p['pid']:<8} {'alive' if p['alive'] else 'gone':<6} log {p['log']}")
    return 0 if info["up"] else 1


def _down(args: argparse.Namespace) -> int:
    from orchestration.cluster.standalone import down

    lake = Path(lake_from(args.lake))
    stopped = down(lake, progress=_say)
    print(f"cluster down: {stopped} process(es) stopped" if stopped else f"no cluster was running for {lake}")
    return 0
