"""Conservation recounts bronze and quarantine files; it must fail when rows go missing."""

from __future__ import annotations

from orchestration.landing import conservation
from orchestration.landing.deliveries import Delivery, delivery_id_for
from orchestration.landing.xapi import land_xapi


def test_conservation_passes_then_fails_when_a_bronze_file_is_deleted(lake, kit):
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [
        kit.statement(1, timestamp="2021-10-01T02:00:00Z"), kit.statement(2, timestamp="2021-10-02T02:00:00Z"),
        "{bad"])
    land_xapi(lake)
    report = conservation.check(lake, "xapi")
    assert report.passed and (report.records_in, report.landed, report.quarantined) == (3, 2, 1)
    (lake / "bronze/xapi/statements/local_date=2021-10-02/d1.jsonl.parquet").unlink()
    report = conservation.check(lake, "xapi")
    assert not report.passed
    assert report.mismatches == [{"delivery_id": "d1.jsonl", "status": "landed", "records_in": 3,
                                  "landed": 1, "quarantined": 1}]


def test_conservation_flags_unledgered_bronze(lake, kit):
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1)])
    land_xapi(lake)
    (lake / "ledger/xapi/d1.jsonl.parquet").unlink()
    report = conservation.check(lake, "xapi")
    assert report.orphans == ["d1.jsonl"] and not report.passed


def test_delivery_ids_and_hashes(tmp_path):
    assert delivery_id_for("2021-10-01.jsonl.gz") == "2021-10-01.jsonl.gz"
    assert delivery_id_for("roster export (1).zip") == "roster~20export~20~281~29.zip"
    assert delivery_id_for("fitness.CSV") == "fitness.CSV"
    assert delivery_id_for("体测.csv") == "~E4~BD~93~E6~B5~8B.csv"
    # Injective: names that used to collide are different deliveries.
    names = ["X.jsonl", "X.jsonl.gz", "X.JSONL", "day 6.jsonl", "day_6.jsonl", "day~206.jsonl", "X"]
    assert len({delivery_id_for(n) for n in names}) == len(names)
    a = tmp_path / "a"
    a.mkdir()
    (a / "x.csv").write_text("1")
    (a / "y.csv").write_text("2")
    b = tmp_path / "b"
    b.mkdir()
    (b / "y.csv").write_text("2")
    (b / "x.csv").write_text("1")
    assert Delivery("s", "a", a).content_sha256() == Delivery("s", "b", b).content_sha256()
    (b / "x.csv").write_text("3")
    assert Delivery("s", "a", a).content_sha256() != Delivery("s", "b", b).content_sha256()
