"""student_knowledge against pandas over the bronze exam items and scores and the bronze
xAPI statements: exam items and micro-test answers together, with the evidence counts."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from orchestration.lake import LakePaths
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e

ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
ASSIGN = "http://activitystrea.ms/schema/1.0/assign"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _statements(lake) -> pd.DataFrame:
    return duckdb.connect().execute(
        "select * from read_parquet(?, hive_partitioning = false, union_by_name = true)",
        [str(LakePaths(lake).bronze_table("xapi", "statements") / "**" / "*.parquet")]).df()


def _ids(value) -> list[str]:
    return [] if value is None or (isinstance(value, float) and np.isnan(value)) else list(value)


def test_knowledge_from_exam_items_and_microtest_answers(exams_lake, reference, student_key, load_mart):
    cfg = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    thresholds, min_items = cfg["mastery_thresholds"], int(cfg.get("mastery_min_items", 3))

    # exam evidence: present answers of items with their knowledge points
    items = reference["items"][["exam_id", "item_id", "max_score", "knowledge_point_ids"]]
    scores = reference["scores"]
    present = scores[scores.status == "present"].merge(items, on=["exam_id", "item_id"])
    present = present[present.max_score > 0].assign(score=lambda x: x.score.fillna(0.0))
    exam = present.assign(kp_id=present.knowledge_point_ids.map(_ids)).explode("kp_id").dropna(subset=["kp_id"])
    exam = exam.groupby(["student_sourcedId", "kp_id"]).agg(exam_items=("item_id", "size"), exam_score=("score", "sum"),
                                                            exam_max=("max_score", "sum"))

    # micro-test evidence: live answered items; an item without knowledge points takes its
    # micro-test's (from the micro-test's assignment)
    st = _statements(exams_lake).drop_duplicates("statement_id")
    voided = set(st.loc[(st.verb_id == VOIDED) & (st.object_type == "StatementRef"), "object_id"].str.lower())
    st = st[~st.statement_id.str.lower().isin(voided)]
    assigned = st[(st.verb_id == ASSIGN) & ~st.object_definition_type.fillna("").str.contains("/activitytypes/")]
    mt_kps = {}
    for mt, kps in zip(assigned.object_id, assigned.knowledge_point_ids, strict=True):
        mt_kps.setdefault(mt, set()).update(_ids(kps))
    ans = st[st.verb_id == ANSWERED].copy()
    ans["parent"] = ans.context_parent_ids.map(lambda p: _ids(p)[0] if len(_ids(p)) else None)
    ans["kp_id"] = [(_ids(own) or sorted(mt_kps.get(parent, ()))) for own, parent in zip(ans.knowledge_point_ids, ans.parent, strict=True)]
    scored = ans.result_score_raw.notna() & (ans.result_score_max > 0)
    ans["score"] = np.where(scored, ans.result_score_raw, np.where(ans.result_success.fillna(False).astype(bool), 1.0, 0.0))
    ans["max"] = np.where(scored, ans.result_score_max, np.where(ans.result_success.notna(), 1.0, np.nan))
    ans = ans[ans["max"].notna()].explode("kp_id").dropna(subset=["kp_id"])
    micro = ans.groupby(["actor_name", "kp_id"]).agg(microtest_items=("statement_id", "size"), micro_score=("score", "sum"),
                                                     micro_max=("max", "sum"))
    micro.index = micro.index.set_names(["student_sourcedId", "kp_id"])
    assert len(micro), "the tiny district answers micro-tests"

    both = exam.join(micro, how="outer").fillna(0.0)
    both["items"] = both.exam_items + both.microtest_items
    both["rate"] = (both.exam_score + both.micro_score) / (both.exam_max + both.micro_max)
    both["level"] = np.select(
        [both["items"] < min_items, both.rate >= thresholds["mastered"], both.rate >= thresholds["developing"]],
        ["insufficient", "mastered", "developing"], "weak")
    both = both.reset_index()
    both["student_key"] = both.student_sourcedId.map(student_key)
    want = both.set_index(["student_key", "kp_id"]).sort_index()

    got = load_mart("student_knowledge").set_index(["student_key", "kp_id"]).sort_index()
    assert set(got.index) == set(want.index)
    want = want.reindex(got.index)
    for col in ("items", "exam_items", "microtest_items"):
        assert (got[col].to_numpy() == want[col].to_numpy().astype(int)).all(), col
    assert np.allclose(got.score_rate.to_numpy(float), want.rate.to_numpy(float), atol=1e-9)
    assert (got.mastery_level.to_numpy() == want.level.to_numpy()).all()
    # both kinds of evidence are there, and some knowledge points have only micro-test answers
    assert (got.exam_items > 0).any() and (got.microtest_items > 0).any() and (got.exam_items == 0).any()
