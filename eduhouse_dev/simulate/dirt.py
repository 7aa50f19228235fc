"""Known defects injected into deliveries, each recorded with what landing must do with it.

Every defect breaks exactly one rule, so its expected quarantine reason is unambiguous.
Line-level defects are applied to the few chosen lines only (Python per dirty line is
fine: at the default rate that is 0.2 % of records).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

# xAPI line defects -> quarantine reason code (docs/interfaces.md)
XAPI_LINE_DEFECTS = {
    "malformed_json": "malformed_json",
    "missing_required": "missing_required",
    "invalid_uuid": "invalid_uuid",
    "invalid_iri": "invalid_iri",
    "invalid_timestamp": "invalid_timestamp",
    "score_out_of_range": "score_out_of_range",
    "unknown_reference": "unknown_reference",
    "duplicate_id": "duplicate_id",
}

_ID = re.compile(r'^\{"id":"([0-9a-f-]{36})"')
_ACTOR = re.compile(r'"actor":\{"objectType":"Agent","account":\{[^}]*\}\},')
_NAME = re.compile(r'("account":\{"homePage":"[^"]*","name":")([^"]*)(")')
_VERB = re.compile(r'("verb":\{"id":")([^"]*)(")')
_TS = re.compile(r'("timestamp":")(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})(")')
_SCORE = re.compile(r'"raw":(\d+),"min":0,"max":(\d+)')


def corrupt_xapi(line: str, kind: str, rng: np.random.Generator) -> str:
    """The line with exactly one defect of `kind` (never applied to duplicate_id)."""
    if kind == "malformed_json":
        cut = int(rng.integers(len(line) // 3, 2 * len(line) // 3))
        return line[:cut]
    if kind == "missing_required":
        return _ACTOR.sub("", line, count=1)
    if kind == "invalid_uuid":
        return _ID.sub(lambda m: '{"id":"' + m.group(1)[:-4] + "zzzz" + '"', line, count=1)
    if kind == "invalid_iri":
        return _VERB.sub(lambda m: m.group(1) + m.group(2).rsplit("/", 1)[-1] + " it" + m.group(3), line,
                         count=1)
    if kind == "invalid_timestamp":
        if rng.random() < 0.5:
            return _TS.sub(lambda m: f"{m[1]}{m[2]}/{m[3]}/{m[4]} {m[5]}:{m[6]}{m[10]}", line, count=1)
        return _TS.sub(lambda m: f"{m[1]}{m[2]}-{m[3]}-{m[4]}T{m[5]}:{m[6]}:{m[7]}{m[10]}", line, count=1)
    if kind == "score_out_of_range":
        if '"scaled":' in line and rng.random() < 0.5:
            return re.sub(r'"scaled":[-0-9.e]+', '"scaled":1.5', line, count=1)
        return _SCORE.sub(lambda m: f'"raw":{int(m[2]) + 3},"min":0,"max":{m[2]}', line, count=1)
    if kind == "unknown_reference":
        return _NAME.sub(lambda m: m[1] + f"stu-9{int(rng.integers(0, 10**6)):06d}" + m[3], line, count=1)
    raise ValueError(kind)


@dataclass
class DirtLog:
    """Truth rows for simulator/truth/dirt.parquet."""

    rows: list[dict] = field(default_factory=list)

    def add(self, source: str, delivery_path: str, file: str | None, position: int | None, kind: str,
            expected: str, reason: str | None) -> None:
        self.rows.append({"source": source, "delivery_path": delivery_path, "file": file,
                          "position": position, "kind": kind, "expected": expected,
                          "expected_reason": reason})

    def counts(self, source: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            if r["source"] == source:
                out[r["kind"]] = out.get(r["kind"], 0) + 1
        return dict(sorted(out.items()))


def pick_dirty(rng: np.random.Generator, n_rows: int, rate: float, kinds: list[str],
               ensure_each: bool) -> dict[int, str]:
    """Choose row indexes and a defect kind for each (at least one of each kind if asked)."""
    if rate <= 0 or n_rows == 0 or not kinds:
        return {}
    n = int(rng.binomial(n_rows, min(rate, 1.0)))
    if ensure_each:
        n = max(n, len(kinds))
    n = min(n, n_rows)
    rows = rng.choice(n_rows, size=n, replace=False)
    order = np.arange(n) if ensure_each else rng.integers(0, len(kinds), n)
    return {int(r): kinds[int(k) % len(kinds)] for r, k in zip(rows, order, strict=True)}
