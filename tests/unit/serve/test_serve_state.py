"""The policy's generations (serve/state.py): a request judges with the database and the
memo of one generation. The memo was read apart from the cursor, so a request still
judging on the old grants could store them in the new generation's memo, and a grant just
revoked would be honoured until the next publication (the API probe, from the code)."""

import os

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lake import LakePaths
from orchestration.serve import state
from orchestration.serve.state import TABLES, PolicyState

COLUMNS = {
    "student_identity": {"student_key": ["k1"], "student_sourced_id": ["stu-1"]},
    "class_membership": {"class_sourced_id": ["c1"], "school_sourced_id": ["s1"], "grade": ["07"]},
    "org_hierarchy": {"school_sourced_id": ["s1"], "district_sourced_id": ["d1"], "city_sourced_id": ["x1"]},
}


def _publish(lake, stamp: int) -> None:
    folder = LakePaths(lake).restricted
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        pq.write_table(pa.table(COLUMNS.get(name, {"id": ["a"]})), folder / f"{name}.parquet")
        os.utime(folder / f"{name}.parquet", ns=(stamp, stamp))


def test_a_request_keeps_the_memo_of_its_own_generation(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "CHECK_EVERY_S", 0.0)
    _publish(tmp_path, 1_000_000_000_000_000_000)
    policy = PolicyState(tmp_path)
    old_cursor, old_memo = policy.snapshot()
    assert old_cursor is not None and old_memo["sourced_id"] == {"k1": "stu-1"}
    _publish(tmp_path, 1_000_000_001_000_000_000)  # a new publication (revoked grants)
    new_cursor, new_memo = policy.snapshot()
    assert new_memo is not old_memo and policy.memo is new_memo
    # the request that began on the old generation caches what it read there ...
    old_memo[("grants", "p1", "student_exam")] = ["grant revoked since"]
    # ... and the new generation never sees it
    assert ("grants", "p1", "student_exam") not in policy.snapshot()[1]
    assert old_cursor.execute("select count(*) from student_identity").fetchone() == (1,)


def test_a_missing_table_is_no_generation_to_judge_with(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "CHECK_EVERY_S", 0.0)
    _publish(tmp_path, 1_000_000_000_000_000_000)
    (LakePaths(tmp_path).restricted / "access_grants.parquet").unlink()
    policy = PolicyState(tmp_path)
    assert policy.snapshot() == (None, {}) and policy.missing == ["access_grants"]
