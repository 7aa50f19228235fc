"""The dbt build of one simulated week on DuckDB and on the lake's Spark cluster with 1 and
2 workers, side by side in one run (issue: scale-out).

    python bench/scaleout.py [--scale district] [--seed 7] [--start 2021-10-01] [--days 7]
                             [--lake /tmp/eduhouse-scaleout] [--engines duckdb,spark1,spark2]
                             [--land run|cluster] [--land-workers 2]
                             [--memory-per-worker 2g] [--out bench/results/scaleout.md]

1. simulate `--days` days into a scratch lake and land them: with `--land run` by
   `eduhouse run` (landing in one process, and everything built on DuckDB once, reports
   included); with `--land cluster` (a city: its reports are not this bench's subject)
   on the lake's cluster of `--land-workers` workers, a few deliveries per Spark task, the way
   the landing assets do it with the engine `spark`, timed per source with the CPU and
   memory of every process and the conservation check of every source;
2. for each engine, a full `dbt build` (every model, data test and contract; no unit
   tests) from the same bronze, timed alone: DuckDB on a fresh warehouse file; Spark on a
   fresh metastore, after `eduhouse cluster up --workers N` (the cluster's start-up is
   reported apart, it is paid once, not per build);
3. every engine's marts are compared with DuckDB's (eduhouse_dev.mart_equality).

Measured per build: wall; CPU seconds of every process involved (dbt and the Spark driver
it starts, the master, the workers and their executors), from /proc, sampled every
0.25 s; the peak resident memory of each kind of process. The load average at the start is
recorded: compare builds on a quiet machine. On two cores Spark is expected to be slower
than DuckDB; the point is its overhead and its per-core rate, which docs/scaleout.md
projects onto a city.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eduhouse_dev.mart_equality import compare_mart_folders  # noqa: E402
from orchestration.cluster.standalone import load as load_cluster  # noqa: E402
from orchestration.lake import LakePaths  # noqa: E402
from orchestration.resources import EngineResource  # noqa: E402
from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_MIN_CELL, DEFAULT_TIMEZONE, DEFAULT_TOP_N  # noqa: E402
from orchestration.transform.engine import engine_env, spark_warehouse  # noqa: E402
from orchestration.transform.project import dbt_env, dbt_executable, prepare_lake  # noqa: E402
from orchestration.transform.publish import publish_all  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        out = []
        for task in tasks:
            raw = (task / "children").read_text().split()
            out += [int(c) for c in raw]
        return out
    except OSError:
        return []


def _tree(roots: list[int]) -> list[int]:
    seen, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.append(pid)
        todo += _children(pid)
    return seen


def _stat(pid: int) -> tuple[float, int] | None:
    """(CPU seconds, resident bytes) of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        rss = int(fields[21]) * PAGE
        return cpu, rss
    except (OSError, IndexError, ValueError):
        return None


