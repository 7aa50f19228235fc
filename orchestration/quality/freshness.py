"""How late each source may be, measured on the landing ledger (``expectations/freshness.yaml``).

Dagster's ``build_last_update_freshness_checks`` measures when an asset was last
materialized; landing materializes on every run whether or not anything arrived, so it
cannot tell a stalled feed. The ledger can: per source,

- ``max_age``: now − the latest delivery's ``finished_at`` (a delivery arrived at all);
- ``max_data_lag`` (time-based sources): the lake's latest local date over all
  time-based sources − this source's latest local date (logs stopped while others go on).

Both are read from ``<lake>/ledger/<source>/*.parquet`` with DuckDB; a source with no
delivery yet is stale. Durations read ``36h``, ``2d``, ``400d``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

from orchestration.lake import TIME_BASED_SOURCES, LakePaths
from orchestration.quality.suites import SEVERITIES
from orchestration.quality.validate import Outcome
from orchestration.settings import EXPECTATIONS_DIR

FRESHNESS_FILE = EXPECTATIONS_DIR / "freshness.yaml"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")


def parse_duration(text: str | int) -> timedelta:
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"duration {text!r}: write e.g. 36h or 2d")
    n = float(m.group(1))
    return timedelta(hours=n) if m.group(2) == "h" else timedelta(days=n)


@dataclass(frozen=True)
class FreshnessRule:
    source: str
    max_age: timedelta
    max_data_lag: timedelta | None
    severity: str


def load_rules(path: Path = FRESHNESS_FILE) -> list[FreshnessRule]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    default = raw.get("severity", "warn")
    rules = []
    for source, spec in (raw.get("sources") or {}).items():
        severity = (spec.get("severity") or default).lower()
        if severity not in SEVERITIES:
            raise ValueError(f"{path}: {source}: severity must be one of {SEVERITIES}")
        lag = spec.get("max_data_lag")
        rules.append(FreshnessRule(source, parse_duration(spec["max_age"]),
                                   parse_duration(lag) if lag else None, severity))
    return rules


def _ledger_facts(con, lake: Path, source: str) -> tuple[datetime | None, date | None]:
    files = sorted(str(p) for p in (LakePaths(Path(lake)).ledger / source).glob("*.parquet"))
    if not files:
        return None, None
    row = con.execute(
        """SELECT max(finished_at) FILTER (WHERE status IN ('landed', 'duplicate')),
                  max(TRY_CAST(d AS DATE))
           FROM (SELECT finished_at, status, unnest(CASE WHEN status = 'landed'
                        THEN coalesce(local_dates, []) ELSE [] END || [NULL]) AS d
                 FROM read_parquet(?, union_by_name = true))""",
        [files],
    ).fetchone()
    return row[0], row[1]


def evaluate(lake: Path, rules: list[FreshnessRule], now: datetime | None = None) -> dict[str, list[Outcome]]:
    """source → its freshness outcomes (an outcome per measure)."""
    now = now or datetime.now(UTC)
    con = duckdb.connect()
    facts = {s: _ledger_facts(con, lake, s) for s in {r.source for r in rules} | set(TIME_BASED_SOURCES)}
    con.close()
    lake_day = max((d for s, (_, d) in facts.items() if s in TIME_BASED_SOURCES and d), default=None)
    out: dict[str, list[Outcome]] = {}
    for rule in rules:
        finished, latest_day = facts[rule.source]
        outcomes = []
        age = (now - finished) if finished else None
        outcomes.append(Outcome(
            expectation="latest_delivery_within_max_age", column=None,
            kwargs=f'{{"max_age_hours": {rule.max_age.total_seconds() / 3600:g}}}',
            severity=rule.severity,
            success=age is not None and age <= rule.max_age,
            observed=(f"latest delivery finished {finished:%Y-%m-%d %H:%M} UTC, "
                      f"{age.total_seconds() / 3600:.1f} h ago") if finished else "no delivery landed yet",
        ))
        if rule.max_data_lag is not None:
            lag = (lake_day - latest_day) if latest_day and lake_day else None
            outcomes.append(Outcome(
                expectation="latest_local_date_within_max_data_lag", column=None,
                kwargs=f'{{"max_data_lag_days": {rule.max_data_lag.total_seconds() / 86400:g}}}',
                severity=rule.severity,
                success=lag is not None and lag <= rule.max_data_lag,
                observed=(f"latest local date {latest_day}, lake's latest {lake_day}, {lag.days} d behind"
                          if lag is not None else "no local dates landed yet"),
            ))
        out[rule.source] = outcomes
    return out
