"""Landing a simulated tiny district: every injected defect ends up where the truth says."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lake import SOURCES
from orchestration.landing import conservation
from orchestration.landing.deliveries import delivery_id_for
from orchestration.landing.ledger import read_ledger
from orchestration.landing.sources import LANDERS


def test_simulated_dirt_lands_where_expected(lake: Path):
    from eduhouse_dev.simulate.run import simulate

    simulate(lake, scale="tiny", days=3, progress=lambda *a, **k: None)
    for source in SOURCES:
        LANDERS[source](lake, "Asia/Shanghai")
        report = conservation.check(lake, source)
        assert report.passed, (source, report.mismatches, report.orphans)

    con = duckdb.connect()
    dirt = con.execute(f"SELECT * FROM read_parquet('{lake}/simulator/truth/dirt.parquet')").fetchall()
    cols = [d[0] for d in con.description]
    assert dirt, "the simulator injected no dirt"
    quarantined = {
        (r[0], r[1], r[2], r[3]): r[4] for r in con.execute(
            f"SELECT source, delivery_id, file, position, reason FROM read_parquet("
            f"'{lake}/quarantine/*/*.parquet')"
        ).fetchall()
    }
    ledger = {(s, r["delivery_id"]): r["status"] for s in SOURCES for r in read_ledger(lake, s)}
    problems = []
    for row in dirt:
        d = dict(zip(cols, row, strict=True))
        delivery = delivery_id_for(d["delivery_path"])
        key = (d["source"], delivery, d["file"], d["position"])
        if d["expected"] == "quarantined":
            got = quarantined.get(key)
            if got is None and d["position"] is None:  # whole-delivery reject: file may be named
                got = next((v for k, v in quarantined.items()
                            if k[:2] == key[:2] and k[3] is None), None)
            if got != d["expected_reason"]:
                problems.append((d, got))
        elif d["expected"] == "landed":
            table = {"xapi": "statements", "access": "events"}.get(d["source"])
            n = con.execute(
                f"SELECT count(*) FROM read_parquet('{lake}/bronze/{d['source']}/{table}/**/*.parquet', "
                "hive_partitioning=false) WHERE _delivery = ? AND _file = ? AND _position = ?",
                [delivery, d["file"], d["position"]]).fetchall()[0][0]
            if n != 1:
                problems.append((d, f"{n} bronze rows"))
        elif d["expected"] == "duplicate_delivery":
            if ledger.get((d["source"], delivery)) != "duplicate":
                problems.append((d, ledger.get((d["source"], delivery))))
        else:
            problems.append((d, "unknown expectation"))
    assert problems == []
