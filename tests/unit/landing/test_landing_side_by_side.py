"""Deliveries of one source landed two at a time (``core._land_side_by_side``).

Side by side must give exactly what one after the other gives (bronze, quarantine and
ledger rows), still ledger a resend of a delivery of the same batch as its duplicate,
hand each delivery its own connection (temp tables, the roster reference), and stop
cleanly when one fails.
"""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from orchestration.landing import core, exams
from orchestration.landing.core import EngineOptions
from orchestration.landing.exams import land_exams

EXAM = "exam_id,name,kind,academic_session,grade,subject,exam_date,org_sourcedId\n{e},x,term,2021a,07,math,2021-11-05,d-1\n"
ITEMS = "exam_id,item_id,max_score,knowledge_point_ids,ability\n{e},i1,5,kp-1,A1\n{e},i2,10,kp-2,B2\n"


def _scores(e: str, n: int) -> str:
    rows = [f"stu-{1 + k // 2},{e},i{1 + k % 2},{k},present" for k in range(n)]  # n <= 4
    rows.append(f"stu-404,{e},i1,1,present")  # not on the roster
    return "student_sourcedId,exam_id,item_id,score,status\n" + "\n".join(rows) + "\n"


def _inbox(lake) -> list[str]:
    ids = []
    for k in range(6):
        e = f"ex-{k}"
        folder = lake / "inbox/exams" / f"2021-11-0{k + 1}-{e}"
        folder.mkdir(parents=True)
        (folder / "exam.csv").write_text(EXAM.format(e=e))
        (folder / "items.csv").write_text(ITEMS.format(e=e))
        (folder / "scores.csv").write_text(_scores(e, 1 + k % 4))
        ids.append(folder.name)
    resend = lake / "inbox/exams" / f"{ids[2]}-resend"  # the same content, next in inbox order
    resend.mkdir()
    for f in (lake / "inbox/exams" / ids[2]).iterdir():
        (resend / f.name).write_bytes(f.read_bytes())
    broken = lake / "inbox/exams/2021-11-08-ex-9"  # no scores.csv: unreadable
    broken.mkdir()
    (broken / "exam.csv").write_text(EXAM.format(e="ex-9"))
    (broken / "items.csv").write_text(ITEMS.format(e="ex-9"))
    return ids


def _outcome(lake) -> tuple:
    con = duckdb.connect()
    bronze = tuple(con.execute(
        f"SELECT * EXCLUDE (_landed_at) FROM read_parquet('{lake}/bronze/exams/{t}/*.parquet') "
        "ORDER BY ALL").fetchall() for t in ("exams", "exam_items", "exam_scores"))
    quarantine = con.execute(
        f"SELECT * EXCLUDE (quarantined_at) FROM read_parquet('{lake}/quarantine/exams/*.parquet') "
        "ORDER BY ALL").fetchall()
    ledger = con.execute(
        f"SELECT * EXCLUDE (started_at, finished_at) FROM read_parquet('{lake}/ledger/exams/*.parquet') "
        "ORDER BY delivery_id").fetchall()
    return bronze, quarantine, ledger


def test_side_by_side_lands_exactly_what_one_at_a_time_lands(tmp_path, kit, monkeypatch):
    threads_seen: set[str] = set()
    real_handle = exams._handle

    def handle(ctx):
        threads_seen.add(threading.current_thread().name)
        real_handle(ctx)

    monkeypatch.setattr(exams, "_handle", handle)
    outcomes = []
    for threads in (1, 2):  # one thread: one delivery after the other, on the main thread
        lake = tmp_path / f"lake{threads}"
        kit.roster_users(lake)
        ids = _inbox(lake)
        threads_seen.clear()
        summary = land_exams(lake, options=EngineOptions(threads=threads))
        # the results come back in inbox order whichever finished first
        assert [d.delivery_id for d in summary.deliveries] == sorted(
            ids + [f"{ids[2]}-resend", "2021-11-08-ex-9"])
        statuses = {d.delivery_id: d.status for d in summary.deliveries}
        assert statuses.pop(f"{ids[2]}-resend") == "duplicate"
        assert statuses.pop("2021-11-08-ex-9") == "unreadable"
        assert set(statuses.values()) == {"landed"}
        resend = next(d for d in summary.deliveries if d.status == "duplicate")
        assert resend.duplicate_of == ids[2]
        assert summary.quarantined == 6 + 1  # one unknown student per exam, the missing file
        outcomes.append(_outcome(lake))
        if threads == 1:
            assert threads_seen == {threading.current_thread().name}
        else:
            assert len(threads_seen) == 2 and all(n.startswith("landing-exams") for n in threads_seen)
    assert outcomes[0] == outcomes[1]
    scores = outcomes[1][0][2]
    assert len(scores) == sum(1 + k % 4 for k in range(6))


def test_a_failing_delivery_cancels_the_rest_and_leaves_no_thread(lake, kit, monkeypatch):
    kit.roster_users(lake)
    ids = _inbox(lake)
    real_handle = exams._handle
    started = []

    def handle(ctx):
        started.append(ctx.delivery_id)
        if ctx.delivery_id == ids[1]:
            raise RuntimeError("bug while landing")
        real_handle(ctx)

    monkeypatch.setattr(exams, "_handle", handle)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="bug while landing"):
        land_exams(lake, options=EngineOptions(threads=2))
    assert threading.active_count() == before
    ledgered = set(kit.ledger(lake, "exams"))
    assert ids[1] not in ledgered and ids[0] in ledgered
    # what had not started when the failure came stayed pending, nothing half-written
    assert len(started) < len(ids) + 2
    for delivery in ledgered:
        assert (lake / "quarantine/exams" / f"{delivery}.parquet").exists()
    assert not (lake / "quarantine/exams" / f"{ids[1]}.parquet").exists()
    assert sorted(d.delivery_id for d in core.pending(lake, "exams")) == sorted(
        set(ids + [f"{ids[2]}-resend", "2021-11-08-ex-9"]) - ledgered)


def test_deliveries_take_their_landing_times_in_inbox_order(lake, kit, monkeypatch):
    """Downstream, the latest delivery of a key wins by ``_landed_at`` (a withdrawn
    consent re-delivered later). The first connection's preparation is slow here, so
    the second delivery would start first if each took its time when its thread got
    going."""
    kit.roster_users(lake)
    ids = _inbox(lake)
    calls = []
    real_prepare = exams.load_roster_users

    def slow_first(con, lake_root):
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            time.sleep(0.5)
        real_prepare(con, lake_root)

    monkeypatch.setattr(exams, "load_roster_users", slow_first)
    land_exams(lake, options=EngineOptions(threads=2))
    assert len(calls) == 2
    ledger = kit.ledger(lake, "exams")
    # inbox order; the resend lands nothing and is ledgered after its batch
    order = [d for d in sorted(ledger) if ledger[d]["status"] != "duplicate"]
    started = [ledger[d]["started_at"] for d in order]
    assert started == sorted(started) and len(set(started)) == len(started)
    landed = dict(duckdb.connect().execute(
        f"SELECT _delivery, min(_landed_at) FROM read_parquet('{lake}/bronze/exams/exam_scores/*.parquet') "
        "GROUP BY 1").fetchall())
    times = [landed[d] for d in ids]
    assert times == sorted(times) and len(set(times)) == len(times)
