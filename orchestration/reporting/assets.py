"""The role reports as Dagster assets: one asset per role (``["reports", <role>]``) plus
``["reports", "index"]``, all in one subsettable multi-asset so a run loads the marts
once however many roles it renders."""


import dagster as dg

from orchestration.governance.policy import REPORT_RESOURCE, load_policy
from orchestration.reporting.render import render_reports
from orchestration.reporting.scopes import ON_DEMAND_ROLES, ROLES
from orchestration.resources import LakeResource

# The marts (asset keys ["marts", name]) each role's pages read: those every page scopes
# and titles with, and the resources of the role's template in the role policy, where
# roles are declared once. A page shows nothing of a mart outside its role's template
# (the contexts ask the policy: psych, whole-person aggregates, top students, micro-tests).
COMMON = ("student_identity", "staff_scope", "org_hierarchy", "student_exam", "exam_summary")


def role_marts(role: str) -> tuple[str, ...]:
    """The marts of the role's template (every resource of it but the report pages)."""
    return tuple(r for r in load_policy()["roles"][role]["resources"] if r != REPORT_RESOURCE and r not in COMMON)
DESCRIPTIONS = {
    "student": "学生 student: own scores, z-scores, percentiles, trend, knowledge map, ability radar, activity.",
    "parent": "家长 parent: the own child only, plain language, activity and fitness grade.",
    "teacher": "教师 teacher: each teaching class: distribution, weak points, students needing attention, micro-tests.",
    "head_teacher": "班主任 head teacher: the homeroom across subjects, engagement, fitness summary.",
    "grade_leader": "年级组长 grade leader: the classes of one grade compared.",
    "principal": "校长 principal: the school's published usage row, results against the district, classes, trends.",
    "subject_researcher": "教研员 subject researcher: quality map, common weak points, item analysis of the subject.",
    "district_admin": "区级管理员 district admin: monthly usage publication, quality map, top students, lagging schools.",
    "city_admin": "市级管理员 city admin: districts compared.",
}


def _specs() -> list[dg.AssetSpec]:
    specs = [
        dg.AssetSpec(
            key=["reports", role],
            group_name="reports",
            description=DESCRIPTIONS[role],
            deps=[dg.AssetKey(["marts", m]) for m in COMMON + role_marts(role)],
            kinds={"html"},
            skippable=True,
        )
        for role in ROLES
    ]
    specs.append(
        dg.AssetSpec(
            key=["reports", "index"],
            group_name="reports",
            description="Index pages per role and per organisation (reports/index.html).",
            deps=[dg.AssetKey(["reports", role]) for role in ROLES],
            kinds={"html"},
            skippable=True,
        )
    )
    return specs


@dg.multi_asset(specs=_specs(), can_subset=True, name="role_reports")
def role_reports(context: dg.AssetExecutionContext, lake: LakeResource):
    """Render the selected roles' pages (and the index) from the marts' Parquet."""
    selected = {key.path[-1] for key in context.selected_asset_keys}
    # Only the selected roles: automation may ask for some roles, or for the index alone.
    roles = tuple(r for r in ROLES if r in selected)
    summary = render_reports(lake.root, roles=roles, min_cell=lake.min_cell, top_n=lake.top_n, workers=2,
                             on_demand=ON_DEMAND_ROLES)
    listed = len(summary.pages) - summary.rendered
    context.log.info(f"built {summary.rendered} pages in {summary.seconds:.1f} s ({summary.pages_per_second:.1f} "
                     f"pages/s), {summary.unchanged} of them unchanged (files kept); listed {listed} pages of "
                     f"{', '.join(r for r in ON_DEMAND_ROLES if r in roles)}, rendered on demand by `eduhouse serve`")
    for role in roles:
        yield dg.MaterializeResult(
            asset_key=["reports", role],
            metadata={
                "pages": dg.MetadataValue.int(summary.count(role)),
                "rendered": dg.MetadataValue.text("on demand (eduhouse serve)" if role in ON_DEMAND_ROLES
                                                  else "by this run"),
                "folder": dg.MetadataValue.path(str(summary.index_path.parent / role)),
                "missing_marts": dg.MetadataValue.text(", ".join(summary.missing_marts) or "none"),
            },
        )
    if "index" in selected:
        yield dg.MaterializeResult(
            asset_key=["reports", "index"],
            metadata={
                "index": dg.MetadataValue.path(str(summary.index_path)),
                "pages": dg.MetadataValue.int(len(summary.pages)),
                "pages_rendered": dg.MetadataValue.int(summary.rendered - summary.unchanged),
                "pages_unchanged": dg.MetadataValue.int(summary.unchanged),
                "seconds": dg.MetadataValue.float(round(summary.seconds, 2)),
                "pages_per_second": dg.MetadataValue.float(round(summary.pages_per_second, 1)),
            },
        )
