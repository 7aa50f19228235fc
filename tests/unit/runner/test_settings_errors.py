"""A deployment setting given wrong stops the command in one line (exit 2), never with a
traceback, and never runs with it: EDUHOUSE_MIN_CELL=0 would publish every small group.
And `audit --min-cell` below the lake's would pass groups the marts must hide."""

from __future__ import annotations

import pytest

from orchestration.cli import main
from orchestration.settings import LEAST_MIN_CELL, SettingError, get_settings


@pytest.mark.parametrize(("name", "value", "says"), [
    ("EDUHOUSE_MIN_CELL", "abc", "whole number"),
    ("EDUHOUSE_MIN_CELL", "0", "at least 2"),
    ("EDUHOUSE_MIN_CELL", "1", "a group of one is a person"),
    ("EDUHOUSE_TOP_N", "-5", "at least 1"),
    ("EDUHOUSE_MAX_DELIVERY_BYTES", "4GB", "whole number"),
    ("EDUHOUSE_ENGINE", "postgres", "duckdb, spark"),
])
def test_a_wrong_setting_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, name, value, says):
    (tmp_path / "inbox").mkdir()
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=says):
        get_settings(tmp_path)
    assert main(["audit", "--lake", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0] and "Traceback" not in err[0], err


def test_the_least_minimum_cell_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("EDUHOUSE_MIN_CELL", f" {LEAST_MIN_CELL} ")
    assert get_settings(tmp_path).min_cell == LEAST_MIN_CELL


def test_audit_refuses_a_threshold_below_the_lakes(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("EDUHOUSE_MIN_CELL", raising=False)
    assert main(["sample-marts", "--lake", str(tmp_path)]) == 0
    capsys.readouterr()
    for given in ("-1", "0", "9"):
        assert main(["audit", "--lake", str(tmp_path), "--min-cell", given]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "below the lake's minimum cell 10" in err[0], err


def test_audit_json_is_the_json_alone(tmp_path, monkeypatch, capsys):
    """`audit --json` printed the report's and the CSV's paths after the JSON object."""
    import json

    monkeypatch.delenv("EDUHOUSE_MIN_CELL", raising=False)
    assert main(["sample-marts", "--lake", str(tmp_path)]) == 0
    capsys.readouterr()
    main(["audit", "--lake", str(tmp_path), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["report"].endswith("governance_audit.html") and summary["csv"].endswith(".csv")
    assert "findings" in summary
