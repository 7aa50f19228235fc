"""Declarative automation over partitioned models, on a real instance with tiny fake
assets shaped like the dbt graph: a landed day reaches its daily model, then the
unpartitioned models it feeds, then its month, then the report, each after the runs it
reads from (runs of different partitionings start in any order); a new exam reaches
its exam partition."""

from __future__ import annotations

import shutil
import warnings

import dagster as dg
import pytest

from orchestration import conditions
from orchestration.automation.backfill import INSTANCE_YAML
from orchestration.automation.sensors import downstream_automation
from orchestration.partitions import daily_partitions, exam_partitions, monthly_partitions

warnings.simplefilter("ignore", dg.BetaWarning)
DAY, MONTH = "2021-10-05", "2021-10-01"


def _tagged(kind):
    return {"tags": {conditions.PARTITION_TAG: kind}, "automation_condition": conditions.condition_for(kind)}


@dg.asset(key=["bronze", "xapi"], group_name="landing", partitions_def=daily_partitions)
def xapi():
    return None


@dg.asset(key=["bronze", "exams"], group_name="landing")
def exams():
    return None


@dg.asset(key=["staging", "stg"], group_name="staging", deps=[xapi], partitions_def=daily_partitions,
          **_tagged("daily"))
def stg():
    return None


@dg.asset(key=["intermediate", "months"], group_name="intermediate", deps=[stg])
def months():
    return None


@dg.asset(key=["marts", "usage"], group_name="marts", deps=[stg, months], partitions_def=monthly_partitions,
          **_tagged("monthly"))
def usage():
    return None


@dg.asset(key=["reports", "report"], group_name="reports", deps=[usage])
def report():
    return None


@dg.asset(key=["staging", "exam_catalog"], group_name="staging", deps=[exams])
def exam_catalog():
    return None


@dg.asset(key=["marts", "exam_mart"], group_name="marts", deps=[exams, exam_catalog], partitions_def=exam_partitions,
          **_tagged("exam"))
def exam_mart():
    return None


@dg.asset(key=["marts", "ranking"], group_name="marts", deps=[exam_mart, exam_catalog])
def ranking():
    return None


@pytest.fixture
def instance(tmp_path, monkeypatch):
    shutil.copyfile(INSTANCE_YAML, tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as inst:
        yield inst


@pytest.fixture
def defs(tmp_path):
    from orchestration.automation.definitions import defs as automation_defs
    from orchestration.resources import LakeResource

    return dg.Definitions.merge(dg.Definitions(assets=[xapi, exams, stg, months, usage, report, exam_catalog, exam_mart, ranking]),
                                automation_defs, dg.Definitions(resources={"lake": LakeResource(root=str(tmp_path))}))


class Ticks:
    def __init__(self, instance, defs):
        self.instance, self.defs, self.cursor = instance, defs, None
        self.job = defs.resolve_implicit_global_asset_job_def()

    def tick(self) -> list[tuple[frozenset[str], str | None]]:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor,
                                          repository_def=self.defs.get_repository_def())
        data = downstream_automation.evaluate_tick(context)
        self.cursor = data.cursor
        self.requests = data.run_requests
        return sorted(((frozenset(k.to_user_string() for k in r.asset_selection), r.partition_key)
                       for r in data.run_requests), key=str)

    def execute(self, keys, partition_key=None):
        assert self.job.execute_in_process(instance=self.instance, asset_selection=list(keys),
                                           partition_key=partition_key).success

    def run_requested(self):
        for request in self.requests:
            self.execute(request.asset_selection, request.partition_key)


def test_a_landed_day_reaches_its_month_in_dependency_order(instance, defs):
    ticks = Ticks(instance, defs)
    assert ticks.tick() == []  # baseline
    ticks.execute([xapi.key], DAY)
    # Only the day's model: the unpartitioned and monthly ones wait for it to finish.
    assert ticks.tick() == [(frozenset({"staging/stg"}), DAY)]
    ticks.run_requested()
    # The unpartitioned model next; the month waits for it (another run).
    assert ticks.tick() == [(frozenset({"intermediate/months"}), None)]
    ticks.run_requested()
    assert ticks.tick() == [(frozenset({"marts/usage"}), MONTH)]
    ticks.run_requested()
    assert ticks.tick() == [(frozenset({"reports/report"}), None)]
    ticks.run_requested()
    assert ticks.tick() == []
    # Only the day that landed: no other day or month was requested on the way.
    assert instance.get_materialized_partitions(stg.key) == {DAY}
    assert instance.get_materialized_partitions(usage.key) == {MONTH}


