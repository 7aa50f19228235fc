"""What in the inbox would not land as it is (landing/inbox_health.py), and `eduhouse
run` waiting for a delivery still being written (the operations probe: a file landed at
200,000 of its 764,314 bytes, and the rest never landed, since a delivery lands once)."""

from __future__ import annotations

import json
import os
import threading
import time

from orchestration.landing.inbox_health import changed_since_landing, misplaced, unsettled
from orchestration.landing.xapi import land_xapi


def _age(path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_a_delivery_changed_within_the_settle_time_is_unsettled(lake, kit):
    fresh = kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1)])
    old = kit.write_lines(lake / "inbox/xapi/d0.jsonl", [kit.statement(2)])
    _age(old, 60)
    folder = lake / "inbox/roster/r1"
    folder.mkdir(parents=True)
    (folder / "users.csv").write_text("sourcedId\n")  # a folder: its newest file counts
    _age(folder, 60)
    assert sorted(d.path.name for d in unsettled(lake, 10)) == ["d1.jsonl", "r1"]
    _age(fresh, 60)
    _age(folder / "users.csv", 60)
    assert unsettled(lake, 10) == []


def test_a_delivery_that_grew_after_it_landed_is_said(lake, kit):
    kit.roster_users(lake)
    path = kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1)])
    land_xapi(lake)
    assert changed_since_landing(lake) == []
    landed = path.stat().st_size
    with open(path, "a", encoding="utf-8") as fh:  # the copy was still going
        fh.write(json.dumps(kit.statement(2)) + "\n")
    [changed] = changed_since_landing(lake)
    assert (changed.source, changed.delivery_id, changed.landed_bytes, changed.now_bytes) == (
        "xapi", "d1.jsonl", landed, path.stat().st_size)


def test_entries_no_source_reads_are_named(lake):
    (lake / "inbox/xapii").mkdir(parents=True)
    (lake / "inbox/xapii/a.jsonl").write_text("{}\n")
    (lake / "inbox/stray.jsonl").write_text("{}\n")
    (lake / "inbox/access").write_text("not a folder\n")
    (lake / "inbox/.hidden").write_text("")
    said = misplaced(lake)
    assert len(said) == 3
    assert said[0].startswith("inbox/access is a file") and said[1].startswith("inbox/stray.jsonl is outside")
    assert said[2].startswith("inbox/xapii/ is no source")


def test_eduhouse_run_waits_for_a_file_still_being_written(lake, kit, monkeypatch, capsys):
    from orchestration.runner.run import _wait_until_settled

    monkeypatch.setenv("EDUHOUSE_INBOX_SETTLE_SECONDS", "1.5")
    path = kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1)])
    stop = time.time() + 1.5

    def keep_writing():
        n = 2
        while time.time() < stop:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(kit.statement(n)) + "\n")
            n += 1
            time.sleep(0.2)

    writer = threading.Thread(target=keep_writing)
    started = time.time()
    writer.start()
    _wait_until_settled(lake)
    waited = time.time() - started
    writer.join()
    assert waited >= 2.9  # written for 1.5 s, then unchanged for 1.5 s
    assert time.time() - path.stat().st_mtime >= 1.4  # it returned once the file had settled
    assert "waiting for 1 delivery still being written (xapi/d1.jsonl)" in capsys.readouterr().err


def test_what_the_run_and_status_say_about_the_inbox(lake, kit):
    """One wording for both: a delivery grown since it landed, then the misplaced entries."""
    from orchestration.landing.inbox_health import problems

    kit.roster_users(lake)
    path = kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1)])
    land_xapi(lake)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(kit.statement(2)) + "\n")
    (lake / "inbox/stray.jsonl").write_text("{}\n")
    # a folder where a file belongs is refused; what is put in it later only lands under a
    # new name (the faults probe was told to backfill, and nothing landed)
    (lake / "inbox/xapi/d2.jsonl").mkdir()
    land_xapi(lake)
    kit.write_lines(lake / "inbox/xapi/d2.jsonl/inner.jsonl", [kit.statement(3)])
    said = problems(lake)
    assert len(said) == 3 and said[0].startswith("inbox/xapi/d1.jsonl changed after it landed (")
    assert said[0].endswith("`eduhouse backfill --from 2021-10-01 --to 2021-10-01 --rebuild`"), said[0]
    assert said[1].startswith("inbox/xapi/d2.jsonl changed") and said[1].endswith("send it again under a new name")
    assert said[2].startswith("inbox/stray.jsonl is outside every source's folder")
