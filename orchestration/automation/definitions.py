"""Operations: inbox sensor, downstream automation, alerts, publication, retention."""

import dagster as dg

from orchestration.automation.jobs import (
    downstream_job,
    landing_daily_job,
    landing_job,
    monthly_publication_schedule,
    publication_job,
    retention_job,
    retention_schedule,
)
from orchestration.automation.publication import monthly_publication
from orchestration.automation.retention import retention
from orchestration.automation.sensors import (
    check_failure_alert,
    dead_run_release,
    downstream_automation,
    downstream_catchup,
    inbox_sensor,
    later_months_catchup,
    run_failure_alert,
)

defs = dg.Definitions(
    assets=[monthly_publication, retention],
    jobs=[landing_job, landing_daily_job, downstream_job, publication_job, retention_job],
    schedules=[monthly_publication_schedule, retention_schedule],
    sensors=[inbox_sensor, downstream_automation, downstream_catchup, later_months_catchup, run_failure_alert,
             check_failure_alert, dead_run_release],
)
