"""A filter's text read as its column's Arrow type (orchestration/serve/filters.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from orchestration.serve.filters import BadFilter, typed_value


@pytest.mark.parametrize(("arrow_type", "text", "expected"), [
    (pa.float64(), "90", 90.0),
    (pa.float64(), " 0.5 ", 0.5),
    (pa.int64(), "12", 12),
    (pa.bool_(), "TRUE", True),
    (pa.bool_(), "false", False),
    (pa.date32(), "2021-10-21", date(2021, 10, 21)),
    (pa.timestamp("us", tz="UTC"), "2021-10-21T08:00+08:00",
     datetime(2021, 10, 21, 8, tzinfo=timezone(timedelta(hours=8)))),
    (pa.timestamp("us"), "2021-10-21 08:00:00", datetime(2021, 10, 21, 8)),
    (pa.string(), " sch-01 ", " sch-01 "),
    (pa.dictionary(pa.int32(), pa.string()), "sch-01", "sch-01"),
    (pa.dictionary(pa.int32(), pa.float64()), "1", 1.0),
])
def test_a_value_is_read_as_its_columns_type(arrow_type, text, expected):
    value = typed_value("c", arrow_type, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("arrow_type", "text", "says"), [
    (pa.float64(), "ninety", "a number"),
    (pa.int64(), "1.5", "a whole number"),
    (pa.bool_(), "maybe", "true or false"),
    (pa.date32(), "21/10/2021", "a date"),
    (pa.timestamp("us", tz="UTC"), "2021-10-21T08:00", "UTC offset"),
    (pa.list_(pa.string()), "a", "cannot be filtered"),
    # what Python's int() and float() read but no rank or score is (the API probe)
    (pa.int64(), "1_2", "a whole number"),
    (pa.int64(), "9" * 24, "a whole number"),
    (pa.float64(), "nan", "a number"),
    (pa.float64(), "1e999", "a number"),
    (pa.float64(), "-inf", "a number"),
])
def test_a_value_not_of_the_type_says_what_was_expected(arrow_type, text, says):
    with pytest.raises(BadFilter, match=says):
        typed_value("c", arrow_type, text)


def test_an_aware_time_compares_as_the_same_instant():
    assert typed_value("c", pa.timestamp("us", tz="UTC"), "2021-10-21T00:00:00+00:00") == datetime(2021, 10, 21, tzinfo=UTC)
