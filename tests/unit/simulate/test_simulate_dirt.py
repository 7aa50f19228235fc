"""The dirt manifest matches what is really in the files, and dirt_rate=0 means no dirt."""

from __future__ import annotations

import csv
import gzip
import json
import re
import zlib
from datetime import date, datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
REASONS = {"unreadable_file", "not_utf8", "truncated_gzip", "malformed_json", "not_an_object",
           "missing_required", "invalid_type", "invalid_uuid", "invalid_iri", "invalid_timestamp",
           "score_out_of_range", "invalid_actor", "duplicate_id", "unknown_reference", "invalid_value",
           "invalid_enum", "invalid_date", "wrong_column_count", "missing_file", "missing_column"}


def _dirt(lake):
    return pq.read_table(lake / "simulator" / "truth" / "dirt.parquet").to_pylist()


def _users(lake):
    (folder,) = (lake / "inbox" / "roster").iterdir()
    return {line.split(",", 1)[0] for line in (folder / "users.csv").read_text().splitlines()[1:]}


def test_manifest_columns_and_codes(tiny_lake):
    lake, summary = tiny_lake
    table = pq.read_table(lake / "simulator" / "truth" / "dirt.parquet")
    assert table.column_names == ["source", "delivery_path", "file", "position", "kind", "expected",
                                  "expected_reason"]
    rows = table.to_pylist()
    assert len(rows) == summary["dirt_total"] > 0
    for r in rows:
        assert r["expected"] in ("quarantined", "duplicate_delivery", "landed")
        assert (r["expected_reason"] in REASONS) == (r["expected"] == "quarantined")
        assert (lake / "inbox" / r["source"] / r["delivery_path"]).exists()
    kinds = {r["kind"] for r in rows if r["source"] == "xapi"}
    assert kinds >= {"malformed_json", "missing_required", "invalid_uuid", "invalid_iri", "invalid_timestamp",
                     "score_out_of_range", "unknown_reference", "duplicate_id", "late_arrival",
                     "duplicate_delivery", "truncated_gzip"}
    assert {r["kind"] for r in rows if r["source"] == "exams"} >= {"invalid_value", "invalid_enum",
                                                                   "duplicate_delivery"}
    assert "not_utf8" in {r["kind"] for r in rows if r["source"] == "fitness"}


def test_xapi_dirt_is_where_the_manifest_says(tiny_lake):
    lake, _ = tiny_lake
    users = _users(lake)
    inbox = lake / "inbox" / "xapi"
    cache: dict[str, list[str]] = {}
    for r in _dirt(lake):
        if r["source"] != "xapi":
            continue
        path = inbox / r["delivery_path"]
        if r["kind"] == "truncated_gzip":
            with pytest.raises((EOFError, zlib.error, gzip.BadGzipFile)):
                gzip.decompress(path.read_bytes())
            continue
        if r["kind"] == "duplicate_delivery":
            twins = [p for p in inbox.iterdir() if p != path and p.read_bytes() == path.read_bytes()]
            assert twins
            continue
        lines = cache.setdefault(r["file"], gzip.decompress((inbox / r["file"]).read_bytes()).decode().splitlines())
        line = lines[r["position"] - 1]
        kind = r["kind"]
        if kind == "malformed_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)
            continue
        st = json.loads(line)
        if kind == "missing_required":
            assert "actor" not in st
        elif kind == "invalid_uuid":
            assert not UUID.match(st["id"])
        elif kind == "invalid_iri":
            assert not re.match(r"^[a-z][a-z0-9+.-]*:\S+$", st["verb"]["id"])
        elif kind == "invalid_timestamp":
            assert not TS.match(st["timestamp"])
        elif kind == "score_out_of_range":
            sc = st["result"]["score"]
            assert sc["raw"] > sc["max"] or not -1 <= sc.get("scaled", 0) <= 1
        elif kind == "unknown_reference":
            assert st["actor"]["account"]["name"] not in users
        elif kind == "duplicate_id":
            earlier = [json.loads(x)["id"] for x in lines[: r["position"] - 1] if x.startswith('{"id":"')
                       and x.endswith("}")]
            assert st["id"] in earlier
        elif kind == "late_arrival":
            ts = datetime.fromisoformat(st["timestamp"].replace("Z", "+00:00"))
            local_day = ts.astimezone(timezone(timedelta(hours=8))).date()
            assert local_day < date.fromisoformat(r["file"][:10])
        else:
            raise AssertionError(kind)


def test_csv_dirt_is_where_the_manifest_says(tiny_lake):
    lake, _ = tiny_lake
    users = _users(lake)
    for r in _dirt(lake):
        if r["source"] == "xapi" or r["kind"] == "duplicate_delivery":
            continue
        base = lake / "inbox" / r["source"] / r["delivery_path"]
        if r["kind"] == "not_utf8":
            with pytest.raises(UnicodeDecodeError):
                base.read_bytes().decode("utf-8")
            continue
        path = base / r["file"] if base.is_dir() else base
        lines = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        row = dict(zip(lines[0], lines[r["position"] - 1], strict=True))
        if r["source"] == "exams":
            if r["kind"] == "invalid_value":
                items = (base / "items.csv").read_text().splitlines()[1:]
                max_of = {x.split(",")[1]: float(x.split(",")[2]) for x in items}
                assert float(row["score"]) < 0 or float(row["score"]) > max_of[row["item_id"]]
            elif r["kind"] == "invalid_enum":
                assert row["status"].lower() not in ("present", "absent", "exempt")
            else:
                assert r["kind"] == "unknown_reference" and row["student_sourcedId"] not in users
        elif r["kind"] == "invalid_value":
            assert float(row["height_cm"]) < 0
        elif r["kind"] == "invalid_date":
            field = "test_date" if r["source"] == "fitness" else "screen_date"
            with pytest.raises(ValueError):
                date.fromisoformat(row[field])
        elif r["kind"] == "invalid_enum":
            assert row["risk_level"] not in ("none", "watch", "high")
        else:
            raise AssertionError(r)


def test_dirt_rate_zero_is_clean(clean_lake):
    lake, summary = clean_lake
    assert _dirt(lake) == []
    names = [p.name for p in (lake / "inbox" / "xapi").iterdir()]
    assert not [n for n in names if "resend" in n or "batch" in n]
    assert not [p for p in (lake / "inbox" / "exams").iterdir() if p.name.endswith("-resend")]
    for f in (lake / "inbox" / "fitness").glob("*.csv"):
        f.read_bytes().decode("utf-8")
    assert summary["dirt_total"] == 0
