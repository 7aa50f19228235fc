"""`eduhouse cluster` without a cluster: one clear line, never a traceback. (Starting and
stopping a real cluster is exercised by tests/e2e/transform/test_transform_spark_equals_duckdb.py.)"""

from __future__ import annotations

import subprocess
import sys


def _eduhouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], capture_output=True, text=True, timeout=60)


def test_status_and_down_of_a_lake_without_a_cluster(tmp_path):
    status = _eduhouse("cluster", "status", "--lake", str(tmp_path))
    assert status.returncode == 1
    assert status.stdout.strip() == f"no cluster for {tmp_path} (`eduhouse cluster up --lake {tmp_path}`)"
    down = _eduhouse("cluster", "down", "--lake", str(tmp_path))
    assert down.returncode == 0 and "no cluster was running" in down.stdout


def test_a_cluster_of_no_workers_is_refused_in_one_line(tmp_path):
    up = _eduhouse("cluster", "up", "--lake", str(tmp_path), "--workers", "0")
    assert up.returncode == 2
    assert up.stderr.strip().splitlines() == ["eduhouse cluster: --workers must be at least 1"]
    assert not (tmp_path / "ops" / "spark" / "cluster.json").exists()


def test_the_spark_engine_without_a_cluster_says_how_to_start_one(tmp_path):
    import dagster as dg
    import pytest

    from orchestration.lake import LakePaths
    from orchestration.resources import EngineResource
    from orchestration.transform.engine import engine_env

    with pytest.raises(dg.Failure, match="eduhouse cluster up --lake"):
        engine_env(EngineResource(name="spark"), LakePaths(tmp_path))
    assert engine_env(EngineResource(name="duckdb"), LakePaths(tmp_path)) == {"EDUHOUSE_DBT_TARGET": "dev"}


def test_a_master_answering_without_json_is_not_up_yet():
    """A master still starting answered its /json/ with an empty body: `cluster up`, waiting
    for its workers, ended in a JSONDecodeError traceback (a `make test-spark` run)."""
    import http.server
    import threading

    import pytest

    from orchestration.cluster.standalone import Cluster, master_json

    class Empty(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the handler's name in http.server
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Empty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cluster = Cluster("spark://127.0.0.1:1", f"http://127.0.0.1:{server.server_port}", 1, "1g", 0.0)
        with pytest.raises(OSError, match="without its JSON"):
            master_json(cluster)
    finally:
        server.shutdown()
        server.server_close()
