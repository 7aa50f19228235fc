"""`eduhouse status` on what the inbox holds (automation/status.py): a lake nothing ever
ran on with deliveries waiting is not "OK" (the operations probe read `overall: OK` and a
backlog of 73), and entries no source reads make it ATTENTION, each named."""

from orchestration.automation.status import format_text, gather_status


def test_a_lake_never_run_with_deliveries_waiting_needs_attention(instance, lake, ops):
    ops.put_delivery(lake, "xapi", "2021-10-01.jsonl", "{}\n")
    ops.put_delivery(lake, "roster", "r1.zip", "x")
    status = gather_status(instance, None, lake)
    assert status["overall"] == "ATTENTION" and status["inbox_backlog"] == {"roster": 1, "xapi": 1}
    assert "! nothing has landed yet: 2 deliveries wait in the inbox" in format_text(status)


def test_entries_no_source_reads_need_attention(instance, lake):
    (lake / "inbox" / "xapii").mkdir(parents=True)
    (lake / "inbox" / "xapii" / "a.jsonl").write_text("{}\n")
    status = gather_status(instance, None, lake)
    assert status["overall"] == "ATTENTION"
    assert status["inbox_problems"] == [
        "inbox/xapii/ is no source (roster, xapi, exams, catalog, fitness, psych, governance, access): "
        "nothing in it is landed"]
    assert "  ! inbox/xapii/ is no source" in format_text(status)


def test_checks_that_failed_and_checks_that_warned_are_counted_apart(instance, lake):
    """One column of both read as failures beside `overall: OK` (the faults probe)."""
    status = gather_status(instance, None, lake)
    status["groups"] = {"landing": {"assets": 8, "last_run": None, "stale": [], "missing": [], "failing_checks": [
        {"asset": "bronze__xapi", "check": "deliveries_landed", "severity": "WARN"},
        {"asset": "bronze__xapi", "check": "statements_valid", "severity": "WARN"},
        {"asset": "bronze__roster", "check": "conservation", "severity": "ERROR"}]}}
    text = format_text(status)
    header = next(line for line in text.splitlines() if line.startswith("group"))
    row = next(line for line in text.splitlines() if line.startswith("landing"))
    assert header.endswith("checks failed/warned") and row.endswith(" 1/2"), (header, row)


def test_a_failed_run_retried_with_success_is_not_the_groups_last_word(instance, lake):
    """The daemon probe: a landing run died after it materialized; the daemon's retry
    succeeded with nothing left to land (no materialization), and `status` kept naming the
    dead run as the group's last, ATTENTION, until the next delivery of that source."""
    import dagster as dg

    @dg.asset(key=["bronze", "a"], group_name="landing")
    def landed():
        return 1

    @dg.asset(key=["bronze", "b"], group_name="landing")
    def broken():
        raise RuntimeError("the worker died")

    failed = dg.materialize([landed, broken], instance=instance, raise_on_error=False)
    assert not failed.success
    graph = dg.Definitions(assets=[landed, broken]).resolve_asset_graph()
    before = gather_status(instance, graph, lake)["groups"]["landing"]["last_run"]
    assert (before["run_id"], before["status"]) == (failed.run_id, "FAILURE")
    retry = instance.add_run(dg.DagsterRun(job_name="__ASSET_JOB", status=dg.DagsterRunStatus.SUCCESS,
                                           tags={"dagster/parent_run_id": failed.run_id,
                                                 "dagster/root_run_id": failed.run_id}))
    status = gather_status(instance, graph, lake)
    after = status["groups"]["landing"]["last_run"]
    assert (after["run_id"], after["status"], after["retry_of"]) == (retry.run_id, "SUCCESS", failed.run_id)
    assert "landing" not in [g for g, s in status["groups"].items()
                             if s["last_run"] and s["last_run"]["status"] == "FAILURE"]
