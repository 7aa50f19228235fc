"""The Dagster instance home for CLI commands: $DAGSTER_HOME, else `<repo>/.dagster_home`.

Run history survives between commands because every command uses the same home, and
its dagster.yaml (the concurrency pool that serialises warehouse writes) is the
committed one in `orchestration/instance/`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg

from orchestration.settings import REPO_ROOT

INSTANCE_YAML = Path(__file__).parent / "instance" / "dagster.yaml"


def ensure_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(INSTANCE_YAML, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance() -> dg.DagsterInstance:
    """The instance, with the warehouse pool's limit set before any run can claim it."""
    from orchestration.automation.pools import ensure_pools

    ensure_dagster_home()
    instance = dg.DagsterInstance.get()
    ensure_pools(instance)
    return instance
