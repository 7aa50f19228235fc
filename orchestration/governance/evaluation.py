"""Audit findings against the simulator's ground truth: recall and precision per check.

A finding and an injected case match on (check, principal_id, grant_id); several cases
with the same key are one finding (the audit groups events per principal and grant).
A matched key must also cover every injected event id. Checks the simulator cannot
inject (the publication checks over published marts) are left out of precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SIMULATED_CHECKS = (
    "unauthorised_access", "out_of_scope_subject", "expired_or_revoked_grant", "stale_grant",
    "sensitive_without_grant", "purpose_not_allowed", "purpose_not_granted", "consent_missing", "self_granted",
    "bulk_export", "unused_grant", "over_broad_grant", "repeated_denials", "log_sequence_gap", "log_missing_fields",
    "log_duplicate_event", "retention_overdue",
)


@dataclass
class Score:
    recall: float
    precision: float
    missed: list[tuple] = field(default_factory=list)
    unexpected: list[tuple] = field(default_factory=list)
    events_missed: list[tuple] = field(default_factory=list)
    by_check: dict[str, dict] = field(default_factory=dict)


def _keyed(df: pd.DataFrame) -> dict[tuple, set[str]]:
    out: dict[tuple, set[str]] = {}
    for row in df.itertuples(index=False):  # findings and truth are small (one per case)
        key = (row.check, row.principal_id or None, row.grant_id or None)
        ids = row.event_ids if row.event_ids is not None else []
        out.setdefault(key, set()).update(str(x) for x in ids)
    return out


def compare(findings: pd.DataFrame, truth: pd.DataFrame, checks=SIMULATED_CHECKS) -> Score:
    """Score `findings` (access_audit_findings rows) against `truth` (simulator rows)."""
    findings = findings[findings["check"].isin(checks)]
    truth = truth[truth["check"].isin(checks)]
    found, expected = _keyed(findings), _keyed(truth)
    hit = [k for k in expected if k in found]
    missed = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    events_missed = [(k, sorted(expected[k] - found[k])) for k in hit if expected[k] - found[k]]
    by_check = {}
    for c in checks:
        e = [k for k in expected if k[0] == c]
        f = [k for k in found if k[0] == c]
        by_check[c] = {"injected": len(e), "found": len(f), "matched": len([k for k in e if k in found])}
    recall = (len(hit) - len(events_missed)) / len(expected) if expected else 1.0
    precision = len([k for k in found if k in expected]) / len(found) if found else 1.0
    return Score(recall, precision, missed, unexpected, events_missed, by_check)
