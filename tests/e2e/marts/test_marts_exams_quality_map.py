"""quality_map against pandas over the bronze exam and roster Parquet."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.e2e


def test_quality_map_matches_bronze_recomputation(load_mart, reference):
    res = reference["results"].dropna(subset=["school"])
    exp = (res.groupby(["school", "subject", "exam_id", "exam_date", "grade"])
              .agg(students=("score", "size"), mean_score=("score", "mean"), mean_z=("z", "mean"))
              .reset_index()
              .sort_values(["school", "subject", "exam_date", "exam_id"]))
    exp["change"] = exp.groupby(["school", "subject"])["mean_z"].diff()
    exp["change_grade"] = exp.groupby(["school", "subject", "grade"])["mean_z"].diff()
    exp = exp.set_index(["school", "subject", "exam_id"]).sort_index()

    got = load_mart("quality_map").rename(columns={"school_sourced_id": "school"})
    got = got.set_index(["school", "subject", "exam_id"]).sort_index()
    assert got.index.is_unique
    assert list(got.index) == list(exp.index)
    np.testing.assert_array_equal(got["students"].to_numpy(), exp["students"].to_numpy())
    np.testing.assert_allclose(got["mean_score"], exp["mean_score"], atol=1e-9)
    np.testing.assert_allclose(got["mean_z"], exp["mean_z"], atol=1e-9)
    np.testing.assert_allclose(got["change_in_mean_z"].astype(float), exp["change"].astype(float),
                               atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got["change_in_mean_z_same_grade"].astype(float),
                               exp["change_grade"].astype(float), atol=1e-9, equal_nan=True)
    firsts = got.reset_index().groupby(["school", "subject"])["change_in_mean_z"].apply(lambda s: s.isna().sum())
    assert (firsts == 1).all(), "exactly the first exam of each school x subject has no change"
    assert got["school_name"].notna().all()
