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
