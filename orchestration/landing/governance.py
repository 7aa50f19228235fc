"""Data-use grants and guardian consents (``inbox/governance/<delivery>/``).

Grants are landed as delivered (the audit, not landing, judges whether a grant is
sound); only values that cannot be typed are rejected. Consents must name a roster
student.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.landing.core import LandContext, LandingSummary, Unreadable, land_source
from orchestration.landing.csv_reader import Col, TableSpec, find_member, land_csv_file
from orchestration.landing.references import load_roster_users, student_reference
from orchestration.settings import DEFAULT_TIMEZONE

SOURCE = "governance"
SCOPE_TYPES = ("self", "child", "class", "grade", "school", "subject", "district", "city",
               "aggregate_only")

GRANTS = TableSpec("grants.csv", "grants", (
    Col("grant_id", required=True, header=True), Col("principal_id", required=True, header=True),
    Col("principal_type", "enum", enum=("user", "app")), Col("role"),
    Col("scope_type", "enum", required=True, header=True, enum=SCOPE_TYPES),
    Col("scope_ids", "list"), Col("resource", required=True, header=True),
    Col("columns", "list"), Col("actions", "list"), Col("purposes", "list"),
    Col("sensitive", "bool"), Col("granted_by"), Col("approved_by"),
    Col("valid_from", "ts"), Col("valid_to", "ts"), Col("revoked_at", "ts")),
    key=("grant_id",))
CONSENTS = TableSpec("consents.csv", "consents", (
    Col("consent_id", required=True, header=True),
    Col("student_sourcedId", required=True, header=True), Col("guardian_sourcedId"),
    Col("purpose"), Col("data_category"), Col("status", "enum"),
    Col("given_at", "ts"), Col("withdrawn_at", "ts")),
    key=("consent_id",),
    rules=student_reference)


def _handle(ctx: LandContext) -> None:
    paths = {spec.file: find_member(ctx.members, spec.file) for spec in (GRANTS, CONSENTS)}
    if not any(paths.values()):
        raise Unreadable("missing_file", "neither grants.csv nor consents.csv is in the delivery")
    for spec in (GRANTS, CONSENTS):
        if paths[spec.file] is not None:
            land_csv_file(ctx, spec, paths[spec.file])


def land_governance(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, SOURCE, timezone, _handle, **landing,
                       prepare=load_roster_users)
