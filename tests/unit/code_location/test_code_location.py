"""The whole code location loads, and its shape is what the snapshot says.

This is the fast feedback the end-to-end runs give only after minutes: every asset with
its group, partitioning, pool and kinds, every asset check, job, schedule and sensor.
A change to the graph shows up here as a readable diff of `code_location.txt`; when the
change is intended, regenerate the snapshot with

    EDUHOUSE_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/unit/code_location

and commit it with the change that caused it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).with_name("code_location.txt")


def _partitioning(spec_partitions: dg.PartitionsDefinition | None) -> str:
    if spec_partitions is None:
        return "-"
    if isinstance(spec_partitions, dg.DynamicPartitionsDefinition):
        return f"dynamic:{spec_partitions.name}"
    if isinstance(spec_partitions, dg.TimeWindowPartitionsDefinition):
        return f"time:{spec_partitions.cron_schedule}:{spec_partitions.timezone}"
    return type(spec_partitions).__name__


def describe(defs: dg.Definitions) -> list[str]:
    """One sorted line per asset, check, job, schedule and sensor."""
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            lines.append(f"source  {key.to_user_string()}")
            continue
        kinds = ",".join(sorted(node.kinds)) or "-"
        pool = getattr(node, "pools", None) or "-"
        if isinstance(pool, set | frozenset):
            pool = ",".join(sorted(pool)) or "-"
        lines.append(f"asset   {key.to_user_string()}  group={node.group_name}  "
                     f"partitions={_partitioning(node.partitions_def)}  pool={pool}  kinds={kinds}")
    for check in sorted(graph.asset_check_keys, key=lambda c: (c.asset_key.to_user_string(), c.name)):
        lines.append(f"check   {check.asset_key.to_user_string()}:{check.name}")
    for job in sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")):
        lines.append(f"job     {job}")
    for schedule in sorted(defs.schedules or [], key=lambda s: s.name):
        lines.append(f"schedule {schedule.name}  cron={schedule.cron_schedule}  tz={schedule.execution_timezone}")
    for sensor in sorted(defs.sensors or [], key=lambda s: s.name):
        lines.append(f"sensor  {sensor.name}  interval={sensor.minimum_interval_seconds}")
    return lines


@pytest.fixture(scope="module")
def code_location() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs() if callable(defs) else defs


def test_code_location_loads_and_resolves(code_location):
    # Resolving the repository validates every job, schedule, sensor and resource binding.
    repo = code_location.get_repository_def()
    assert repo.get_all_jobs(), "no jobs"
    assert len(repo.asset_graph.materializable_asset_keys) > 50


def test_code_location_matches_snapshot(code_location):
    current = describe(code_location)
    if os.environ.get("EDUHOUSE_UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text("\n".join(current) + "\n", encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    diff = "\n".join(difflib.unified_diff(expected, current, "snapshot", "code location", lineterm=""))
    assert current == expected, (
        "the code location changed; if intended, regenerate with EDUHOUSE_UPDATE_SNAPSHOTS=1:\n" + diff
    )


def test_every_check_says_what_it_checks(code_location):
    """The UI showed "No description provided" for 396 of 436 checks, every dbt generic
    test (dagster-dbt reads only a test's meta.description): the translator now says what
    each checks and whether it blocks (transform/translator.py, check_description)."""
    graph = code_location.resolve_asset_graph()
    undescribed = sorted(k.to_user_string() for k in graph.asset_check_keys
                         if not graph.get_check_spec(k).description)
    assert not undescribed, undescribed[:10]
