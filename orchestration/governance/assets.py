"""The governance audit report as a Dagster asset, ["reports", "governance_audit"].

It reads the Parquet exports (restricted findings and entitlements, the public marts)
after dbt has published them, never the warehouse, and records the summary as metadata.
"""


import dagster as dg

from orchestration.governance.audit import run_audit
from orchestration.resources import LakeResource

PUBLIC_MARTS = ("usage_monthly", "microtest_monthly", "exam_summary", "student_exam", "top_students",
                "student_knowledge", "student_ability", "student_term_profile", "class_term", "school_term",
                "district_term", "quality_map", "item_analysis", "class_weak_points", "class_exam",
                "district_knowledge", "class_engagement", "platform_use_monthly", "school_flags_monthly")
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
