"""The work journal a run keeps in <lake>/ops/work.json: what a run that dies leaves for
the next one, which resumes where it died."""

from __future__ import annotations

import dagster as dg

from orchestration.runner.recovery import WorkJournal, stage_marker


def test_the_journal_survives_a_reload_and_merges_a_dead_plan(tmp_path):
    dead = WorkJournal.new({"bronze/xapi", "marts/usage_monthly"}, {"xapi": {"a.jsonl"}}, full=False)
    dead.done.add(stage_marker("daily models 2021-10-01..2021-10-02", [dg.AssetKey(["staging", "s"])]))
    dead.save(tmp_path)
    loaded = WorkJournal.load(tmp_path)
    assert loaded == dead
    now = WorkJournal.new({"reports/index"}, {"xapi": {"a.jsonl", "b.jsonl"}}, full=True).merged(loaded)
    assert now.keys == {"bronze/xapi", "marts/usage_monthly", "reports/index"}
    assert now.ledger_before == {"xapi": {"a.jsonl"}}  # the older ledger: what the dead run landed is new
    assert now.full and now.done == dead.done
    WorkJournal.clear(tmp_path)
    assert WorkJournal.load(tmp_path) is None


def test_a_stage_is_done_only_for_the_same_partitions_and_assets():
    keys = [dg.AssetKey(["staging", "a"]), dg.AssetKey(["staging", "b"])]
    marker = stage_marker("daily models 2021-10-01..2021-10-02", keys)
    assert marker == stage_marker("daily models 2021-10-01..2021-10-02", list(reversed(keys)))
    assert marker != stage_marker("daily models 2021-10-01..2021-10-03", keys)
    assert marker != stage_marker("daily models 2021-10-01..2021-10-02", keys[:1])
