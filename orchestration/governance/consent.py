"""Whose data needs a consent, and whose has one: the consent rule as SQL over the
restricted ``access_consents`` and ``student_identity`` marts, for the two readers that
apply it to rows, the server (``serve/enforce.py``) and the role pages
(``reporting/data.py``). The decision of *when* consent is needed is the policy's
(``policy.needs_consent``, role_policy.yaml ``consent``); the audit applies the same rule
to the access log in dbt (``int_governance__check_consent_missing``).
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from orchestration.governance.policy import load_policy


def consented_sql(consents: str = "access_consents") -> str:
    """Students with a consent for (purpose, category) valid at a time; parameters:
    purpose, category, the time, the time. A consent for ``all`` categories counts."""
    return (f"select student_key from {consents} where purpose = ? and data_category in (?, 'all') "
            "and covers and covers_from <= ? and (withdrawn_at is null or withdrawn_at > ?)")


def adults_sql(identity: str = "student_identity") -> str:
    """Students at least the policy's consent age on a day (parameter: the day). An
    unknown birth date is an under-14's (the governance probe: a blanked birth date
    served an under-14's psych data without consent)."""
    age = int(load_policy()["consent"]["under_14_age"])
    return f"select student_key from {identity} where birth_date <= ? - interval {age} year"


def withheld_students(con: duckdb.DuckDBPyConnection, consents: str, identity: str, purpose: str,
                      category: str, now: datetime, today: date) -> frozenset[str]:
    """Keys of the students whose ``category`` data a reader who needs consent for an
    under-14 may not see for ``purpose`` at ``now``: the under-14s (on ``today``) with no
    consent valid then. ``consents`` and ``identity``: relations (a table or a
    ``read_parquet``) of the two marts."""
    rows = con.execute(
        f"select student_key from {identity} where student_key not in ({adults_sql(identity)}) "
        f"and student_key not in ({consented_sql(consents)})", [today, purpose, category, now, now]).fetchall()
    return frozenset(r[0] for r in rows)