def test_nothing_is_requested_while_an_eduhouse_command_holds_the_lake(instance, defs, tmp_path, monkeypatch):
    """With the UI's daemon up, a tick between two runs of `eduhouse run` requested the
    models the command was about to build, beside it, from inputs half rebuilt (found by
    the UI probe: a 61-asset run, a day, a 42-exam backfill, all during one CLI run). The
    daemon now waits while a command holds the lake's lock, and goes on after."""
    from orchestration.runner.recovery import lake_lock

    monkeypatch.setenv("EDUHOUSE_LAKE", str(tmp_path))
    ticks = Ticks(instance, defs)
    assert ticks.tick() == []  # baseline
    with lake_lock(tmp_path):
        ticks.execute([xapi.key], DAY)  # the command's landing, then a tick before its next run
        assert ticks.tick() == []
    assert ticks.tick() == [(frozenset({"staging/stg"}), DAY)]


def test_what_reads_nothing_is_built_when_missing(instance, tmp_path):
    """The dbt seeds (the governance policy's tables) carry a build-when-missing
    condition, but no sensor of the project targeted them: Dagster's default automation
    sensor, stopped unless turned on, held them (the UI probe saw it), so a lake the
    daemon alone builds never had them. downstream_automation now takes what reads
    nothing, outside landing."""
    from orchestration.automation.definitions import defs as automation_defs
    from orchestration.resources import LakeResource

    @dg.asset(key=["governance", "policy"], group_name="governance", automation_condition=conditions.seed_condition())
    def policy():
        return None

    defs = dg.Definitions.merge(dg.Definitions(assets=[xapi, policy]), automation_defs,
                                dg.Definitions(resources={"lake": LakeResource(root=str(tmp_path))}))
    ticks = Ticks(instance, defs)
    assert ticks.tick() == [(frozenset({"governance/policy"}), None)]
    ticks.run_requested()
    assert ticks.tick() == []


def test_a_new_exam_is_built_alone(instance, defs):
    ticks = Ticks(instance, defs)
    assert ticks.tick() == []
    # On a fresh lake every model waits for the tables it reads: the exam for the
    # catalogue, the ranking (unpartitioned) for the exam's first partition.
    instance.add_dynamic_partitions("exam", ["ex-1"])
    assert ticks.tick() == []
    ticks.execute([exams.key], None)
    assert ticks.tick() == [(frozenset({"staging/exam_catalog"}), None)]
    ticks.run_requested()
    assert ticks.tick() == [(frozenset({"marts/exam_mart"}), "ex-1")]
    ticks.run_requested()
    assert ticks.tick() == [(frozenset({"marts/ranking"}), None)]
    ticks.run_requested()
    assert ticks.tick() == []
    instance.add_dynamic_partitions("exam", ["ex-2"])
    assert ticks.tick() == [(frozenset({"marts/exam_mart"}), "ex-2")]


def test_partitioned_models_are_automated_without_their_checks(defs):
    from orchestration.automation import selections

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in selections.automated().resolve(graph)}
    assert keys == {"staging/stg", "intermediate/months", "marts/usage", "reports/report", "marts/exam_mart",
                    "staging/exam_catalog", "marts/ranking"}
    # The conditions (evaluated in user code) have the snapshot the UI shows.
    for condition in [conditions.condition_for(k) for k in conditions.PARTITION_KINDS] + [
            conditions.unpartitioned_condition()]:
        assert "none in progress" in condition.get_snapshot().node_snapshot.label


def test_landed_exams_become_partitions_once(tmp_path, instance):
    import duckdb

    from orchestration.landing.exam_partitions import exam_ids, register_exam_partitions

    for delivery, ids in (("d1", ["ex-b", "ex-a"]), ("d2", ["ex-c", "ex-a"])):
        for table in ("exams", "exam_scores"):
            folder = tmp_path / "bronze" / "exams" / table
            folder.mkdir(parents=True, exist_ok=True)
            values = ", ".join(f"('{i}')" for i in ids)
            duckdb.execute(f"copy (select * from (values {values}) t(exam_id)) to '{folder / delivery}.parquet'")
    assert exam_ids(tmp_path, ["d2"]) == ["ex-a", "ex-c"]
    assert register_exam_partitions(instance, tmp_path, ["d1"]) == ["ex-a", "ex-b"]
    assert register_exam_partitions(instance, tmp_path) == ["ex-c"]
    assert register_exam_partitions(instance, tmp_path) == []
    assert instance.get_dynamic_partitions("exam") == ["ex-a", "ex-b", "ex-c"]


def test_backfill_command_takes_days_or_exams(capsys):
    import argparse

    from orchestration.automation.commands import backfill_command, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["backfill", "--exam", "ex-1", "--exam", "ex-2"])
    assert args.func is backfill_command and args.exam == ["ex-1", "ex-2"] and args.start is None
    from orchestration.errors import UserError

    with pytest.raises(UserError, match="--exam"):
        backfill_command(parser.parse_args(["backfill", "--from", "2021-10-01"]))
