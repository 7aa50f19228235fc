"""Turning an ordered list of validation rules into SQL: the first failing rule wins.

A rule is (condition that means "broken", reason code, detail expression). The rules
become one ``CASE`` giving a rule number, from which the reason and the detail follow,
so every record is judged in one set-based pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.landing.writer import sql_str

UUID_RE = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
# An absolute IRI: a scheme, a colon, then no whitespace or characters IRIs forbid.
IRI_RE = r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>"{}|\\^`]+$'
# ISO 8601 date-time with a UTC offset (xAPI timestamps, access event_time). Seconds and
# their fraction are optional: ISO 8601 allows hh:mm, and an LRS may export it.
TS_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Rule:
    broken: str  # SQL boolean: TRUE when the record breaks the rule
    reason: str
    detail: str  # SQL VARCHAR expression explaining it


def rule_index_sql(rules: list[Rule]) -> str:
    whens = " ".join(f"WHEN coalesce({r.broken}, false) THEN {i}" for i, r in enumerate(rules, 1))
    return f"CASE {whens} ELSE 0 END"


def reason_sql(index_col: str, rules: list[Rule]) -> str:
    reasons = ", ".join(sql_str(r.reason) for r in rules)
    return f"CASE WHEN {index_col} > 0 THEN [{reasons}][{index_col}] END"


def detail_sql(index_col: str, rules: list[Rule]) -> str:
    whens = " ".join(f"WHEN {i} THEN left({r.detail}, 500)" for i, r in enumerate(rules, 1))
    return f"CASE {index_col} {whens} END"


def show(expr: str) -> str:
    """A value quoted for a detail message (NULL shows as 'null')."""
    return f"coalesce('\"' || left(({expr})::VARCHAR, 80) || '\"', 'null')"
