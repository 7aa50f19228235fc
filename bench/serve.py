"""Governed API throughput and latency, beside DuckDB answering the same reads directly.

    python bench/serve.py --lake LAKE [--as-of YYYY-MM-DD] [--seconds 10]
    python bench/serve.py --scale small            # simulate and run a lake first

Three request shapes, at 1, 8 and 32 concurrent clients (each a keep-alive HTTP/1.1
connection on its own thread):
  parent   a parent reading one child's student_exam
  teacher  a teacher reading the student_knowledge of the classes they teach
  admin    a district admin reading usage_monthly
Each runs through `eduhouse serve` (token check, grant, roster scope, consent, column
rules, durable access event) and, as the limit, as the same rows read in-process by
DuckDB with no policy (one cursor per thread). Writes bench/results/serve.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from orchestration.serve.commands import DEFAULT_THREADS  # noqa: E402
from orchestration.serve.tokens import TokenStore  # noqa: E402

CLIENTS = (1, 8, 32)


def _q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def pick(lake: Path, as_of: str) -> dict:
    """One principal per shape, with a grant the server honours, and the direct query."""
    r, m = lake / "restricted", lake / "marts"
    con = duckdb.connect()
    g = f"read_parquet('{r}/access_grants.parquet')"
    parent, child = _q(con, f"select principal_id, scope_ids[1] from {g} where role = 'parent' "
                            f"and resource = 'student_exam' and revoked_at is null order by grant_id limit 1")[0]
    child_key = _q(con, f"select student_key from '{r}/student_identity.parquet' where student_sourced_id = ?", child)[0][0]
    teacher, classes = _q(con, f"select principal_id, scope_ids from {g} where role = 'teacher' "
                               f"and resource = 'student_knowledge' and revoked_at is null order by grant_id limit 1")[0]
    # the same rows the server returns: the students of every class the grant names, on the day
    members = [k for (k,) in _q(con, f"select distinct student_key from '{r}/class_membership.parquet' "
                                     f"where list_contains(?, class_sourced_id) "
                                     f"and cast(? as date) between effective_from and effective_to", classes, as_of)]
    admin, district = _q(con, f"select principal_id, scope_ids[1] from {g} where role = 'district_admin' "
                              f"and resource = 'usage_monthly' and revoked_at is null order by grant_id limit 1")[0]
    orgs = [o for (o,) in _q(con, f"select school_sourced_id from '{r}/org_hierarchy.parquet' where district_sourced_id = ?",
                             district)] + [district]
    return {
        "parent": {"principal": parent, "purpose": "guardianship", "path": "/v1/marts/student_exam",
                   "direct": (f"select * from read_parquet('{m}/student_exam.parquet') where student_key = ?", [child_key])},
        "teacher": {"principal": teacher, "purpose": "teaching",
                    "path": "/v1/marts/student_knowledge?limit=10000",
                    "direct": (f"select * from read_parquet('{m}/student_knowledge.parquet') "
                               f"where list_contains(?, student_key)", [members])},
        "admin": {"principal": admin, "purpose": "management", "path": "/v1/marts/usage_monthly?limit=10000",
                  "direct": (f"select * from read_parquet('{m}/usage_monthly.parquet') "
                             f"where list_contains(?, org_sourced_id)", [orgs])},
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def load(clients: int, seconds: float, one_request) -> dict:
    """Run `one_request(state)` in `clients` threads for `seconds`; rate and latencies."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i):
        state = {}
        while time.perf_counter() < stop:
            started = time.perf_counter()
            ok = one_request(state)
            latencies[i].append(time.perf_counter() - started)
            errors[i] += 0 if ok else 1
        if "close" in state:
            state["close"]()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    flat = [x for part in latencies for x in part]
    return {"requests": len(flat), "rps": len(flat) / wall, "p50_ms": _pct(flat, 0.5), "p99_ms": _pct(flat, 0.99),
            "errors": sum(errors)}


def http_request(host: str, port: int, path: str, token: str, purpose: str):
    def one(state) -> bool:
        if "conn" not in state:
            state["conn"] = http.client.HTTPConnection(host, port, timeout=60)
            state["close"] = state["conn"].close
        conn = state["conn"]
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "X-Purpose": purpose})
        response = conn.getresponse()
        body = response.read()
        return response.status == 200 and len(body) > 0
    return one


