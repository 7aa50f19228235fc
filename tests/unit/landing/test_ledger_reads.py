"""The ledger as a run reads it (orchestration/landing/ledger.py: read_ledger): a file
read once per process, and every row written, replaced or removed since seen."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from orchestration.landing import ledger


def _row(delivery: str, status: str = "landed") -> ledger.LedgerRow:
    now = datetime(2021, 10, 1, 8, tzinfo=UTC)
    return ledger.LedgerRow(source="xapi", delivery_id=delivery, delivery_path=f"inbox/xapi/{delivery}",
                            content_sha256="0" * 64, size_bytes=10, records_in=3, landed=3, quarantined=0,
                            status=status, started_at=now, finished_at=now, local_dates=["2021-10-01"])


def test_reads_see_every_row_written_replaced_or_removed_since(tmp_path):
    assert ledger.read_ledger(tmp_path, "xapi") == []
    ledger.write_row(tmp_path, _row("b.jsonl.gz"))
    ledger.write_row(tmp_path, _row("a.jsonl.gz"))
    first = ledger.read_ledger(tmp_path, "xapi")
    assert [r["delivery_id"] for r in first] == ["a.jsonl.gz", "b.jsonl.gz"]
    assert first[0]["local_dates"] == ["2021-10-01"] and first[0]["started_at"] == datetime(2021, 10, 1, 8, tzinfo=UTC)
    first[0]["status"] = "changed by a caller"  # the kept rows are not the caller's
    assert ledger.read_ledger(tmp_path, "xapi")[0]["status"] == "landed"

    ledger.write_row(tmp_path, _row("c.jsonl.gz"))
    ledger.write_row(tmp_path, _row("a.jsonl.gz", status="duplicate"))  # a rebuild writes it anew
    os.remove(ledger.ledger_dir(tmp_path, "xapi") / "b.jsonl.gz.parquet")
    again = ledger.read_ledger(tmp_path, "xapi")
    assert [(r["delivery_id"], r["status"]) for r in again] == [("a.jsonl.gz", "duplicate"), ("c.jsonl.gz", "landed")]


def test_a_second_read_reads_no_file_again(tmp_path, monkeypatch):
    for name in ("a", "b", "c"):
        ledger.write_row(tmp_path, _row(name))
    ledger.read_ledger(tmp_path, "xapi")
    read: list[list[str]] = []
    real = ledger._read_files
    monkeypatch.setattr(ledger, "_read_files", lambda paths: read.append(paths) or real(paths))
    assert len(ledger.read_ledger(tmp_path, "xapi")) == 3
    assert read == []
    ledger.write_row(tmp_path, _row("d"))
    assert len(ledger.read_ledger(tmp_path, "xapi")) == 4
    assert [os.path.basename(p) for p in read[0]] == ["d.parquet"]
