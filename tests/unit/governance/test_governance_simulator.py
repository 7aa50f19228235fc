"""The governance simulator: contract-shaped deliveries, every check injected at least
once when dirty, nothing injected when clean (no dbt: fast)."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date

import pandas as pd
import pytest

import eduhouse_dev.simulate.world as world_mod  # noqa: E402
from eduhouse_dev.simulate.governance import write_governance  # noqa: E402
from orchestration.governance.evaluation import SIMULATED_CHECKS  # noqa: E402

START = date(2021, 10, 1)
EVENT_FIELDS = ["event_id", "seq", "event_time", "principal_id", "role", "client_app", "action", "resource",
                "columns", "purpose", "decision", "grant_id", "rows_returned", "subject_ids"]


@pytest.fixture(scope="module")
def roster_lake(tmp_path_factory):
    from eduhouse_dev.simulate.roster import write_roster

    lake = tmp_path_factory.mktemp("gov_sim")
    _, files = write_roster(world_mod.build_world("tiny", 3, START), lake / "inbox")
    return lake, files


def test_dirty_run_injects_every_check_with_truth(roster_lake):
    lake, files = roster_lake
    summary = write_governance(lake, files, seed=3, start=START, days=10, scale="tiny", dirt_rate=0.01)
    truth = pd.read_parquet(lake / "simulator" / "truth" / "governance_findings.parquet")
    assert set(SIMULATED_CHECKS) <= set(truth["check"]), set(SIMULATED_CHECKS) - set(truth["check"])
    assert summary["injected"] == len(truth)
    grants = pd.read_csv(next((lake / "inbox" / "governance").glob("*/grants.csv")))
    assert list(grants.columns) == ["grant_id", "principal_id", "principal_type", "role", "scope_type", "scope_ids",
                                    "resource", "columns", "actions", "purposes", "sensitive", "granted_by",
                                    "approved_by", "valid_from", "valid_to", "revoked_at"]
    assert grants["grant_id"].is_unique
    files = sorted((lake / "inbox" / "access").glob("*.jsonl.gz"))
    assert files
    with gzip.open(files[-1], "rt", encoding="utf-8") as fh:
        event = json.loads(fh.readline())
    assert list(event) == EVENT_FIELDS
    assert event["event_time"].endswith("+08:00") and isinstance(event["subject_ids"], list)


def test_clean_run_injects_nothing_and_keeps_seq_contiguous(roster_lake):
    lake, files = roster_lake
    for folder in ("access", "governance"):  # a fresh inbox: the dirty run's files are gone
        shutil.rmtree(lake / "inbox" / folder, ignore_errors=True)
    write_governance(lake, files, seed=3, start=START, days=10, scale="tiny", dirt_rate=0.0)
    truth = pd.read_parquet(lake / "simulator" / "truth" / "governance_findings.parquet")
    assert truth.empty
    rows = []
    for path in (lake / "inbox" / "access").glob("*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh]
    ev = pd.DataFrame(rows)
    assert ev["event_id"].is_unique
    for _, g in ev.groupby("client_app"):
        seq = g["seq"].sort_values().to_numpy()
        assert (seq == range(1, len(seq) + 1)).all()
