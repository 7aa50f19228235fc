"""A real HTTP client and server for the API tests: `eduhouse serve` started as a user
starts it, urllib as the client, and the access events the server wrote."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from orchestration.serve.tokens import TokenStore

AS_OF = "2021-10-07"
APP = "app-serve-test"


class Server:
    """`eduhouse serve` as a user starts it, in its own process."""

    def __init__(self, lake: Path):
        self.lake = lake
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        self._log = open(lake.parent / "serve.stderr", "a")  # closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "serve", "--lake", str(lake), "--port", "0", "--as-of", AS_OF],
            stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        line = self.proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + (lake.parent / "serve.stderr").read_text()
        self.url = line.split()[2]

    def stop(self, sig=signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self._log.close()


def issue(lake: Path, principal: str, *, app: str | None = None, days: int | None = None) -> str:
    return TokenStore(lake).issue(principal, app, days, datetime.now(UTC))


def get(url: str, token: str | None = None, purpose: str | None = None, accept: str | None = None,
        method: str = "GET"):
    """(status, headers with lower-case names, body) of one request (a GET unless
    `method`) by a real HTTP client."""
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if purpose:
        request.add_header("X-Purpose", purpose)
    if accept:
        request.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def get_json(*args, **kwargs):
    status, headers, body = get(*args, **kwargs)
    return status, headers, json.loads(body)


def events(lake: Path) -> list[dict]:
    """Every access event the server wrote (open and sealed segments)."""
    out = []
    for path in sorted((lake / "inbox" / "access").glob("eduhouse-serve-*")):
        out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return out
