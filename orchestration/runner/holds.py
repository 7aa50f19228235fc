"""What holds a stage run back: a failure earlier in the same command, or a blocking
check that still fails on a landed source from any earlier run.

Shared by `eduhouse run` and `eduhouse backfill`, so neither builds marts from data a
blocking check refused."""

from __future__ import annotations

import dagster as dg

from orchestration.conditions import refuses
from orchestration.runner.execute import RunOutcome


def blocked_by(keys: list[dg.AssetKey], graph, outcomes: list[RunOutcome]) -> set[dg.AssetKey]:
    """What `keys` read (upstream, themselves excluded) that failed in an earlier run: a
    failed step, or an error check on it. In one run Dagster would skip them for it."""
    failed: set[dg.AssetKey] = set()
    for outcome in outcomes:
        failed |= {dg.AssetKey(step.split("__")) for step in outcome.failed_steps}
        failed |= {dg.AssetKey.from_user_string(check.split(":", 1)[0]) for check in outcome.failed_checks}
    upstream = set(dg.AssetSelection.assets(*keys).upstream().resolve(graph)) - set(keys)
    return failed & upstream


def failing_landing_checks(instance: dg.DagsterInstance, graph) -> dict[dg.AssetKey, list[str]]:
    """Landed (bronze) assets whose latest blocking check failed, with those checks.

    A blocking check holds back what reads its asset in its own run; the next run does
    not land the delivery again, so without this it built the marts from the same data
    the check had refused (and `eduhouse status` still reported the failure). The hold
    lasts until a later landing of the source passes the check: a corrected delivery,
    whose rows supersede the refused ones by key."""
    keys = [k for k in graph.asset_check_keys if k.asset_key.path[0] == "bronze"]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys) if keys else {}
    failing: dict[dg.AssetKey, list[str]] = {}
    for key, record in latest.items():
        if refuses(record):
            failing.setdefault(key.asset_key, []).append(f"{key.asset_key.to_user_string()}:{key.name}")
    return failing


def held_by(keys: list[dg.AssetKey], graph, failing: dict[dg.AssetKey, list[str]]) -> list[str]:
    """The still-failing blocking checks on what `keys` read (failing_landing_checks)."""
    upstream = set(dg.AssetSelection.assets(*keys).upstream().resolve(graph)) - set(keys)
    return sorted(check for key in upstream & set(failing) for check in failing[key])
