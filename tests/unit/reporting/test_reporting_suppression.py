"""Small-cell and complementary suppression (orchestration.reporting.suppression)."""

import numpy as np
import pandas as pd

from orchestration.reporting.suppression import (
    complementary_mask,
    primary_mask,
    suppress_frame,
    suppress_matrix,
)


def test_primary_hides_groups_under_min_cell_but_not_zero_or_unknown():
    assert primary_mask([0, 1, 9, 10, 50, None], 10).tolist() == [False, True, True, False, False, False]


def test_min_cell_is_configurable():
    assert primary_mask([4, 5], 5).tolist() == [True, False]


def test_single_hidden_cell_in_column_hides_next_smallest():
    sizes = np.array([30.0, 5.0, 12.0, 40.0])
    mask = complementary_mask(sizes, primary_mask(sizes, 10))
    assert mask.tolist() == [False, True, True, False]


def test_two_hidden_cells_need_no_complement():
    sizes = np.array([30.0, 5.0, 7.0, 40.0])
    assert complementary_mask(sizes, primary_mask(sizes, 10)).tolist() == [False, True, True, False]


def test_no_total_no_complement():
    frame = pd.DataFrame({"n": [30, 5, 12], "rate": [0.5, 0.2, 0.3]})
    out = suppress_frame(frame, "n", ["rate"], 10, total_shown=False)
    assert out["is_suppressed"].tolist() == [False, True, False]
    assert out["rate"].tolist() == [0.5, None, 0.3]


def test_frame_suppression_hides_values_and_complements_per_line():
    frame = pd.DataFrame(
        {
            "segment": ["junior", "junior", "junior", "senior", "senior"],
            "n": [100, 3, 20, 4, 8],
            "online": [50, 1, 10, 2, 3],
        }
    )
    out = suppress_frame(frame, "n", ["online"], 10, line_cols=["segment"])
    assert out["is_suppressed"].tolist() == [False, True, True, True, True]
    assert out["online"].tolist()[0] == 50
    assert out["online"].tolist()[1:] == [None, None, None, None]
    # the hidden cells cannot be recovered: the shown junior total minus shown cells
    # leaves the sum of at least two hidden cells
    junior_hidden = out[(out.segment == "junior") & out.is_suppressed]
    assert len(junior_hidden) >= 2


def test_matrix_complementary_across_rows_and_columns_is_stable():
    sizes = pd.DataFrame([[20, 5, 30], [25, 40, 35], [50, 60, 15]], index=list("abc"), columns=list("xyz"))
    values, mask = suppress_matrix(sizes, sizes * 1.0, 10)
    m = mask.to_numpy()
    assert m[0, 1]
    # every row and column has zero or >= 2 hidden cells
    for line in list(m) + list(m.T):
        assert line.sum() != 1
    assert values.loc["a", "y"] is None


def test_matrix_missing_cells_are_not_cells():
    sizes = pd.DataFrame([[np.nan, 5.0], [20.0, 30.0]], index=list("ab"), columns=list("xy"))
    _, mask = suppress_matrix(sizes, sizes, 10)
    # (a,y) hidden; column y then hides (b,y); row b then hides (b,x). The NaN cell is
    # never counted nor picked.
    assert mask.to_numpy().tolist() == [[False, True], [True, True]]
