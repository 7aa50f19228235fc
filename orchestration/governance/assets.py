"""The governance audit report as a Dagster asset, ["reports", "governance_audit"].

It reads the Parquet exports (restricted findings and entitlements, the public marts)
after dbt has published them, never the warehouse, and records the summary as metadata.
"""


import json

import dagster as dg

from orchestration.governance.audit import run_audit
from orchestration.resources import LakeResource
from orchestration.transform.project import ensure_manifest


def _public_marts() -> tuple[str, ...]:
    """Every model the dbt contracts declare public (meta.exposure): the audit's
    publication checks read them all, so a new public mart is audited with no list to
    keep in step."""
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    return tuple(sorted(n["name"] for n in manifest["nodes"].values()
                        if n["resource_type"] == "model" and (n["config"].get("meta") or {}).get("exposure") == "public"))


PUBLIC_MARTS = _public_marts()
AUDIT_MARTS = ("access_audit_findings", "entitlements", "column_classification")


@dg.asset(
    key=["reports", "governance_audit"],
    group_name="reports",
    description="Governance audit (HTML + findings CSV): who may see which data for what purpose, "
                "and every access, grant, log, retention and publication finding.",
    deps=[dg.AssetKey(["marts", m]) for m in AUDIT_MARTS + PUBLIC_MARTS],
    kinds={"html"},
)
def governance_audit(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    result = run_audit(lake.paths.root, min_cell=lake.min_cell, timezone=lake.timezone)
    s = result.summary
    context.log.info(f"governance audit: {s['findings']} finding(s) {s['by_severity']}")
    return dg.MaterializeResult(metadata={
        "audit_date": s["audit_date"] or "",
        "findings": s["findings"],
        **{f"severity_{k}": v for k, v in s["by_severity"].items()},
        "by_check": dg.MetadataValue.json(s["by_check"]),
        "entitlements": s["entitlements"],
        "grants_exceeding_template": s["grants_exceeding_template"],
        "report": dg.MetadataValue.path(str(result.html)),
        "findings_csv": dg.MetadataValue.path(str(result.csv)),
    })
