"""The lake's own Spark standalone cluster: one master and N workers, started from the
pyspark the project installs (its wheel carries Spark's jars and ``bin/spark-class``), so
nothing is downloaded and nothing is installed by hand.

Everything of the cluster belongs to the lake (house rule: a lake is a deployment):

    <lake>/ops/spark/cluster.json      the master's URL, ports and every process's pid
    <lake>/ops/spark/logs/*.log        the master's and each worker's log
    <lake>/ops/spark/work/             the workers' scratch (executors' stdout, shuffle)

Ports are free ones chosen at start, so two lakes' clusters on one machine never meet.
The processes run in their own sessions: they outlive the command that started them and
are stopped by `eduhouse cluster down`. On several machines the same master runs on one
host and `spark-class ...Worker spark://<host>:<port>` on the others; docs/scaleout.md
says what changes (shared storage for the lake, the driver's address).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orchestration.errors import UserError
from orchestration.lake import LakePaths

HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0


@dataclass
class Process:
    role: str  # master | worker-<n>
    pid: int
    port: int
    web_port: int
    log: str


@dataclass
class Cluster:
    master_url: str
    web_url: str
    cores_per_worker: int
    memory_per_worker: str
    started_at: float
    processes: list[Process] = field(default_factory=list)

    @property
    def workers(self) -> list[Process]:
        return [p for p in self.processes if p.role.startswith("worker")]


def spark_home() -> Path:
    """The installed pyspark: its folder is a SPARK_HOME (bin/spark-class, jars/)."""
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-class").exists():
        raise UserError(f"pyspark at {home} has no bin/spark-class; reinstall with `make install`")
    return home


# Spark's own logs at WARN (not INFO) for every JVM the project starts.
LOG4J2 = Path(__file__).with_name("spark-log4j2.properties")


def cluster_dir(lake: Path) -> Path:
    return LakePaths(lake).ops / "spark"


def state_path(lake: Path) -> Path:
    return cluster_dir(lake) / "cluster.json"


def load(lake: Path) -> Cluster | None:
    path = state_path(lake)
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    raw["processes"] = [Process(**p) for p in raw.get("processes", [])]
    return Cluster(**raw)


def _save(lake: Path, cluster: Cluster) -> None:
    path = state_path(lake)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(cluster), indent=2))
    os.replace(tmp, path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def master_json(cluster: Cluster, timeout: float = 5.0) -> dict:
    """The master's own view (its web UI's /json): workers alive, cores, running apps.

    An answer that is no JSON is an OSError, as an unreachable master is: a master still
    starting answered with an empty body, and `cluster up`, waiting for its workers,
    ended in a JSONDecodeError traceback (a `make test-spark` run)."""
    with urllib.request.urlopen(f"{cluster.web_url}/json/", timeout=timeout) as resp:
        body = resp.read()
    try:
        return json.loads(body)
    except ValueError as exc:
        raise OSError(f"the Spark master's web UI answered without its JSON ({len(body)} bytes)") from exc


def running(lake: Path) -> Cluster | None:
    """The lake's cluster when its master is up, else None."""
    cluster = load(lake)
    if cluster is None:
        return None
    master = next((p for p in cluster.processes if p.role == "master"), None)
    if master is None or not _alive(master.pid) or not _listening(master.port):
        return None
    return cluster


def resolve_master(lake: Path, configured: str | None) -> tuple[str, Cluster | None]:
    """The master a Spark job of this lake connects to: the configured one
    (EDUHOUSE_SPARK_MASTER: ``spark://host:port`` or ``local[N]``), else the lake's running
    cluster (returned too, for its sizes); a clear error when there is neither."""
    if configured:
        return configured, None
    cluster = running(lake)
    if cluster is None:
        raise UserError(
            f"engine spark: no Spark cluster for {lake}; start one with "
            f"`eduhouse cluster up --lake {lake}` or set EDUHOUSE_SPARK_MASTER (spark://host:port or local[N])")
    return cluster.master_url, cluster


def _spawn(lake: Path, role: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    log = cluster_dir(lake) / "logs" / f"{role}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [str(spark_home() / "bin" / "spark-class"), *args],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cluster_dir(lake), start_new_session=True,
        )
    return proc.pid, str(log)


