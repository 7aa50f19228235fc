"""bench/e2e.py counts a dbt step's time outside its nodes as orchestration (issue 17's
definition: dbt's start-up and manifest load are overhead), timing the nodes by each
invocation's own dbt.log."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def e2e():
    spec = importlib.util.spec_from_file_location("bench_e2e", REPO / "bench" / "e2e.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event(name: str, at: float) -> str:
    ts = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"data": {}, "info": {"name": name, "ts": ts, "msg": name}})


def _invocation(root: Path, folder: str, events: list[tuple[str, float]]) -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "dbt.log").write_text("\n".join(_event(n, t) for n, t in events) + "\n", encoding="utf-8")


def test_windows_run_from_the_first_node_start_to_the_last_node_end(e2e, tmp_path):
    t = 1_800_000_000.0
    # two threads: a node that starts later may finish first
    _invocation(tmp_path, "eduhouse_dbt_daily-aaa", [
        ("MainReportVersion", t), ("FoundStats", t + 0.3), ("NodeStart", t + 0.7), ("NodeStart", t + 0.9),
        ("NodeFinished", t + 2.0), ("NodeFinished", t + 3.2), ("CommandCompleted", t + 3.25)])
    # no node ran (nothing selected): 0
    _invocation(tmp_path, "eduhouse_dbt_models-bbb", [("MainReportVersion", t + 10), ("CommandCompleted", t + 10.5)])
    # an invocation of an earlier run is not counted
    _invocation(tmp_path, "eduhouse_dbt_exam-ccc", [
        ("MainReportVersion", t - 100), ("NodeStart", t - 99), ("NodeFinished", t - 90)])

    windows = e2e.dbt_node_windows(tmp_path, since=t - 1)

    assert sorted(round(w, 3) for w in windows) == [0.0, 2.5]


def test_orchestration_adds_the_dbt_steps_time_outside_their_nodes(e2e):
    run = {"wall": 30.0, "steps": {"landing": 1.0, "dbt": 18.0, "role reports": 3.0}, "dbt_nodes": 15.5,
           "dbt_invocations": 3, "dbt_steps": 3}
    # 30 - 22 (steps) = 8 s no step accounts for, plus 18 - 15.5 = 2.5 s of dbt outside its nodes
    assert e2e.orchestration_seconds(run) == pytest.approx(10.5)
    assert e2e.unmatched_dbt_logs("one new day", run) is None
    # a step whose log the lake no longer keeps: said in the results, not silently counted
    warning = e2e.unmatched_dbt_logs("one new day", {**run, "dbt_invocations": 2})
    assert "2 invocations for 3 dbt steps" in warning
