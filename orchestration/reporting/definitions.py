"""reporting: the nine role reports and their index as Dagster assets."""

import dagster as dg

from orchestration.reporting.assets import role_reports

defs = dg.Definitions(assets=[role_reports])
