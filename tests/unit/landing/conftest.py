"""Hand-written delivery fixtures for the landing tests (tiny, written per test)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

HOME = "https://slp.example.edu.cn"
GOOD = {
    "id": "6f1c1a38-9d5a-4b9e-8f55-2b6a3c1d0e01",
    "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": "stu-1"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
    "object": {"id": f"{HOME}/items/1", "objectType": "Activity",
               "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"}},
    "result": {"success": True, "score": {"raw": 3, "min": 0, "max": 5}},
    "context": {"contextActivities": {"parent": [{"id": f"{HOME}/microtests/9"}]},
                "extensions": {f"{HOME}/extensions/knowledge-points": ["kp-1", "kp-2"]}},
    "timestamp": "2021-10-01T02:00:00Z",
    "version": "1.0.3",
}


def statement(n: int = 1, **changes) -> dict:
    """A valid statement with a distinct id; ``changes`` replace top-level properties
    (value None deletes the property)."""
    s = copy.deepcopy(GOOD)
    s["id"] = f"6f1c1a38-9d5a-4b9e-8f55-{n:012d}"
    for k, v in changes.items():
        if v is None:
            s.pop(k, None)
        else:
            s[k] = v
    return s


def write_lines(path: Path, lines: list, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = newline.join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    path.write_bytes((text + newline).encode())
    return path


def roster_users(lake: Path, ids=("stu-1", "stu-2", "tch-1")) -> None:
    """Pretend a roster has landed: a bronze users file with these sourcedIds, students
    those whose id starts with ``stu``, teachers the rest."""
    target = lake / "bronze" / "roster" / "users"
    target.mkdir(parents=True, exist_ok=True)
    values = ", ".join(f"('{i}', '{'student' if i.startswith('stu') else 'teacher'}')" for i in ids)
    duckdb.sql(f"COPY (SELECT * FROM (VALUES {values}) t(sourcedId, role)) TO '{target / 'fixture.parquet'}'")


def rows(sql: str, *params) -> list[tuple]:
    return duckdb.connect().execute(sql, list(params)).fetchall()


def quarantine(lake: Path, source: str) -> list[tuple]:
    """(delivery_id, file, position, reason) of every quarantined record."""
    glob = lake / "quarantine" / source / "*.parquet"
    if not list(glob.parent.glob("*.parquet")):
        return []
    return rows(f"SELECT delivery_id, file, position, reason FROM read_parquet('{glob}') "
                "ORDER BY delivery_id, file, position")


def bronze(lake: Path, source: str, table: str, columns: str = "*") -> list[tuple]:
    folder = lake / "bronze" / source / table
    files = list(folder.rglob("*.parquet"))
    if not files:
        return []
    return rows(f"SELECT {columns} FROM read_parquet('{folder}/**/*.parquet', hive_partitioning=false, "
                "union_by_name=true) ORDER BY ALL")


def ledger(lake: Path, source: str) -> dict[str, dict]:
    from orchestration.landing.ledger import read_ledger

    return {r["delivery_id"]: r for r in read_ledger(lake, source)}


@pytest.fixture
def kit():
    return SimpleNamespace(statement=statement, write_lines=write_lines, roster_users=roster_users,
                           rows=rows, quarantine=quarantine, bronze=bronze, ledger=ledger, HOME=HOME)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"