class Sampler:
    """CPU and peak RSS of process trees, by kind (dbt, master, worker), while a build runs.
    CPU of a process that exits between samples is lost for its last 0.25 s at most."""

    def __init__(self, roots: dict[str, list[int]]):
        self.roots = roots
        self.cpu: dict[int, float] = {}
        self.kind_of: dict[int, str] = {}
        self.peak: dict[str, int] = {}
        self.start_cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        rss_by_kind: dict[str, int] = {}
        for kind, roots in self.roots.items():
            for pid in _tree(roots):
                got = _stat(pid)
                if got is None:
                    continue
                cpu, rss = got
                self.start_cpu.setdefault(pid, cpu if kind != "dbt" else 0.0)
                self.cpu[pid] = cpu
                self.kind_of[pid] = kind
                rss_by_kind[kind] = max(rss_by_kind.get(kind, 0), rss)
        for kind, rss in rss_by_kind.items():
            self.peak[kind] = max(self.peak.get(kind, 0), rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(0.25)

    def __enter__(self):
        self._sample()  # CPU the cluster spent before the build is not the build's
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def cpu_by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, cpu in self.cpu.items():
            kind = self.kind_of[pid]
            out[kind] = out.get(kind, 0.0) + cpu - self.start_cpu.get(pid, 0.0)
        return out


def _eduhouse(lake: Path, *args: str, env: dict | None = None) -> None:
    subprocess.run([sys.executable, "-m", "orchestration.cli", *args, "--lake", str(lake)],
                   check=True, cwd=REPO, env=env)


def _fresh(lake: Path, engine: str) -> None:
    """Drop what a previous build of this engine left, so every build starts from bronze."""
    paths = LakePaths(lake)
    if engine == "duckdb":
        for f in paths.warehouse.parent.glob("eduhouse.duckdb*"):
            f.unlink()
    else:
        shutil.rmtree(spark_warehouse(paths), ignore_errors=True)
    for area in (paths.marts_staging, paths.restricted / ".staging"):
        shutil.rmtree(area, ignore_errors=True)
    prepare_lake(paths)


def build(lake: Path, engine: str, workers: int, memory: str, out_dir: Path, select: str | None = None) -> dict:
    paths = LakePaths(lake)
    row: dict = {"engine": engine if engine == "duckdb" else f"spark, {workers} worker(s)"}
    roots: dict[str, list[int]] = {}
    if engine == "spark":
        t0 = time.perf_counter()
        _eduhouse(lake, "cluster", "up", "--workers", str(workers), "--memory-per-worker", memory)
        row["cluster_up_s"] = time.perf_counter() - t0
        cluster = load_cluster(lake)
        roots["master"] = [p.pid for p in cluster.processes if p.role == "master"]
        roots["workers and executors"] = [p.pid for p in cluster.workers]
    try:
        _fresh(lake, engine)
        target = lake / "ops" / "dbt" / f"bench-{engine}-{workers}"
        # A reused lake's target may hold a partial parse made from another checkout; dbt
        # would take its seeds' paths from there.
        (target / "partial_parse.msgpack").unlink(missing_ok=True)
        env = {**os.environ, **dbt_env(lake, DEFAULT_TIMEZONE, DEFAULT_MIN_CELL, DEFAULT_TOP_N),
               **engine_env(EngineResource(name=engine), paths),
               "EDUHOUSE_DBT_PARTITIONS": "", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        cmd = [dbt_executable(), "build", "--target", "spark" if engine == "spark" else "dev",
               "--exclude-resource-type", "unit_test", *(["--select", select] if select else []),
               "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(target)]
        row["load"] = os.getloadavg()[0]
        t0 = time.perf_counter()
        with open(out_dir / f"{engine}-{workers}.log", "w") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
            roots["dbt"] = [proc.pid]
            with Sampler(roots) as sampler:
                code = proc.wait()
        row["wall_s"] = time.perf_counter() - t0
        row["cpu_s"] = sampler.cpu_by_kind()
        row["peak_rss_mb"] = {k: v / 2**20 for k, v in sampler.peak.items()}
        results = json.loads((target / "run_results.json").read_text())["results"]
        row["nodes"] = len(results)
        row["failed"] = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
        row["exit"] = code
        row["model_s"] = sum(r["execution_time"] for r in results if r["unique_id"].startswith("model."))
        dest = out_dir / f"marts-{engine}-{workers}"
        shutil.rmtree(dest, ignore_errors=True)
        for area in ("marts", "restricted"):
            (dest / area).mkdir(parents=True)
        for published in publish_all(paths):
            shutil.copy2(published, dest / published.parent.name / published.name)
        row["marts_dir"] = str(dest)
    finally:
        if engine == "spark":
            _eduhouse(lake, "cluster", "down")
    return row


def land_on_the_cluster(lake: Path, workers: int, memory: str) -> dict:
    """Every source landed by ``land_on_cluster`` on the lake's cluster (the landing
    assets' code with the engine spark), timed per source; then the conservation checks."""
    from orchestration.cluster.tasks import ClusterTasks
    from orchestration.lake import SOURCES
    from orchestration.landing import conservation
    from orchestration.landing.on_cluster import land_on_cluster

    t0 = time.perf_counter()
    _eduhouse(lake, "cluster", "up", "--workers", str(workers), "--memory-per-worker", memory)
    out: dict = {"workers": workers, "cluster_up_s": time.perf_counter() - t0, "sources": [],
                 "load": os.getloadavg()[0]}
    cluster = load_cluster(lake)
    roots = {"driver": [os.getpid()], "master": [p.pid for p in cluster.processes if p.role == "master"],
             "workers and executors": [p.pid for p in cluster.workers]}
    try:
        with Sampler(roots) as sampler:
            t0 = time.perf_counter()
            with ClusterTasks(cluster.master_url, f"eduhouse bench landing ({lake})", executor_memory=memory) as tasks:
                out["cores"] = tasks.parallelism
                for source in SOURCES:
                    s0 = time.perf_counter()
                    summary = land_on_cluster(tasks, lake, source, DEFAULT_TIMEZONE)
                    out["sources"].append({
                        "source": source, "wall_s": time.perf_counter() - s0, "deliveries": summary.by_status(),
                        "records_in": summary.records_in, "landed": summary.landed,
                        "quarantined": summary.quarantined})
                    print(f"  landed {source}: {out['sources'][-1]}", file=sys.stderr, flush=True)
            out["wall_s"] = time.perf_counter() - t0
        out["cpu_s"] = sampler.cpu_by_kind()
        out["peak_rss_mb"] = {k: v / 2**20 for k, v in sampler.peak.items()}
        out["conservation"] = {s: conservation.check(lake, s).passed for s in SOURCES}
    finally:
        _eduhouse(lake, "cluster", "down")
    return out


def _landing_table(land: dict) -> list[str]:
    lines = ["", f"## Landing on the cluster ({land['workers']} workers, {land['cores']} cores; a few deliveries per Spark task)",
             "", "| source | deliveries | records in | landed | quarantined | wall s |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for s in land["sources"]:
        lines.append(f"| {s['source']} | {', '.join(f'{k} {v}' for k, v in sorted(s['deliveries'].items()))} "
                     f"| {s['records_in']:,} | {s['landed']:,} | {s['quarantined']:,} | {s['wall_s']:.1f} |")
    cpu, rss = land["cpu_s"], land["peak_rss_mb"]
    records = sum(s["records_in"] for s in land["sources"])
    lines += [
        f"| all | {sum(sum(s['deliveries'].values()) for s in land['sources'])} | {records:,} "
        f"| {sum(s['landed'] for s in land['sources']):,} | {sum(s['quarantined'] for s in land['sources']):,} "
        f"| {land['wall_s']:.1f} |", "",
        f"CPU s: driver {cpu.get('driver', 0):.1f}, master {cpu.get('master', 0):.1f}, workers and executors "
        f"{cpu.get('workers and executors', 0):.1f}; {records / max(sum(cpu.values()), 1e-9):,.0f} records per CPU "
        f"second. Peak RSS MB: driver {rss.get('driver', 0):,.0f}, workers and executors "
        f"{rss.get('workers and executors', 0):,.0f}. Cluster start-up {land['cluster_up_s']:.1f} s. "
        f"Load at the start {land['load']:.2f}.",
        "", "Conservation (records in = landed + quarantined, every delivery ledgered): "
        + ", ".join(f"{s} {'passed' if ok else 'FAILED'}" for s, ok in land["conservation"].items()) + "."]
    return lines


def _table(rows: list[dict], args, simulated: str, base: dict, land: dict | None = None) -> str:
    lines = [
        "# Scale-out: one simulated week built on DuckDB and on Spark",
        "",
        f"`python bench/scaleout.py --scale {args.scale} --seed {args.seed} --start {args.start} --days {args.days} "
        f"--engines {args.engines} --land {args.land}{f' --select {args.select}' if args.select else ''}`, "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores. {simulated}",
        "",
        (f"Each build is `dbt build --select {args.select}` (those models, their data tests and contracts) from the same bronze."
         if args.select else
         "Each build is a full `dbt build` (models, data tests, contracts; no unit tests) from the same bronze."),
        "CPU is every process's: dbt and the Spark driver inside it, the master, the workers and their executors.",
        "",
        "| engine | wall s | model s | CPU s dbt+driver | CPU s master | CPU s workers+executors | CPU s total "
        "| peak RSS MB dbt+driver | peak RSS MB workers+executors | nodes | failed | marts equal to DuckDB | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in rows:
        cpu = r["cpu_s"]
        rss = r["peak_rss_mb"]
        lines.append(
            f"| {r['engine']} | {r['wall_s']:.1f} | {r['model_s']:.1f} | {cpu.get('dbt', 0):.1f} | {cpu.get('master', 0):.1f} "
            f"| {cpu.get('workers and executors', 0):.1f} | {sum(cpu.values()):.1f} | {rss.get('dbt', 0):,.0f} "
            f"| {rss.get('workers and executors', 0):,.0f} | {r['nodes']} | {len(r['failed'])} | {r.get('equal', '—')} "
            f"| {r['load']:.2f} |")
    ups = [f"{r['engine']}: {r['cluster_up_s']:.1f} s" for r in rows if "cluster_up_s" in r]
    if ups:
        lines += ["", f"Cluster start-up (`eduhouse cluster up`, paid once): {'; '.join(ups)}."]
    if base:
        lines += ["", "Per-core rate (rows of the week's xAPI statements per CPU second of the whole build):"]
        for r in rows:
            total = sum(r["cpu_s"].values())
            lines.append(f"- {r['engine']}: {base['statements'] / total:,.0f} statements per CPU second "
                         f"({base['statements']:,} statements, {total:.1f} CPU s)")
    if land:
        lines += _landing_table(land)
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="district", choices=("tiny", "small", "district", "city"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--start", default="2021-10-01")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--lake", default="/tmp/eduhouse-scaleout")
    ap.add_argument("--engines", default="duckdb,spark1,spark2",
                    help="comma-separated: duckdb, spark1 (one worker), spark2 (two workers), ...")
    ap.add_argument("--memory-per-worker", default="2g")
    ap.add_argument("--land", default="run", choices=("run", "cluster"),
                    help="run: `eduhouse run` lands (and builds once on DuckDB); cluster: land on the lake's cluster")
    ap.add_argument("--land-workers", type=int, default=2)
    ap.add_argument("--select", default=None,
                    help="a dbt selection instead of the whole project (a city: the xAPI path, '+tag:partition_daily')")
    ap.add_argument("--reuse", action="store_true", help="keep an existing simulated and landed lake")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "scaleout.md"))
    args = ap.parse_args()
    lake = Path(args.lake)
    out_dir = lake.parent / (lake.name + "-bench")
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "EDUHOUSE_PSEUDONYM_SECRET": os.environ.get("EDUHOUSE_PSEUDONYM_SECRET") or "bench-secret-0123456789abcdef"}
    os.environ.update(env)
    if not (args.reuse and (lake / "bronze").is_dir()):
        shutil.rmtree(lake, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "orchestration.cli", "simulate", "--lake", str(lake), "--scale", args.scale,
                        "--seed", str(args.seed), "--start", str(date.fromisoformat(args.start)), "--days", str(args.days)],
                       check=True, cwd=REPO, env=env)
        print(f"simulated in {time.perf_counter() - t0:.0f} s; landing ({args.land}) ...", file=sys.stderr)
        if args.land == "cluster":
            land = land_on_the_cluster(lake, args.land_workers, args.memory_per_worker)
            (out_dir / "landing.json").write_text(json.dumps(land, indent=1))
        else:
            subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--lake", str(lake)], check=True, cwd=REPO,
                           env=env, stdout=subprocess.DEVNULL)
    landing_json = out_dir / "landing.json"
    land = json.loads(landing_json.read_text()) if args.land == "cluster" and landing_json.exists() else None
    import duckdb

    statements = duckdb.connect().execute(
        f"select count(*) from read_parquet('{lake}/bronze/xapi/statements/**/*.parquet')").fetchone()[0]
    simulated = f"Simulated scale {args.scale}, {args.days} days: {statements:,} xAPI statements in bronze."
    rows = []
    for name in args.engines.split(","):
        engine, workers = ("duckdb", 0) if name == "duckdb" else ("spark", int(name.removeprefix("spark") or 1))
        print(f"building on {name} ...", file=sys.stderr, flush=True)
        rows.append(build(lake, engine, workers, args.memory_per_worker, out_dir, args.select))
        print(f"  {name}: {rows[-1]['wall_s']:.1f} s, failed {len(rows[-1]['failed'])}", file=sys.stderr, flush=True)
    reference = next((r for r in rows if r["engine"] == "duckdb"), None)
    for r in rows:
        if reference is not None and r is not reference:
            diffs, compared = [], 0
            for area in ("marts", "restricted"):
                n, d = compare_mart_folders(Path(reference["marts_dir"]) / area, Path(r["marts_dir"]) / area)
                diffs += d
                compared += n
            r["equal"] = ("no marts in the selection" if not compared else "yes" if not diffs
                          else f"no: {len(diffs)} ({'; '.join(str(d)[:120] for d in diffs[:3])})")
    Path(args.out).write_text(_table(rows, args, simulated, {"statements": statements}, land))
    print(Path(args.out).read_text())
    return 0 if all(not r["failed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
