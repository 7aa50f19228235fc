"""xAPI deliveries landed two at a time, each on its own connection.

Side by side must give exactly what landing one delivery after the other gives (bronze
rows, quarantine rows, ledger rows), skip work for resends, leave no table behind, and
stop cleanly when a delivery fails.
"""

from __future__ import annotations

import gzip
import json
import threading
import zipfile
from datetime import UTC, datetime

import duckdb
import pytest

from orchestration.landing import quarantine, xapi
from orchestration.landing.core import EngineOptions, LandContext
from orchestration.landing.deliveries import Delivery

TZ = "Asia/Shanghai"


def _inbox(lake, kit) -> None:
    inbox = lake / "inbox/xapi"
    s = kit.statement
    kit.write_lines(inbox / "2021-10-01.jsonl", [s(1), s(2), "{bad", s(1), s(3, timestamp="2021-09-30T15:00:00Z")])
    (inbox / "2021-10-01_resend.jsonl").write_bytes((inbox / "2021-10-01.jsonl").read_bytes())
    (inbox / "2021-10-02.jsonl.gz").write_bytes(gzip.compress(
        "\n".join(json.dumps(s(n, actor={"objectType": "Agent", "account": {"homePage": kit.HOME, "name": "x"}})
                             if n == 12 else s(n)) for n in range(10, 20)).encode(), mtime=0))
    blob = gzip.compress("\n".join(json.dumps(s(n)) for n in range(30, 80)).encode(), mtime=0)
    (inbox / "2021-10-03.jsonl.gz").write_bytes(blob[: len(blob) // 2])  # truncated
    with zipfile.ZipFile(inbox / "2021-10-04.zip", "w") as zf:
        zf.writestr("2021-10-04.jsonl", "\n".join(json.dumps(s(n)) for n in range(40, 45)))
    kit.write_lines(inbox / "2021-10-05.jsonl", [s(50), s(51, id="nope")])


def _outcome(lake) -> tuple:
    con = duckdb.connect()
    bronze = con.execute(
        f"SELECT * EXCLUDE (_landed_at) FROM read_parquet('{lake}/bronze/xapi/statements/*/*.parquet', "
        "hive_partitioning=false) ORDER BY _delivery, _position").fetchall()
    quarantine = con.execute(
        f"SELECT * EXCLUDE (quarantined_at) REPLACE (replace(detail, '{lake}', '') AS detail) "
        f"FROM read_parquet('{lake}/quarantine/xapi/*.parquet') "
        "ORDER BY delivery_id, position").fetchall()
    ledger = con.execute(
        f"SELECT * EXCLUDE (started_at, finished_at) REPLACE (replace(reason, '{lake}', '') AS reason) "
        f"FROM read_parquet('{lake}/ledger/xapi/*.parquet') "
        "ORDER BY delivery_id").fetchall()
    return bronze, quarantine, ledger


def test_side_by_side_lands_exactly_what_one_at_a_time_lands(tmp_path, kit):
    outcomes = []
    for threads in (1, 2):  # one thread: one delivery after the other
        lake = tmp_path / f"lake{threads}"
        kit.roster_users(lake)
        _inbox(lake, kit)
        summary = xapi.land_xapi(lake, TZ, options=EngineOptions(threads=threads))
        assert {d.delivery_id: d.status for d in summary.deliveries} == {
            "2021-10-01.jsonl": "landed", "2021-10-01_resend.jsonl": "duplicate", "2021-10-02.jsonl.gz": "landed",
            "2021-10-03.jsonl.gz": "unreadable", "2021-10-04.zip": "landed", "2021-10-05.jsonl": "landed"}
        assert summary.records_in == summary.landed + summary.quarantined == 5 + 10 + 1 + 5 + 2
        outcomes.append(_outcome(lake))
    assert outcomes[0] == outcomes[1]
    bronze, quarantine, _ = outcomes[1]
    assert len(bronze) == 18
    assert [(q[1], q[3], q[5]) for q in quarantine] == [
        ("2021-10-01.jsonl", 3, "malformed_json"), ("2021-10-01.jsonl", 4, "duplicate_id"),
        ("2021-10-02.jsonl.gz", 3, "unknown_reference"), ("2021-10-03.jsonl.gz", None, "truncated_gzip"),
        ("2021-10-05.jsonl", 2, "invalid_uuid")]


def test_resends_are_not_read_and_no_table_is_left(lake, kit, monkeypatch):
    kit.roster_users(lake)
    _inbox(lake, kit)
    read, cons = [], []
    real_read = xapi._read

    def spy(con, name, path):
        read.append(name)
        cons.append(con)
        real_read(con, name, path)

    monkeypatch.setattr(xapi, "_read", spy)
    xapi.land_xapi(lake, TZ, options=EngineOptions(threads=2))
    # every delivery read once (the zip's member by its name); the resend never
    assert sorted(read) == ["2021-10-01.jsonl", "2021-10-02.jsonl.gz", "2021-10-03.jsonl.gz",
                            "2021-10-04.jsonl", "2021-10-05.jsonl"]
    assert len({id(c) for c in cons}) == 2  # two connections, each reused


def test_each_delivery_drops_what_it_built(lake, kit):
    kit.roster_users(lake)
    _inbox(lake, kit)
    con = duckdb.connect()
    xapi._prepare(con, lake)
    before = set(con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                             "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall())
    for delivery in ("2021-10-01.jsonl", "2021-10-05.jsonl"):
        ctx = LandContext(con, lake, "xapi", Delivery("xapi", delivery, lake / "inbox/xapi" / delivery), TZ,
                          datetime.now(UTC), {delivery: lake / "inbox/xapi" / delivery})
        quarantine.create(con)
        xapi._handle(ctx)
    after = set(con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                            "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall())
    assert after - before == {("_quarantine",)}


def test_a_failing_delivery_stops_the_others_cleanly(lake, kit, monkeypatch):
    kit.roster_users(lake)
    _inbox(lake, kit)
    real_handle = xapi._handle

    def handle(ctx):
        if ctx.delivery_id == "2021-10-02.jsonl.gz":
            raise RuntimeError("bug while landing")
        real_handle(ctx)

    monkeypatch.setattr(xapi, "_handle", handle)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="bug while landing"):
        xapi.land_xapi(lake, TZ, options=EngineOptions(threads=2))
    assert threading.active_count() == before
    ledgered = set(kit.ledger(lake, "xapi"))
    # the failing delivery stays pending, and so does the resend of 10-01, which waits
    # for the whole first batch; the others may have finished beside it
    assert "2021-10-01.jsonl" in ledgered
    assert not ledgered & {"2021-10-02.jsonl.gz", "2021-10-01_resend.jsonl"}
