"""The role policy (role_policy.yaml) as Python: default-deny decisions and dbt seeds.

One reviewable YAML file is the source of truth. The report toolkit asks `allows()`
before showing a resource (e.g. psych data) to a role; the audit reads the same policy
as dbt seeds written by `write_seeds()` (a unit test keeps the committed seeds in step).
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

import yaml

from orchestration.privacy.csv_safe import safe_cell
from orchestration.settings import DBT_PROJECT_DIR

POLICY_PATH = Path(__file__).with_name("role_policy.yaml")
SEEDS_DIR = DBT_PROJECT_DIR / "seeds" / "governance"
REPORT_RESOURCE = "role_report"


@lru_cache(maxsize=4)
def load_policy(path: str | Path = POLICY_PATH) -> dict:
    """The parsed policy; cached because reports ask for every section they render."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# Roles are declared once, in the policy: every role with a template, and the report
# roles (those whose template opens a report page), in the policy's order.
ROLES = tuple(load_policy()["roles"])
REPORT_ROLES = tuple(r for r, t in load_policy()["roles"].items() if REPORT_RESOURCE in t["resources"])


def allows(role: str, resource: str, purpose: str) -> bool:
    """Whether the role's template lets it read `resource` for `purpose` (default deny)."""
    template = load_policy()["roles"].get(role)
    if not template:
        return False
    category = load_policy()["resources"].get(resource, {}).get("category")
    return resource in template.get("resources", ()) and purpose in template.get("purposes", ()) \
        and purpose_fits(category, purpose)


def purpose_fits(category: str | None, purpose: str, policy: dict | None = None) -> bool:
    """Whether data of ``category`` may be read for ``purpose`` at all (the policy's
    ``category_purposes``; a category it does not list serves every purpose)."""
    allowed = (policy or load_policy()).get("category_purposes", {}).get(category)
    return allowed is None or purpose in allowed


def role_template(role: str) -> dict | None:
    return load_policy()["roles"].get(role)


def report_purpose(role: str) -> str:
    """The purpose the role's report page serves (its template's `report_purpose`)."""
    return load_policy()["roles"][role]["report_purpose"]


def page_sensitive_categories(role: str) -> tuple[str, ...]:
    """The sensitive categories the role's report page shows: those of the resources its
    template lets it read for its report purpose (a head teacher's page: the homeroom's
    fitness and psych). Such a page opens only under a grant marked sensitive, as the
    marts it shows do."""
    template = role_template(role) or {}
    policy = load_policy()
    purpose = template.get("report_purpose")
    sensitive = set(policy["sensitive_classifications"])
    found = {policy["resources"].get(r, {}).get("category") for r in template.get("resources", ())
             if purpose and allows(role, r, purpose)}
    return tuple(sorted(found & sensitive))


def needs_consent(role: str, purpose: str, category: str, under_14: bool) -> bool:
    """Whether a student-level use needs consent: research always; an under-14's
    sensitive data unless own teachers teach or a guardian reads their own child."""
    rules = load_policy()["consent"]
    if purpose in rules["required_purposes"]:
        return True
    if under_14 and category in rules["under_14_categories"]:
        return not any(e["role"] == role and e["purpose"] == purpose for e in rules["exempt"])
    return False


def checks() -> dict[str, dict]:
    """Check code -> {severity, title, how_to_fix}."""
    return load_policy()["checks"]


def seed_tables(policy: dict | None = None) -> dict[str, list[dict]]:
    """The policy flattened into the rows of the governance dbt seeds (lists `;`-joined)."""
    p = policy or load_policy()
    join = ";".join
    templates = [{
        "role": role, "scope_types": join(t["scope_types"]), "resources": join(t["resources"]),
        "actions": join(t["actions"]), "purposes": join(t["purposes"]),
        "sensitive": str(bool(t.get("sensitive"))).lower(), "columns": join(t.get("columns", ["*"])),
    } for role, t in p["roles"].items()]
    resources = [{"resource": r, "category": v["category"],
                  "student_level": str(bool(v["student_level"])).lower()}
                 for r, v in p["resources"].items()]
    c = p["consent"]
    consent = ([{"rule": "required_purpose", "role": "", "purpose": x, "category": "", "value": ""}
                for x in c["required_purposes"]]
               + [{"rule": "under_14_category", "role": "", "purpose": "", "category": x,
                   "value": str(c["under_14_age"])} for x in c["under_14_categories"]]
               + [{"rule": "exempt", "role": e["role"], "purpose": e["purpose"], "category": "", "value": ""}
                  for e in c["exempt"]])
    settings = ([{"name": f"retention_days.{k}", "value": str(v)} for k, v in p["retention_days"].items()]
                + [{"name": k, "value": str(v)} for k, v in p["thresholds"].items()]
                + [{"name": "sensitive_classification", "value": x} for x in p["sensitive_classifications"]])
    category_purposes = [{"category": c, "purpose": x}
                         for c, purposes in p.get("category_purposes", {}).items() for x in purposes]
    check_rows = [{"check_name": k, "severity": v["severity"], "title": v["title"],
                   "how_to_fix": v["how_to_fix"]} for k, v in p["checks"].items()]
    return {
        "governance_role_templates": templates,
        "governance_resources": resources,
        "governance_consent_rules": consent,
        "governance_category_purposes": category_purposes,
        "governance_settings": settings,
        "governance_checks": check_rows,
    }


def seed_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()


def write_seeds(folder: Path = SEEDS_DIR) -> list[Path]:
    """Regenerate the governance seeds from the YAML (run after editing the policy)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in seed_tables().items():
        path = folder / f"{name}.csv"
        path.write_text(seed_csv(rows), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_seeds():
        print(path)
