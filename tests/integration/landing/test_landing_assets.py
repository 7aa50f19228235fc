"""The landing assets under Dagster: partitions, metadata, extra partition events, checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg

from orchestration.landing.assets import landing_assets, landing_checks
from orchestration.landing.definitions import defs
from orchestration.resources import EngineResource, LakeResource

HOME = "https://slp.example.edu.cn"
MANIFEST = "propertyName,value\nfile.users,bulk\nfile.orgs,absent\n"
USERS = "sourcedId,status,dateLastModified,role,orgSourcedIds\nstu-1,,,student,s-1\nstu-2,,,student,s-1\n"


def stmt(n: int, ts: str, name: str = "stu-1") -> str:
    return json.dumps({
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"account": {"homePage": HOME, "name": name}},
        "verb": {"id": "https://w3id.org/xapi/adl/verbs/logged-in"},
        "object": {"id": f"{HOME}/platform"}, "timestamp": ts})


def setup_lake(lake: Path) -> None:
    roster = lake / "inbox/roster/2021-09-30-bulk"
    roster.mkdir(parents=True)
    (roster / "manifest.csv").write_text(MANIFEST)
    (roster / "users.csv").write_text(USERS)
    xapi = lake / "inbox/xapi"
    xapi.mkdir(parents=True)
    # The 10-02 file also carries a late statement from 10-01 and one with a bad actor.
    (xapi / "2021-10-02.jsonl").write_text("\n".join([
        stmt(1, "2021-10-02T01:00:00Z"), stmt(2, "2021-09-30T16:30:00Z"), stmt(3, "2021-10-02T02:00:00Z", "x")]))


def by_key(assets):
    return {a.key: a for a in assets}


def _materializations(result, key):
    return [e.materialization for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION" and e.materialization.asset_key == key]


def test_landing_definitions_load(lake: Path):
    full = dg.Definitions.merge(defs, dg.Definitions(resources={"lake": LakeResource(root=str(lake))}))
    keys = {k.to_user_string() for k in full.resolve_asset_graph().get_all_asset_keys()}
    assert {"bronze/roster", "bronze/xapi", "bronze/access", "bronze/governance"} <= keys


def test_materialize_roster_then_xapi_partition(lake: Path):
    setup_lake(lake)
    resources = {"lake": LakeResource(root=str(lake)), "engine": EngineResource()}
    assets = by_key(landing_assets)
    checks = [c for c in landing_checks if {k.asset_key.path[1] for k in c.check_keys} & {"roster", "xapi"}]
    roster = dg.materialize([assets[dg.AssetKey(["bronze", "roster"])]], resources=resources)
    assert roster.success
    result = dg.materialize(
        [assets[dg.AssetKey(["bronze", "xapi"])], *checks], resources=resources, partition_key="2021-10-02",
        selection=[dg.AssetKey(["bronze", "xapi"])],
    )
    assert result.success
    key = dg.AssetKey(["bronze", "xapi"])
    mats = _materializations(result, key)
    main = [m for m in mats if m.partition == "2021-10-02"][0]
    assert main.metadata["rows_by_date"].value == {"2021-10-02": 1}
    assert main.metadata["quarantine_by_reason"].value == {"unknown_reference": 1}
    assert main.metadata["records_in"].value == 3
    # The late statement's date got its own materialization event.
    assert sorted(m.partition for m in mats) == ["2021-10-01", "2021-10-02"]
    checks_run = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
                  for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert checks_run == {"conservation": True, "deliveries_landed": True}
    assert (lake / "bronze/xapi/statements/local_date=2021-10-01/2021-10-02.jsonl.parquet").exists()


def test_rebuild_relands_requested_dates_and_check_catches_loss(lake: Path):
    setup_lake(lake)
    resources = {"lake": LakeResource(root=str(lake)), "engine": EngineResource()}
    assets = by_key(landing_assets)
    xapi = assets[dg.AssetKey(["bronze", "xapi"])]
    check = [c for c in landing_checks if any(k.asset_key == xapi.key for k in c.check_keys)]
    assert dg.materialize([assets[dg.AssetKey(["bronze", "roster"])]], resources=resources).success
    assert dg.materialize([xapi], resources=resources, partition_key="2021-10-02").success
    lost = lake / "bronze/xapi/statements/local_date=2021-10-02/2021-10-02.jsonl.parquet"
    lost.unlink()
    only_check = dg.AssetSelection.checks_for_assets(xapi.key)
    failing = dg.materialize([xapi, *check], resources=resources, raise_on_error=False,
                             selection=only_check)
    evals = [e.asset_check_evaluation_data for e in failing.all_events
             if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == "conservation"]
    assert [e.passed for e in evals] == [False]
    # A plain re-run does nothing (already ledgered); an explicit rebuild restores the file.
    assert dg.materialize([xapi], resources=resources, partition_key="2021-10-02").success
    assert not lost.exists()
    rebuilt = dg.materialize([xapi], resources=resources, partition_key="2021-10-02",
                             run_config={"ops": {"bronze__xapi": {"config": {"rebuild": True}}}})
    assert rebuilt.success and lost.exists()
    again = dg.materialize([xapi, *check], resources=resources, selection=only_check)
    assert [e.asset_check_evaluation_data.passed for e in again.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"] == [True, True]
    shutil.rmtree(lake)


def test_a_delivery_refused_whole_warns(lake: Path):
    """A file that lands nothing (unreadable, or every record quarantined) is a warning of
    its landing, naming it; the run succeeds and the other deliveries land."""
    setup_lake(lake)
    xapi_dir = lake / "inbox/xapi"
    (xapi_dir / "2021-10-03.jsonl").write_text(stmt(9, "2021-10-03T01:00:00Z", "nobody") + "\n{not json\n")
    (xapi_dir / "2021-10-04.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    resources = {"lake": LakeResource(root=str(lake)), "engine": EngineResource()}
    assets = by_key(landing_assets)
    xapi = assets[dg.AssetKey(["bronze", "xapi"])]
    checks = [c for c in landing_checks if any(k.asset_key == xapi.key for k in c.check_keys)]
    assert dg.materialize([assets[dg.AssetKey(["bronze", "roster"])]], resources=resources).success
    result = dg.materialize([xapi, *checks], resources=resources, selection=[xapi.key],
                            partition_key="2021-10-02")
    assert result.success
    evals = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data for e in result.all_events
             if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert evals["conservation"].passed
    warned = evals["deliveries_landed"]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    refused = warned.metadata["refused_deliveries"].value
    assert sorted((r["delivery_id"], r["status"]) for r in refused) == [
        ("2021-10-03.jsonl", "landed"), ("2021-10-04.jsonl.gz", "unreadable")]
    assert warned.metadata["deliveries"].value == 3
    assert (lake / "bronze/xapi/statements/local_date=2021-10-02/2021-10-02.jsonl.parquet").exists()


def test_status_names_the_deliveries_a_failing_conservation_check_found(lake: Path):
    """`eduhouse status` said "check bronze/xapi:conservation failed (ERROR)" and no more;
    which deliveries lost records was only in the check's metadata in the UI."""
    from orchestration.automation.status import format_text, gather_status

    setup_lake(lake)
    resources = {"lake": LakeResource(root=str(lake)), "engine": EngineResource()}
    assets = by_key(landing_assets)
    xapi = assets[dg.AssetKey(["bronze", "xapi"])]
    check = [c for c in landing_checks if any(k.asset_key == xapi.key for k in c.check_keys)]
    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.materialize([assets[dg.AssetKey(["bronze", "roster"])]], resources=resources,
                              instance=instance).success
        assert dg.materialize([xapi, *check], resources=resources, partition_key="2021-10-02",
                              instance=instance).success
        (lake / "bronze/xapi/statements/local_date=2021-10-02/2021-10-02.jsonl.parquet").unlink()
        dg.materialize([xapi, *check], resources=resources, raise_on_error=False, instance=instance,
                       selection=dg.AssetSelection.checks_for_assets(xapi.key))
        graph = dg.Definitions(assets=[xapi], asset_checks=check, resources=resources).resolve_asset_graph()
        status = gather_status(instance, graph, lake)
    failing = [c for g in status["groups"].values() for c in g["failing_checks"] if c["check"] == "conservation"]
    assert [c["deliveries"] for c in failing] == [["2021-10-02.jsonl"]]
    lines = format_text(status).splitlines()
    at = lines.index("  x landing: check bronze/xapi:conservation failed (ERROR)")
    assert lines[at + 1] == "      deliveries: 2021-10-02.jsonl"
