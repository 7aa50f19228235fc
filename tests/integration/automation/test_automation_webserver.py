"""`dagster-webserver -w workspace.yaml` serves the asset graph over GraphQL."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

QUERY = "{ assetNodes { assetKey { path } } }"
STATUS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus " \
         "locationOrLoadError { __typename ... on PythonError { message } } } } } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def webserver(dagster_home, lake, ops):
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "EDUHOUSE_LAKE": str(lake)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ops.repo_root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )
    try:
        yield port, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.e2e
def test_graphql_lists_the_asset_graph(webserver):
    port, proc = webserver
    deadline = time.time() + 240
    entry = None
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        try:
            entries = _graphql(port, STATUS)["data"]["workspaceOrError"]["locationEntries"]
            entry = entries[0] if entries else None
            if entry and entry["loadStatus"] == "LOADED":
                break
        except OSError:
            pass
        time.sleep(2)
    assert entry and entry["loadStatus"] == "LOADED", f"code location did not load in time: {entry}"
    error = entry["locationOrLoadError"]
    assert error["__typename"] == "RepositoryLocation", f"code location failed to load: {error}"

    paths = {tuple(n["assetKey"]["path"]) for n in _graphql(port, QUERY)["data"]["assetNodes"]}
    assert ("reports", "monthly_publication") in paths
    assert ("ops", "retention") in paths
    assert any(p[0] in ("staging", "intermediate", "marts") for p in paths), sorted(paths)[:20]
