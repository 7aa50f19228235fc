"""governance: the audit report asset (the audit's models are dbt assets of transform)."""

import dagster as dg

from orchestration.governance.assets import governance_audit

defs = dg.Definitions(assets=[governance_audit])
