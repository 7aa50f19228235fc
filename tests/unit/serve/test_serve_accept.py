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
])
def test_the_preferred_served_format(accept, fmt):
    assert _fmt(accept) == fmt


@pytest.mark.parametrize("accept", ["application/xml", "application/vnd.apache.parquet;q=0", "text/csv;q=bad"])
def test_nothing_served_is_not_acceptable(accept):
    with pytest.raises(NotAcceptable):
        _fmt(accept)
