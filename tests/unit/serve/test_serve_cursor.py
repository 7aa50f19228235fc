"""The page cursor (orchestration/serve/formats.py): an offset bound to its query."""

from __future__ import annotations

import base64
import json

import pytest

from orchestration.serve.formats import MAX_OFFSET, BadCursor, cursor_offset, next_cursor, query_digest

Q = query_digest("u1", "student_exam", ["exam_id", "score"], {"exam_id": "e1"}, "teaching", None)


def test_a_cursor_gives_back_its_offset_for_its_own_query():
    assert cursor_offset(next_cursor(70, Q), Q) == 70
    assert cursor_offset(None, Q) == cursor_offset("", Q) == 0


@pytest.mark.parametrize("other", [
    query_digest("u1", "student_exam", ["exam_id"], {"exam_id": "e1"}, "teaching", None),  # columns
    query_digest("u1", "student_exam", ["exam_id", "score"], {"exam_id": "e2"}, "teaching", None),  # filter value
    query_digest("u1", "student_exam", ["exam_id", "score"], {"exam_id": "e1"}, "research", None),  # purpose
    query_digest("u1", "student_exam", ["exam_id", "score"], {"exam_id": "e1"}, "teaching", "g-2"),  # grant
    query_digest("u1", "class_exam", ["exam_id", "score"], {"exam_id": "e1"}, "teaching", None),  # mart
    query_digest("u2", "student_exam", ["exam_id", "score"], {"exam_id": "e1"}, "teaching", None),  # reader
])
def test_a_cursor_of_another_query_is_refused(other):
    assert other != Q
    with pytest.raises(BadCursor):
        cursor_offset(next_cursor(70, Q), other)


def test_the_order_filters_were_given_in_does_not_matter():
    a = query_digest("u1", "m", ["c"], {"x": "1", "y": "2"}, "p", None)
    assert a == query_digest("u1", "m", ["c"], {"y": "2", "x": "1"}, "p", None)


@pytest.mark.parametrize("payload", [{"o": 1e30, "q": Q}, {"o": -1, "q": Q}, {"o": 5}, {"q": Q}, [1]])
def test_a_crafted_cursor_is_refused(payload):
    value = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(BadCursor):
        cursor_offset(value, Q)
    assert MAX_OFFSET < 1e30


def test_text_that_is_no_cursor_is_refused():
    deep = base64.urlsafe_b64encode(b"[" * 2000).decode()  # nested past the JSON parser's depth (a 500)
    for value in ("not-a-cursor", "%%%", base64.urlsafe_b64encode(b"\xff\xfe").decode(), deep):
        with pytest.raises(BadCursor):
            cursor_offset(value, Q)


def test_a_cursor_the_client_made_itself_is_refused():
    """Only the offsets this server gave: a client that re-encodes a cursor with an offset
    of its choosing (the query's digest is computed from what it sent) is refused."""
    given = json.loads(base64.urlsafe_b64decode(next_cursor(70, Q) + "=="))
    for payload in ({**given, "o": 5}, {"o": 70, "q": Q}, {**given, "s": "0" * 32}):
        value = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        with pytest.raises(BadCursor):
            cursor_offset(value, Q)
