"""Asset jobs and schedules operations launches: landing, downstream, publication, retention."""


from datetime import datetime, timedelta

import dagster as dg

from orchestration.automation import selections
from orchestration.automation.publication import monthly_publication
from orchestration.automation.retention import retention
from orchestration.partitions import daily_partitions
from orchestration.resources import ENGINE_TAG
from orchestration.settings import get_settings

LANDING_JOB = "landing_job"
LANDING_DAILY_JOB = "landing_daily_job"
DOWNSTREAM_JOB = "downstream_job"
PUBLICATION_JOB = "monthly_publication_job"
RETENTION_JOB = "retention_job"

# No job-wide op retry policy: a dbt build or a landing that fails on data fails the
# same way again (a retried `dbt build` costs the whole build twice more). Transient
# failures are retried where they happen (TRANSIENT_RETRY on the assets that do I/O
# to the outside) and by run_retries when a run worker dies (dagster.yaml).
#
# In-process executor: a launched run with the default multiprocess executor starts one
# Python process per step, each loading the whole code location (dbt manifest
# included): measured ~20 s of overhead on a 4-step daily landing run whose steps take
# 8-14 s. In-process it is under 1 s. The pool is enforced in-process too.
EXECUTOR = dg.in_process_executor

landing_job = dg.define_asset_job(
    LANDING_JOB, selection=selections.landing_unpartitioned(), executor_def=EXECUTOR,
    description="Lands new deliveries of the unpartitioned sources (roster, exams, ...).",
)
landing_daily_job = dg.define_asset_job(
    LANDING_DAILY_JOB, selection=selections.landing_daily(), partitions_def=daily_partitions,
    executor_def=EXECUTOR,
    description="Lands a range of local days of a time-based source (xapi, access).",
)
downstream_job = dg.define_asset_job(
    DOWNSTREAM_JOB, selection=selections.downstream(), executor_def=EXECUTOR,
    description="dbt models, checks, reports and the audit: everything unpartitioned after landing.",
)
publication_job = dg.define_asset_job(
    PUBLICATION_JOB, selection=[monthly_publication], executor_def=EXECUTOR,
)
retention_job = dg.define_asset_job(RETENTION_JOB, selection=[retention], executor_def=EXECUTOR)


def previous_month(moment: datetime) -> str:
    """The monthly partition key of the month before `moment` (YYYY-MM-01)."""
    first = moment.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m-01")


@dg.schedule(
    job=publication_job,
    cron_schedule="0 7 1 * *",
    execution_timezone=get_settings().timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="On the 1st at 07:00 district time, publish the month just ended.",
)
def monthly_publication_schedule(context: dg.ScheduleEvaluationContext):
    key = previous_month(context.scheduled_execution_time)
    return dg.RunRequest(run_key=f"publication:{key}", partition_key=key,
                         tags={ENGINE_TAG: get_settings().engine})


retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule",
    job=retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone=get_settings().timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:30 district time: delete data past its retention.",
    tags={ENGINE_TAG: get_settings().engine},
)
