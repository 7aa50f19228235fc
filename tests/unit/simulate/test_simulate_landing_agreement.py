"""The truth manifest agrees with what landing really does to the simulated deliveries.

Marked e2e: landing every tiny delivery takes tens of seconds on a busy machine.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.landing.catalog import land_catalog
from orchestration.landing.exams import land_exams
from orchestration.landing.oneroster import land_roster
from orchestration.landing.surveys import land_fitness, land_psych
from orchestration.landing.xapi import land_xapi

LANDERS = {"roster": land_roster, "catalog": land_catalog, "xapi": land_xapi,
           "exams": land_exams, "fitness": land_fitness, "psych": land_psych}


def _delivery_id(path: str) -> str:
    """The delivery id, computed here independently of landing: the whole entry name,
    every byte outside [A-Za-z0-9._-] written ~XX."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "".join(f"~{b:02X}" for b in c.encode())
                   for c in path)


@pytest.mark.e2e
def test_landing_quarantines_exactly_the_injected_dirt(tmp_path):
    landers = LANDERS
    lake = tmp_path / "lake"
    simulate(lake, scale="tiny", seed=5, start=date(2021, 10, 1), days=4, dirt_rate=0.01,
             progress=lambda _m: None, governance=False)
    for land in landers.values():
        land(lake)
    con = duckdb.connect()
    truth = con.execute(f"SELECT * FROM read_parquet('{lake}/simulator/truth/dirt.parquet')").fetchall()
    quarantine = con.execute(
        f"SELECT source, delivery_id, file, position, reason FROM "
        f"read_parquet('{lake}/quarantine/*/*.parquet', union_by_name=true) WHERE position IS NOT NULL"
    ).fetchall()
    ledger = {(r[0], r[1]): (r[2], r[3] or "") for r in con.execute(
        f"SELECT source, delivery_id, status, reason FROM read_parquet('{lake}/ledger/*/*.parquet', "
        f"union_by_name=true)").fetchall()}

    expected_rows = set()
    for source, path, file, position, _kind, expected, reason in truth:
        did = _delivery_id(path)
        if expected == "duplicate_delivery":
            assert ledger[(source, did)][0] == "duplicate", (source, path)
        elif position is None:
            assert ledger[(source, did)][0] == "unreadable" and ledger[(source, did)][1].startswith(reason)
        elif expected == "quarantined":
            expected_rows.add((source, did, file, position, reason))
    assert set(quarantine) == expected_rows
    late = [(_delivery_id(t[1]), t[3]) for t in truth if t[4] == "late_arrival"]
    if late:
        landed = set(con.execute(
            f"SELECT _delivery, _position FROM read_parquet('{lake}/bronze/xapi/statements/*/*.parquet', "
            f"hive_partitioning=false)").fetchall())
        assert set(late) <= landed
