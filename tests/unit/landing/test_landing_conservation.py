"""Conservation recounts bronze and quarantine files; it must fail when rows go missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestration.automation.retention import apply_retention
from orchestration.landing import conservation
from orchestration.landing.deliveries import Delivery, delivery_id_for
from orchestration.landing.expired import record_removal
from orchestration.landing.xapi import land_xapi
from orchestration.settings import OpsConfig


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
                                  "landed": 1, "quarantined": 1, "expired": 0}]


def _retention(lake, monkeypatch, now, **days):
    for kind in ("bronze", "quarantine", "reports"):
        monkeypatch.setenv(f"EDUHOUSE_RETENTION_{kind.upper()}_DAYS", str(days.get(kind, "none")))
    return apply_retention(lake, "Asia/Shanghai", OpsConfig.from_env(), now=now)


def test_records_retention_deleted_count_as_expired_and_a_real_loss_still_fails(lake, kit, monkeypatch):
    """Retention deleting a bronze day failed the blocking check for good, and held back
    every later run of the lake (the retention probe)."""
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [
        kit.statement(1, timestamp="2021-10-01T02:00:00Z"), kit.statement(2, timestamp="2021-10-02T02:00:00Z"),
        kit.statement(3, timestamp="2021-10-02T03:00:00Z"), "{bad"])
    kit.write_lines(lake / "inbox/xapi/d2.jsonl", [kit.statement(4, timestamp="2021-10-03T02:00:00Z")])
    land_xapi(lake)
    # a retention run killed after recording, before deleting: counted where it is, once
    day2 = next((lake / "bronze/xapi/statements/local_date=2021-10-02").glob("*.parquet"))
    record_removal(lake, "xapi", "bronze", [day2], datetime(2021, 11, 1, tzinfo=UTC))
    report = conservation.check(lake, "xapi")
    assert report.passed and (report.landed, report.quarantined, report.expired) == (4, 1, 0)

    summary = _retention(lake, monkeypatch, datetime(2021, 11, 1, 12, tzinfo=UTC), bronze=30)
    assert summary["bronze_days"] == ["bronze/xapi/statements/local_date=2021-10-01"]
    report = conservation.check(lake, "xapi")
    assert report.passed and (report.records_in, report.landed, report.quarantined, report.expired) == (5, 3, 1, 1)

    next((lake / "bronze/xapi/statements/local_date=2021-10-03").glob("*.parquet")).unlink()  # not by retention
    report = conservation.check(lake, "xapi")
    assert not report.passed
    assert report.mismatches == [{"delivery_id": "d2.jsonl", "status": "landed", "records_in": 1,
                                  "landed": 0, "quarantined": 0, "expired": 0}]


def test_quarantine_retention_counts_as_expired(lake, kit, monkeypatch):
    """The default (365 days) deleted every quarantine file a year old, and failed the
    check of every source that had quarantined a record."""
    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1), "{bad", "{worse"])
    land_xapi(lake)
    summary = _retention(lake, monkeypatch, datetime.now(UTC) + timedelta(days=400), quarantine=365)
    assert summary["quarantine_files"]
    report = conservation.check(lake, "xapi")
    assert report.passed and (report.landed, report.quarantined, report.expired) == (1, 0, 2)


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
