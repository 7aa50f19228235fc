"""The format of a mart read follows the Accept header as HTTP has it: any letter case,
q-values (q=0 refuses a type), */* means JSON, and a header naming nothing served is a 406
(it was answered with JSON)."""

from types import SimpleNamespace

import pytest

from orchestration.serve.formats import NotAcceptable, requested_format


def _fmt(accept):
    return requested_format(SimpleNamespace(headers={} if accept is None else {"accept": accept}))


@pytest.mark.parametrize(("accept", "fmt"), [
    (None, "json"), ("", "json"), ("*/*", "json"), ("application/*", "json"),
    ("TEXT/CSV", "csv"),
    ("text/csv;q=0.9, application/json;q=0.1", "csv"),
    ("application/json;q=0.5, application/vnd.apache.parquet", "parquet"),
    ("text/csv, application/json", "csv"),  # a tie goes to the order given
    ("application/vnd.apache.arrow.stream", "arrow"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "json"),  # a browser
    # an invalid qvalue names nothing; it outranked every valid one (the API probe)
    ("text/csv;q=nan, application/json;q=0.5", "json"), ("text/csv;q=1e999, application/json;q=0.5", "json"),
    ("text/csv;q=1.000, application/json", "csv"), ("text/csv;q=0.001, application/json;q=0.0015", "csv"),
])
def test_the_preferred_served_format(accept, fmt):
    assert _fmt(accept) == fmt


@pytest.mark.parametrize("accept", ["application/xml", "application/vnd.apache.parquet;q=0", "text/csv;q=bad",
                                    "text/csv;q=nan", "text/csv;q=1e999", "text/csv;q=2"])
def test_nothing_served_is_not_acceptable(accept):
    with pytest.raises(NotAcceptable):
        _fmt(accept)
