"""What the API can serve: the marts the role policy names as resources, described by
their dbt contracts (columns, types, classifications, grain) and found where dbt
published them (``marts/`` or ``restricted/``), with the time they were last built.

The contract is the catalogue: a name or a column the contract does not hold is refused
before any SQL is written, so a request can only ever name real, quoted identifiers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.governance.policy import load_policy
from orchestration.lake import LakePaths
from orchestration.transform.project import ensure_manifest

# Columns that tie a row to an organisation, most specific first (row scoping).
ORG_COLUMNS = ("class_sourced_id", "homeroom_class_sourced_id", "school_sourced_id", "org_sourced_id",
               "district_sourced_id")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    classification: str
    description: str


@dataclass(frozen=True)
class Mart:
    name: str
    description: str
    exposure: str  # public or restricted
    category: str  # the policy's data category of the resource
    student_level: bool
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    path: Path

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def built_at(self) -> str | None:
        try:
            return datetime.fromtimestamp(self.path.stat().st_mtime, UTC).isoformat()
        except FileNotFoundError:
            return None

    def describe(self) -> dict:
        return {"name": self.name, "description": self.description, "exposure": self.exposure,
                "category": self.category, "student_level": self.student_level, "grain": list(self.grain),
                "last_built": self.built_at(),
                "columns": [{"name": c.name, "type": c.data_type, "classification": c.classification,
                             "description": c.description} for c in self.columns]}


def load_catalog(lake: Path) -> dict[str, Mart]:
    """Every mart the policy lists as a resource, from the dbt manifest's contracts."""
    paths = LakePaths(Path(lake))
    resources = load_policy()["resources"]
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    marts: dict[str, Mart] = {}
    for node in manifest["nodes"].values():
        name = node["name"]
        if node["resource_type"] != "model" or name not in resources:
            continue
        meta = node["config"].get("meta") or {}
        exposure = meta.get("exposure", "public")
        folder = paths.restricted if exposure == "restricted" else paths.marts
        columns = tuple(
            Column(c["name"], str(c.get("data_type") or ""), (c.get("meta") or {}).get("classification", "attribute"),
                   " ".join(str(c.get("description") or "").split()))
            for c in node["columns"].values()
        )
        marts[name] = Mart(
            name=name, description=" ".join(str(node.get("description") or "").split()), exposure=exposure,
            category=resources[name]["category"], student_level=bool(resources[name]["student_level"]),
            grain=tuple(meta.get("grain") or ()), columns=columns, path=folder / f"{name}.parquet",
        )
    return marts
