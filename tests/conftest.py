"""Suite-wide setup: how `make test` spreads the tests over the machine's cores.

`make test` runs pytest-xdist with `--dist loadgroup`. A test goes to a worker with the
other tests that share its expensive fixture, so nothing is built twice and no two
workers touch one lake: the tests reading the shared `pipeline` district form one group
(some of them also run more on that lake, in order), tests under another session-scoped
fixture form that fixture's group, and every other test stays with its module (whose
module-scoped fixtures it shares). Without `-n`, the markers change nothing.
"""

from __future__ import annotations

import os

import pytest

# Deliveries written by a test are complete when it calls the landing: no waiting for
# them to settle (`eduhouse run` waits EDUHOUSE_INBOX_SETTLE_SECONDS for files still being
# copied in; the tests of that wait set it themselves). Subprocesses inherit it.
os.environ.setdefault("EDUHOUSE_INBOX_SETTLE_SECONDS", "0")


def _group(item: pytest.Item) -> str:
    info = getattr(item, "_fixtureinfo", None)
    names = info.names_closure if info else []
    if "pipeline" in names:
        return "pipeline"
    for name in names:
        defs = info.name2fixturedefs.get(name) or ()
        if defs and defs[-1].scope == "session" and not defs[-1].baseid == "":
            return f"{defs[-1].baseid}::{name}"
    return item.nodeid.split("::", 1)[0]


def pytest_itemcollected(item: pytest.Item) -> None:
    # Marked as each test is collected: xdist reads the markers into the node ids in its
    # own collection_modifyitems, which runs before a conftest's.
    item.add_marker(pytest.mark.xdist_group(_group(item)))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Parse the dbt project once, before any worker loads the code location."""
    if hasattr(session.config, "workerinput"):
        return
    from orchestration.transform.project import ensure_manifest

    ensure_manifest()

