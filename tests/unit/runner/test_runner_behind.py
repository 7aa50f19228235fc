"""Deliveries the daemon landed before it died, with the models below never run: the
inbox holds nothing new and there is no journal, and `eduhouse run` said "every asset is
up to date" while `status` listed the stale models (the daemon probe). runner/behind.py
treats the deliveries landed after the readers were last built as new."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import dagster as dg

from orchestration.dagster_home import get_instance
from orchestration.landing.ledger import LedgerRow, write_row
from orchestration.runner.behind import landed_since_built
from orchestration.runner.scope import Scope


@dg.asset(key=["bronze", "xapi"], group_name="landing")
def xapi():
    return None


@dg.asset(key=["staging", "stg_xapi"], group_name="staging", deps=[xapi])
def stg_xapi():
    return None


@dg.asset(key=["marts", "usage"], group_name="marts", deps=[stg_xapi])
def usage():
    return None


def _delivery(lake, name: str, day: str, landed: int = 1) -> None:
    now = datetime.now(UTC)
    write_row(lake, LedgerRow("xapi", name, f"inbox/xapi/{name}", "0" * 64, 1, 1, landed, 1 - landed,
                              "landed", now, now, local_dates=[day]))


def test_deliveries_landed_after_their_readers_were_built_are_new(tmp_path):
    instance = get_instance(tmp_path)
    graph = dg.Definitions(assets=[xapi, stg_xapi, usage]).resolve_asset_graph()
    _delivery(tmp_path, "2021-10-01.jsonl", "2021-10-01")
    assert dg.materialize([xapi, stg_xapi, usage], instance=instance).success
    assert landed_since_built(tmp_path, instance, graph) is None  # all built after its landing
    time.sleep(0.05)
    # a delivery every record of which was quarantined changes no table: nothing is behind
    _delivery(tmp_path, "2021-10-01b.jsonl", "2021-10-01", landed=0)
    assert dg.materialize([xapi], instance=instance).success
    assert landed_since_built(tmp_path, instance, graph) is None
    # the daemon lands the next day, and dies before the models below run
    _delivery(tmp_path, "2021-10-02.jsonl", "2021-10-02")
    assert dg.materialize([xapi], instance=instance).success
    plan = landed_since_built(tmp_path, instance, graph)
    assert plan is not None and plan.keys == {"staging/stg_xapi", "marts/usage"}
    assert plan.ledger_before["xapi"] == {"2021-10-01.jsonl", "2021-10-01b.jsonl"} and "xapi" in plan.deferred_by
    # the plan's scope is the day that landed, as for a dead run's plan
    assert Scope.after_landing(tmp_path, plan.ledger_before).new_dates["xapi"] == ["2021-10-02"]
    # built since: nothing is behind
    assert dg.materialize([stg_xapi, usage], instance=instance).success
    assert landed_since_built(tmp_path, instance, graph) is None
