"""The run planner orders stages so every asset runs after what it reads."""

import dagster as dg
import pytest

from orchestration.runner.stages import plan_stages

daily = dg.DailyPartitionsDefinition(start_date="2021-01-01")
monthly = dg.MonthlyPartitionsDefinition(start_date="2021-01-01")
weekly = dg.WeeklyPartitionsDefinition(start_date="2021-01-03")


@dg.asset(group_name="landing")
def roster():
    return None


@dg.asset(group_name="landing", partitions_def=daily)
def xapi():
    return None


@dg.asset(deps=[roster, xapi])
def usage():
    return None


@dg.asset(deps=[usage], partitions_def=monthly)
def publication():
    return None


def _graph(*assets):
    return dg.Definitions(assets=list(assets)).resolve_asset_graph()


def test_stages_follow_the_data_flow():
    stages = plan_stages(_graph(roster, xapi, usage, publication))
    assert [(s.kind, [k.to_user_string() for k in s.asset_keys]) for s in stages] == [
        ("none", ["roster"]),
        ("daily", ["xapi"]),
        ("none", ["usage"]),
        ("monthly", ["publication"]),
    ]


def test_unknown_partitioning_is_refused_not_skipped():
    @dg.asset(partitions_def=weekly)
    def weekly_thing():
        return None

    with pytest.raises(ValueError, match="weekly_thing"):
        plan_stages(_graph(roster, weekly_thing))


# The dbt graph's shape: roster-based models feed the daily and exam models; the daily
# ones feed an unpartitioned model that the monthly ones read; reports read the months.
exam = dg.DynamicPartitionsDefinition(name="exam")


@dg.asset(group_name="landing")
def exams():
    return None


@dg.asset(deps=[roster])
def enrollments():
    return None


@dg.asset(deps=[xapi, enrollments], partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
def activity_daily():
    return None


@dg.asset(deps=[exams, enrollments], partitions_def=exam, backfill_policy=dg.BackfillPolicy.single_run())
def student_exam():
    return None


@dg.asset(deps=[activity_daily])
def months():
    return None


@dg.asset(deps=[activity_daily, months], partitions_def=monthly, backfill_policy=dg.BackfillPolicy.single_run())
def usage_monthly():
    return None


@dg.asset(deps=[usage_monthly, student_exam])
def report():
    return None


@dg.asset(deps=[usage_monthly], partitions_def=monthly)
def monthly_publication():
    return None


def test_partitioned_models_run_between_what_they_read_and_what_reads_them():
    stages = plan_stages(_graph(roster, xapi, exams, enrollments, activity_daily, student_exam, months,
                                usage_monthly, report, monthly_publication))
    assert [(s.kind, s.single_run, [k.to_user_string() for k in s.asset_keys]) for s in stages] == [
        ("none", True, ["exams", "roster"]),
        ("daily", True, ["xapi"]),
        ("none", True, ["enrollments"]),
        ("daily", True, ["activity_daily"]),
        ("exam", True, ["student_exam"]),
        ("none", True, ["months"]),
        ("monthly", True, ["usage_monthly"]),
        ("none", True, ["report"]),
        ("monthly", False, ["monthly_publication"]),  # one month per run, last
    ]
    assert [s.landing for s in stages[:3]] == [True, True, False]


@dg.asset(deps=[roster])
def grants():
    return None


@dg.asset(deps=[grants, report])
def audit():
    return None


def test_unpartitioned_work_no_partitioned_asset_reads_waits_for_the_last_run():
    """`grants` could run in the first round, but nothing partitioned reads it: it shares
    the run of the marts rather than costing a run (and a dbt start-up) of its own, which
    on a new day would be a run before the daily models."""
    stages = plan_stages(_graph(roster, xapi, exams, enrollments, activity_daily, student_exam, months,
                                usage_monthly, report, monthly_publication, grants, audit))
    names = [(s.kind, [k.to_user_string() for k in s.asset_keys]) for s in stages]
    assert names[2] == ("none", ["enrollments"])
    assert names[-2] == ("none", ["audit", "grants", "report"])


def test_a_failed_roster_holds_back_the_learning_logs_and_a_failed_exam_does_not():
    """Landing is two runs (unpartitioned sources, then the daily ones over their range):
    the second is held back only by a failure of what it reads, as one run would."""
    from orchestration.runner.execute import RunOutcome
    from orchestration.runner.holds import blocked_by

    @dg.asset(group_name="landing", partitions_def=daily, deps=[roster])
    def statements():  # the learning log checks its actors against the roster
        return None

    graph = _graph(roster, statements, exams)
    roster_check = RunOutcome("land", "r1", True, 1.0, failed_checks=["roster:conservation"])
    roster_step = RunOutcome("land", "r2", False, 1.0, failed_steps=["roster"])
    exam_check = RunOutcome("land", "r3", True, 1.0, failed_checks=["exams:conservation"])
    xapi_key = [dg.AssetKey("statements")]
    assert blocked_by(xapi_key, graph, [roster_check]) == {dg.AssetKey("roster")}
    assert blocked_by(xapi_key, graph, [roster_step]) == {dg.AssetKey("roster")}
    assert blocked_by(xapi_key, graph, [exam_check]) == set()
    assert blocked_by(xapi_key, graph, []) == set()


def test_never_built_is_what_has_no_materialization():
    from orchestration.runner.run import _never_built

    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([roster], instance=instance)
    keys = [dg.AssetKey("roster"), dg.AssetKey("exams"), dg.AssetKey("not_an_asset")]
    assert _never_built(instance, keys) == {dg.AssetKey("exams"), dg.AssetKey("not_an_asset")}
