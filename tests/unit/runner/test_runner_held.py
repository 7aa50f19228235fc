"""A blocking check that failed on a landed source holds back what reads it run after
run (runner.holds.failing_landing_checks / held_by), until a landing passes it. The next
`eduhouse run` did not land the delivery again and built the marts from the refused data."""

from __future__ import annotations

import dagster as dg

from orchestration.dagster_home import get_instance
from orchestration.runner.holds import failing_landing_checks, held_by

VERDICT = {"passed": False}


@dg.asset(key=["bronze", "grants"])
def grants() -> None:
    return None


@dg.asset_check(asset=grants, blocking=True)
def contract() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=VERDICT["passed"], severity=dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset=grants)
def plausible() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)


@dg.asset(deps=[grants])
def audit() -> None:
    return None


@dg.asset
def elsewhere() -> None:
    return None


def test_a_failed_blocking_check_holds_its_readers_until_a_landing_passes_it(tmp_path):
    defs = dg.Definitions(assets=[grants, audit, elsewhere], asset_checks=[contract, plausible])
    graph = defs.resolve_asset_graph()
    instance = get_instance(tmp_path)
    job = defs.resolve_implicit_global_asset_job_def()
    VERDICT["passed"] = False
    job.execute_in_process(instance=instance, asset_selection=[grants.key], raise_on_error=False)
    failing = failing_landing_checks(instance, graph)
    # the warning does not hold anything; the error does, for what reads the source only
    assert failing == {grants.key: ["bronze/grants:contract"]}
    assert held_by([audit.key], graph, failing) == ["bronze/grants:contract"]
    assert held_by([elsewhere.key], graph, failing) == []
    assert held_by([grants.key], graph, failing) == []  # landing it again is how it clears
    VERDICT["passed"] = True  # a corrected delivery lands and passes
    job.execute_in_process(instance=instance, asset_selection=[grants.key], raise_on_error=False)
    assert failing_landing_checks(instance, graph) == {}
    instance.dispose()


def test_the_hold_line_says_what_to_do_about_its_check():
    """A conservation failure refused no record: "deliver a correction" could not help (the
    retention probe followed it in a circle)."""
    from orchestration.runner.run import _hold_advice

    assert "deliver a correction" in _hold_advice(["bronze/grants:contract"])
    lost = _hold_advice(["bronze/grants:contract", "bronze/xapi:conservation"])
    assert "missing from bronze and quarantine" in lost and "backfill --rebuild" in lost
    assert "deliver a correction" not in lost
