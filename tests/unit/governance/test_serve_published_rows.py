"""The server's in-memory publication (orchestration.serve.published): a student's rows
come out exactly as a DuckDB filter over the file gives them, whatever order the file
is in, and a new publication of the file is read again."""

from __future__ import annotations

import os
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.serve import published
from orchestration.serve.published import PublishedRows


def _write(path, keys, values, row_group_size=3):
    pq.write_table(pa.table({"student_key": keys, "kp_id": [f"kp{i % 4}" for i in range(len(keys))],
                             "score_rate": values}), path, row_group_size=row_group_size)


def _expected(path, keys):
    return duckdb.sql(f"select * from read_parquet('{path}') where list_contains({keys!r}, student_key) "
                      f"order by all").fetchall()


def _got(table):
    con = duckdb.connect()
    con.register("got", table)
    return con.sql("select * from got order by all").fetchall()


def test_a_students_rows_equal_a_filter_over_the_file(tmp_path):
    path = tmp_path / "student_knowledge.parquet"
    keys = ["a", "a", "b", "c", "c", "c", None, "e"]
    _write(path, keys, [0.1 * i for i in range(len(keys))])
    rows = PublishedRows()
    for wanted in (["a"], ["c", "a"], ["e", "zz"], ["zz"], []):
        table = rows.rows(path, wanted)
        assert _got(table) == _expected(path, wanted)
    assert rows.rows(path).num_rows == len(keys)
    # strings are held dictionary-encoded, values unchanged
    assert pa.types.is_dictionary(rows.rows(path).schema.field("kp_id").type)


def test_a_file_not_in_key_order_is_sorted_not_trusted(tmp_path):
    path = tmp_path / "student_exam.parquet"
    keys = ["b", "a", "b", "c", "a"]
    _write(path, keys, [1.0, 2.0, 3.0, 4.0, 5.0], row_group_size=2)
    rows = PublishedRows()
    for wanted in (["a"], ["b"], ["a", "b", "c"]):
        table = rows.rows(path, wanted)
        assert _got(table) == _expected(path, wanted)


def test_an_aggregate_is_whole_and_a_new_publication_is_read_again(tmp_path, monkeypatch):
    path = tmp_path / "usage_monthly.parquet"
    pq.write_table(pa.table({"org_sourced_id": ["s1", "s2"], "online": [3, 4]}), path)
    rows = PublishedRows()
    assert rows.rows(path, ["ignored"]).num_rows == 2  # no student_key: cut by SQL only
    monkeypatch.setattr(published, "CHECK_EVERY_S", 0.0)
    pq.write_table(pa.table({"org_sourced_id": ["s1", "s2", "s3"], "online": [3, 4, 5]}), path)
    later = time.time() + 5
    os.utime(path, (later, later))  # a distinct mtime even on a coarse clock
    assert rows.rows(path).num_rows == 3


def test_aggregate_answers_are_kept_by_their_whole_key_and_evicted_oldest_first():
    from orchestration.serve.published import AggregateResults

    answers = AggregateResults(max_entries=2)
    one = pa.table({"online": [1]})
    key = answers.key("usage_monthly.parquet", 1, ("stamp",), "select ...", [["org-d01"], "x"])
    answers.put(key, one)
    assert answers.get(answers.key("usage_monthly.parquet", 1, ("stamp",), "select ...", [["org-d01"], "x"])) is one
    # another scope, another publication or another policy generation is another answer
    assert answers.get(answers.key("usage_monthly.parquet", 1, ("stamp",), "select ...", [["org-d02"], "x"])) is None
    assert answers.get(answers.key("usage_monthly.parquet", 2, ("stamp",), "select ...", [["org-d01"], "x"])) is None
    assert answers.get(answers.key("usage_monthly.parquet", 1, ("new",), "select ...", [["org-d01"], "x"])) is None
    answers.put(("b",), pa.table({"x": [2]}))
    answers.get(key)  # used: the other entry is now the oldest
    answers.put(("c",), pa.table({"x": [3]}))
    assert answers.get(key) is one and answers.get(("b",)) is None and answers.get(("c",)) is not None
