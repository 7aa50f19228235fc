"""A filter's value read as its column's type.

A filter is an equality test on one column (``?score=90``). The query string gives text;
the comparison is made in the column's own type, so ``?score=90`` finds a score of 90.0,
``?is_absent=TRUE`` a true flag and ``?exam_date=2021-10-21`` that date. Compared as text
(the column cast to varchar), a double column matched only the spelling DuckDB prints
(``90.0``), and a timestamp none that a client would write. A value that is not of the
column's type is the caller's error (400 ``bad_filter``), not an empty answer; a list or
struct column cannot be filtered by one value.

The type comes from the published file's Arrow schema, which is what the query reads.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import pyarrow as pa

TRUE, FALSE = {"true", "t", "1", "yes"}, {"false", "f", "0", "no"}


class BadFilter(ValueError):
    """The value is not of the column's type; the message says what was expected."""


def typed_value(column: str, arrow_type: pa.DataType, text: str) -> object:
    """``text`` as a value of ``arrow_type``, bound as the query's parameter."""
    if pa.types.is_dictionary(arrow_type):  # the server holds text columns dictionary-encoded
        arrow_type = arrow_type.value_type
    value = text.strip()
    try:
        if (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
                or pa.types.is_string_view(arrow_type)):
            return text  # a name is compared as given, spaces and all
        if pa.types.is_boolean(arrow_type):
            lowered = value.lower()
            if lowered in TRUE | FALSE:
                return lowered in TRUE
            raise ValueError(value)
        if pa.types.is_integer(arrow_type):
            # ASCII digits: Python's int() also reads "1_2" (as 12) and "１"; and within
            # 64 bits (a longer number matched nothing instead of being refused)
            if not re.fullmatch(r"-?[0-9]{1,18}", value):
                raise ValueError(value)
            return int(value)
        if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
            number = float(value)
            if not math.isfinite(number) or "_" in value:  # nan, inf, 1e999, 1_0: no score is one
                raise ValueError(value)
            return number
        if pa.types.is_date(arrow_type):
            return date.fromisoformat(value)
        if pa.types.is_timestamp(arrow_type):
            moment = datetime.fromisoformat(value)
            if arrow_type.tz is not None and moment.tzinfo is None:
                raise ValueError(value)  # an instant needs its offset: 08:00 where?
            return moment
    except ValueError:
        raise BadFilter(f"{column} takes {_expected(arrow_type)}, not {value[:40]!r}") from None
    raise BadFilter(f"{column} ({arrow_type}) cannot be filtered by one value")


def _expected(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "true or false"
    if pa.types.is_integer(arrow_type):
        return "a whole number"
    if pa.types.is_date(arrow_type):
        return "a date (YYYY-MM-DD)"
    if pa.types.is_timestamp(arrow_type):
        return "an ISO 8601 time" + (" with its UTC offset" if arrow_type.tz else "")
    return "a number"
