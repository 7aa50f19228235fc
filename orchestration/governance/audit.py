"""The governance audit report: findings by severity and check, trend by month, a
section per check, and the full findings as CSV beside the HTML.

Reads only Parquet (restricted/access_audit_findings.parquet, restricted/entitlements.parquet
and the public marts for the publication checks), never the warehouse. Used by the
Dagster asset ["reports", "governance_audit"] and by `eduhouse audit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.governance.policy import checks
from orchestration.governance.publication import FINDING_COLUMNS, publication_findings
from orchestration.lake import LakePaths
from orchestration.pages.env import make_env
from orchestration.privacy.csv_safe import write_csv
from orchestration.settings import DEFAULT_MIN_CELL, DEFAULT_TIMEZONE

SEVERITIES = ("critical", "high", "medium", "low")
ROWS_PER_SECTION = 200  # the HTML shows the first rows of each check; the CSV has all


@dataclass
class AuditResult:
    html: Path
    csv: Path
    summary: dict


def _read(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    con = duckdb.connect()
    try:
        return con.execute(f"select * from read_parquet('{path}')").df()
    finally:
        con.close()


def load_findings(lake_root: Path, min_cell: int = DEFAULT_MIN_CELL, strict: bool = False) -> tuple[pd.DataFrame, dict]:
    """Access findings (dbt mart export) plus publication findings, and context facts."""
    lake = LakePaths(Path(lake_root))
    access = _read(lake.restricted / "access_audit_findings.parquet")
    pub, downstream = publication_findings(lake.root, min_cell, strict)
    frames = [f for f in (access, pub) if f is not None and len(f)]
    findings = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FINDING_COLUMNS)
    ent = _entitlement_facts(lake.restricted / "entitlements.parquet")
    facts = {
        "audit_date": (str(access["audit_date"].iloc[0])[:10] if access is not None and len(access)
                       and "audit_date" in access else ent["audit_date"]),
        "findings_export_present": access is not None,
        "entitlements": ent["entitlements"],
        "principals": ent["principals"],
        "grants_exceeding_template": ent["grants_exceeding_template"],
        "suppressed_downstream": downstream,
    }
    return findings, facts


def _entitlement_facts(path: Path) -> dict:
    """What the report says of the entitlements: counted in DuckDB, not read whole into
    pandas (a district's 240 k rows with their list columns took a second of every audit)."""
    if not path.exists():
        return {"audit_date": None, "entitlements": 0, "principals": 0, "grants_exceeding_template": 0}
    con = duckdb.connect()
    try:
        date, rows, principals, exceeding = con.execute(
            f"""select cast(first(audit_date) as varchar), count(*), count(distinct principal_id),
                       count(distinct grant_id) filter (where exceeds_template)
                from read_parquet('{path}')""").fetchone()
    finally:
        con.close()
    return {"audit_date": date[:10] if rows else None, "entitlements": rows, "principals": principals,
            "grants_exceeding_template": exceeding}


def summarize(findings: pd.DataFrame, facts: dict) -> dict:
    by_sev = findings.groupby("severity").size().to_dict() if len(findings) else {}
    by_check = findings.groupby("check").size().to_dict() if len(findings) else {}
    return {
        "audit_date": facts.get("audit_date"),
        "findings": len(findings),
        "by_severity": {s: int(by_sev.get(s, 0)) for s in SEVERITIES},
        "by_check": {c: int(by_check.get(c, 0)) for c in checks()},
        "entitlements": facts.get("entitlements", 0),
        "principals": facts.get("principals", 0),
        "grants_exceeding_template": facts.get("grants_exceeding_template", 0),
    }


def _trend(findings: pd.DataFrame, timezone: str) -> list[dict]:
    """Findings per month of the district's calendar (first seen), by severity."""
    if not len(findings):
        return []
    seen = pd.to_datetime(findings["first_seen"], utc=True, errors="coerce")
    month = seen.dt.tz_convert(timezone).dt.strftime("%Y-%m").fillna("unknown")
    table = findings.assign(month=month).pivot_table(index="month", columns="severity", values="check",
                                                     aggfunc="count", fill_value=0)
    rows = []
    peak = max(1, int(table.sum(axis=1).max()))
    for m, r in table.sort_index().iterrows():
        counts = {s: int(r.get(s, 0)) for s in SEVERITIES}
        rows.append({"month": m, "counts": counts, "total": sum(counts.values()),
                     "width": round(100 * sum(counts.values()) / peak)})
    return rows


def _check_texts(t, name: str, meta: dict) -> dict:
    """A check's title and how-to-fix in the catalogue's language: the policy holds them in
    English; another edition's catalogue has `audit.check.<name>.title` / `.fix`."""
    texts = {}
    for field, key in (("title", "title"), ("how_to_fix", "fix")):
        text = t(f"audit.check.{name}.{key}")
        texts[field] = meta[field] if text == f"audit.check.{name}.{key}" else text
    return texts


def _local_times(findings: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """first_seen and last_seen as ISO 8601 text in the district's time zone, with its
    offset: an officer reads the day and hour the district lived (the marts store UTC
    instants, which printed as UTC put an evening's access on the next day's date)."""
    out = findings.copy()
    for column in ("first_seen", "last_seen"):
        if column in out:
            seen = pd.to_datetime(out[column], utc=True, errors="coerce").dt.tz_convert(timezone)
            out[column] = [t.isoformat(sep=" ") if not pd.isna(t) else "" for t in seen]
    return out


def render_report(findings: pd.DataFrame, facts: dict, out_dir: Path,
                  timezone: str = DEFAULT_TIMEZONE, lang: str = "zh") -> AuditResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "access_audit_findings.csv"
    trend = _trend(findings, timezone)
    findings = _local_times(findings, timezone)
    export = findings.reindex(columns=FINDING_COLUMNS).copy()
    export["event_ids"] = [";".join(map(str, x)) if x is not None and len(x) else "" for x in export["event_ids"]]
    write_csv(export, csv_path)  # formula-looking cells neutralised (CSV injection)
    summary = summarize(findings, facts)
    catalogue = checks()
    env = make_env(lang)
    t = env.globals["t"]
    sections = []
    for name, meta in catalogue.items():
        rows = findings[findings["check"] == name]
        sections.append({
            "check": name, "anchor": f"check-{name}", **meta, **_check_texts(t, name, meta), "count": len(rows),
            "rows": [{**r, "event_ids": list(r["event_ids"])[:5] if r["event_ids"] is not None else [],
                      "more_events": max(0, (len(r["event_ids"]) if r["event_ids"] is not None else 0) - 5)}
                     for r in rows.head(ROWS_PER_SECTION).to_dict("records")],
            "truncated": max(0, len(rows) - ROWS_PER_SECTION)})
    html = env.get_template("governance/audit.html").render(
        title=t("audit.title"), subtitle=t("audit.subtitle"),
        role="governance", root="../", generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        as_of=summary["audit_date"], summary=summary, severities=SEVERITIES, sections=sections,
        trend=trend, facts=facts, csv_name=csv_path.name)
    html_path = out_dir / "governance_audit.html"
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(html_path)
    return AuditResult(html_path, csv_path, summary)


def run_audit(lake_root: Path, min_cell: int = DEFAULT_MIN_CELL, strict: bool = False,
              timezone: str = DEFAULT_TIMEZONE, lang: str = "zh") -> AuditResult:
    """Load findings from the Parquet exports, add publication checks, write the report."""
    lake = LakePaths(Path(lake_root))
    findings, facts = load_findings(lake.root, min_cell, strict)
    return render_report(findings, facts, lake.reports / "governance", timezone, lang)
