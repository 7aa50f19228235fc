"""Knowledge-point catalogues (``inbox/catalog/<delivery>/knowledge_points.csv``)."""

from __future__ import annotations

from pathlib import Path

from orchestration.landing.core import LandContext, LandingSummary, land_source
from orchestration.landing.csv_reader import Col, TableSpec, find_member, land_csv_file
from orchestration.settings import DEFAULT_TIMEZONE

SOURCE = "catalog"
KNOWLEDGE_POINTS = TableSpec("knowledge_points.csv", "knowledge_points", (
    Col("kp_id", required=True, header=True), Col("subject"), Col("grade"), Col("name"),
    Col("parent_kp_id")), key=("kp_id",))


def _handle(ctx: LandContext) -> None:
    spec = KNOWLEDGE_POINTS
    land_csv_file(ctx, spec, find_member(ctx.members, spec.file), whole_delivery=True)


def land_catalog(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, SOURCE, timezone, _handle, **landing)
