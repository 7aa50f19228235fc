"""The audit report, the asset and the CLI wiring."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pandas as pd

from orchestration.governance.audit import render_report, summarize
from orchestration.governance.publication import FINDING_COLUMNS


def _findings():
    t = datetime(2021, 10, 5, tzinfo=UTC)
    rows = [
        ["f1", "unauthorised_access", "critical", "tch-1", None, ["e1", "e2"], 2, "no grant cited", t, t, "x", "fix"],
        ["f2", "unused_grant", "low", "tch-2", "g-2", [], 0, "not used", t, t, "y", "fix"],
    ]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def test_report_has_sections_trend_and_csv(tmp_path):
    result = render_report(_findings(), {"audit_date": "2021-10-30", "findings_export_present": True,
                                         "suppressed_downstream": []}, tmp_path)
    html = result.html.read_text(encoding="utf-8")
    for anchor in ("check-unauthorised_access", "check-unused_grant", "check-retention_overdue", "trend"):
        assert f'id="{anchor}"' in html
    assert 'href="access_audit_findings.csv"' in html and "2021-10" in html
    csv = pd.read_csv(result.csv)
    assert list(csv.columns) == FINDING_COLUMNS and csv.loc[0, "event_ids"] == "e1;e2"
    assert result.summary["by_severity"] == {"critical": 1, "high": 0, "medium": 0, "low": 1}


def test_report_in_chinese_and_english_like_the_others(tmp_path):
    """Every label comes from the message catalogue: the Chinese edition (the default) has
    the checks' titles and fixes in Chinese, the English one the policy's own text."""
    from orchestration.governance.policy import checks
    from orchestration.pages.i18n import load_catalogue

    facts = {"audit_date": "2021-10-30", "findings_export_present": False, "suppressed_downstream": ["usage_monthly"]}
    zh = render_report(_findings(), facts, tmp_path / "zh").html.read_text(encoding="utf-8")
    en = render_report(_findings(), facts, tmp_path / "en", lang="en").html.read_text(encoding="utf-8")
    zh_cat, en_cat = load_catalogue("zh"), load_catalogue("en")
    for key in ("audit.title", "audit.by_severity", "audit.by_check", "audit.trend", "audit.missing_export",
                "severity.critical"):
        assert zh_cat[key] in zh and en_cat[key] in en
    for name, meta in checks().items():
        assert zh_cat[f"audit.check.{name}.title"] in zh, name
        assert meta["title"].replace("'", "&#39;") in en, name
    assert "Findings by" not in zh and "数据使用审计" not in en


def test_summary_of_no_findings():
    s = summarize(pd.DataFrame(columns=FINDING_COLUMNS), {})
    assert s["findings"] == 0 and all(v == 0 for v in s["by_check"].values())


def test_cli_registers_audit():
    from orchestration.governance.commands import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["audit", "--lake", "/tmp/x", "--strict-marts"])
    assert args.strict_marts and callable(args.func)


def test_asset_is_defined():
    from orchestration.governance.definitions import defs

    keys = {k.to_user_string() for a in defs.assets for k in a.keys}
    assert "reports/governance_audit" in keys


def test_asset_materializes_on_an_empty_lake(tmp_path):
    import dagster as dg

    from orchestration.governance.assets import governance_audit
    from orchestration.resources import LakeResource

    result = dg.materialize([governance_audit], resources={"lake": LakeResource(root=str(tmp_path))})
    assert result.success
    meta = result.asset_materializations_for_node("reports__governance_audit")[0].metadata
    assert meta["findings"].value == 0
    assert (tmp_path / "reports" / "governance" / "governance_audit.html").exists()


def test_times_are_the_districts_with_their_offset(tmp_path):
    """An access at 20:30 UTC on 2021-10-05 happened at 04:30 on 10-06 in Shanghai: the
    page and the CSV say so, with the offset (they printed the UTC instant's date)."""
    late = datetime(2021, 10, 5, 20, 30, tzinfo=UTC)
    findings = _findings().assign(first_seen=[late, late], last_seen=[late, pd.NaT])
    facts = {"audit_date": "2021-10-30", "findings_export_present": True, "suppressed_downstream": []}
    result = render_report(findings, facts, tmp_path, timezone="Asia/Shanghai")
    csv = pd.read_csv(result.csv, keep_default_na=False)
    assert list(csv["first_seen"]) == ["2021-10-06 04:30:00+08:00"] * 2
    assert list(csv["last_seen"]) == ["2021-10-06 04:30:00+08:00", ""]
    assert "2021-10-06 04:30:00+08:00" in result.html.read_text(encoding="utf-8")
    assert "2021-10-05 20:30" not in result.html.read_text(encoding="utf-8")