def direct_request(con: duckdb.DuckDBPyConnection, sql: str, params: list):
    def one(state) -> bool:
        if "cur" not in state:
            state["cur"] = con.cursor()
            state["close"] = state["cur"].close
        state["cur"].execute(sql, params).fetchall()
        return True
    return one


def build_lake(scale: str) -> Path:
    lake = Path(tempfile.mkdtemp(prefix="serve-bench-")) / "lake"
    exe = [sys.executable, "-m", "orchestration.cli"]
    subprocess.run([*exe, "simulate", "--lake", str(lake), "--scale", scale], check=True)
    subprocess.run([*exe, "run", "--lake", str(lake)], check=True)
    return lake


def last_day(lake: Path) -> str:
    con = duckdb.connect()
    day = _q(con, f"select max(local_date) from read_parquet('{lake}/bronze/xapi/statements/**/*.parquet')")[0][0]
    return str(day)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", type=Path)
    ap.add_argument("--scale", default=None, help="simulate and run a lake of this scale first")
    ap.add_argument("--as-of", default=None, help="replay day (default: the lake's last xAPI day)")
    ap.add_argument("--seconds", type=float, default=8.0, help="seconds per measurement")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "serve.md")
    ap.add_argument("--threads", type=int, default=None, help="the server's --threads (default: its own)")
    ap.add_argument("--shapes", default="parent,teacher,admin", help="comma-separated shapes to run")
    args = ap.parse_args()
    lake = args.lake.resolve() if args.lake else build_lake(args.scale or "small")
    as_of = args.as_of or last_day(lake)
    shapes = {k: v for k, v in pick(lake, as_of).items() if k in args.shapes.split(",")}
    store = TokenStore(lake)
    tokens = {name: store.issue(s["principal"], "bench", None, datetime.now(UTC)) for name, s in shapes.items()}
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    server = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "serve", "--lake", str(lake), "--port", "0",
                               "--as-of", as_of, *(["--threads", str(args.threads)] if args.threads else [])],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        url = server.stdout.readline().split()[2]
        host, port = url.removeprefix("http://").split(":")
        direct_con = duckdb.connect()
        rows = []
        for name, shape in shapes.items():
            check = http.client.HTTPConnection(host, int(port), timeout=60)
            check.request("GET", shape["path"], headers={"Authorization": f"Bearer {tokens[name]}",
                                                         "X-Purpose": shape["purpose"]})
            answer = check.getresponse()
            n_rows = json.loads(answer.read()).get("count") if answer.status == 200 else f"HTTP {answer.status}"
            check.close()
            for clients in CLIENTS:
                served = load(clients, args.seconds, http_request(host, int(port), shape["path"], tokens[name],
                                                                  shape["purpose"]))
                direct = load(clients, args.seconds, direct_request(direct_con, *shape["direct"]))
                rows.append((name, n_rows, clients, served, direct))
                print(f"{name:8s} rows={n_rows} clients={clients:2d} served {served['rps']:7.1f}/s "
                      f"p50 {served['p50_ms']:6.1f} p99 {served['p99_ms']:6.1f} ms | direct {direct['rps']:7.1f}/s "
                      f"| ratio {served['rps'] / direct['rps']:.2f} | errors {served['errors']}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    load_avg = os.getloadavg()[0]
    size = duckdb.connect().execute(
        f"select count(*) from read_parquet('{lake}/restricted/student_identity.parquet')").fetchall()[0][0]
    lines = [
        "# Governed API: throughput and latency",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs (load average at the end {load_avg:.1f}); "
        f"lake `{lake}` ({size:,} students), replayed as of {as_of}; {args.seconds:g} s per cell; "
        "produced by `bench/serve.py`. "
        "Served: `eduhouse serve` with every check and a durable (fsynced) access event per request, "
        f"HTTP/1.1 keep-alive clients on 127.0.0.1; the server ran {args.threads or DEFAULT_THREADS} requests at "
        "once (--threads). "
        "Direct: the same rows read in-process by DuckDB, no policy.",
        "",
        "| shape | rows | clients | served req/s | p50 ms | p99 ms | direct req/s | served / direct | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, n_rows, clients, s, d in rows:
        lines.append(f"| {name} | {n_rows} | {clients} | {s['rps']:.1f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
                     f"{d['rps']:.1f} | {s['rps'] / d['rps']:.2f} | {s['errors']} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