def _spark_env(lake: Path) -> dict[str, str]:
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": HOST,
           "SPARK_WORKER_DIR": str(cluster_dir(lake) / "work")}
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    return env


def _wait(condition, what: str, pids: list[int], logs: list[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if condition():
            return
        if not all(_alive(p) for p in pids):
            break
        time.sleep(0.5)
    raise UserError(f"{what} did not come up within {START_TIMEOUT_S:.0f} s; see {', '.join(logs)}")


def up(lake: Path, workers: int = 2, cores_per_worker: int | None = None,
       memory_per_worker: str = "2g", progress=print) -> Cluster:
    """Start the lake's master and ``workers`` workers; wait until all have registered."""
    if workers < 1:
        raise UserError("--workers must be at least 1")
    if running(lake) is not None:
        raise UserError(f"a cluster of this lake is already up ({load(lake).master_url}); "
                        f"`eduhouse cluster down --lake {lake}` first")
    cores = cores_per_worker or max(1, (os.cpu_count() or 2) // workers)
    cluster_dir(lake).mkdir(parents=True, exist_ok=True)
    env = _spark_env(lake)
    port, web = _free_port(), _free_port()
    pid, log = _spawn(lake, "master", ["org.apache.spark.deploy.master.Master",
                                       "--host", HOST, "--port", str(port), "--webui-port", str(web)], env)
    cluster = Cluster(master_url=f"spark://{HOST}:{port}", web_url=f"http://{HOST}:{web}",
                      cores_per_worker=cores, memory_per_worker=memory_per_worker, started_at=time.time(),
                      processes=[Process("master", pid, port, web, log)])
    _save(lake, cluster)  # saved at once: `down` can stop a half-started cluster
    progress(f"  master {cluster.master_url} (web {cluster.web_url}), pid {pid}")
    _wait(lambda: _listening(port) and _listening(web), "the Spark master", [pid], [log])
    for n in range(1, workers + 1):
        wport, wweb = _free_port(), _free_port()
        wpid, wlog = _spawn(lake, f"worker-{n}", [
            "org.apache.spark.deploy.worker.Worker", "--host", HOST, "--port", str(wport),
            "--webui-port", str(wweb), "--cores", str(cores), "--memory", memory_per_worker,
            "--work-dir", str(cluster_dir(lake) / "work"), cluster.master_url], env)
        cluster.processes.append(Process(f"worker-{n}", wpid, wport, wweb, wlog))
        _save(lake, cluster)
        progress(f"  worker {n}: {cores} core(s), {memory_per_worker}, pid {wpid}")
    pids = [p.pid for p in cluster.processes]
    logs = [p.log for p in cluster.processes]

    def registered() -> bool:
        try:
            return master_json(cluster).get("aliveworkers", 0) >= workers
        except OSError:
            return False

    _wait(registered, f"{workers} worker(s)", pids, logs)
    return cluster


def down(lake: Path, progress=print) -> int:
    """Stop every process of the lake's cluster (workers first); returns how many ran."""
    cluster = load(lake)
    if cluster is None:
        return 0
    stopped = 0
    for proc in sorted(cluster.processes, key=lambda p: p.role == "master"):
        if not _alive(proc.pid):
            continue
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        stopped += 1
        progress(f"  stopped {proc.role} (pid {proc.pid})")
    state_path(lake).unlink(missing_ok=True)
    return stopped


def status(lake: Path) -> dict:
    """What is running: the saved cluster, each process alive or not, the master's view."""
    cluster = load(lake)
    if cluster is None:
        return {"up": False}
    out: dict = {"up": running(lake) is not None, "master_url": cluster.master_url, "web_url": cluster.web_url,
                 "processes": [{**asdict(p), "alive": _alive(p.pid)} for p in cluster.processes]}
    if out["up"]:
        try:
            view = master_json(cluster)
            out.update(alive_workers=view.get("aliveworkers"), cores=view.get("cores"),
                       memory_mb=view.get("memory"), active_apps=len(view.get("activeapps", [])))
        except OSError as exc:
            out["master_error"] = str(exc)
    return out
