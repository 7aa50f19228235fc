"""Small-cell suppression for published aggregates.

A group with fewer than ``min_cell`` members is hidden (primary suppression). Where a
total is shown, one hidden cell in a row or column could be recovered by subtracting
the others from the total, so the next smallest cell of that line is hidden too
(complementary suppression), repeated until every line with a shown total has zero or
at least two hidden cells. Student-level pages for the student or parent are never
passed through here; only aggregates are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

SUPPRESSED_FLAG = "is_suppressed"


def primary_mask(counts: Iterable[float | None], min_cell: int) -> np.ndarray:
    """True where a group has 1..min_cell-1 members. Empty (0) and unknown groups stay shown:
    a zero reveals nobody, and the seeds require a zero rate to show as 0."""
    arr = np.asarray([np.nan if c is None else c for c in counts], dtype=float)
    return (arr > 0) & (arr < min_cell)


def complementary_mask(
    counts: np.ndarray,
    mask: np.ndarray,
    row_totals: bool = True,
    col_totals: bool = True,
) -> np.ndarray:
    """Extend ``mask`` over a 2-D table of group sizes so no hidden cell can be derived
    from a shown row or column total. Missing cells are NaN and never count as cells.

    For each line with a shown total holding exactly one hidden cell, the smallest shown
    cell of that line (ties: the first) is hidden too. Repeats until stable."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 1:
        counts = counts[:, None]
        mask = np.asarray(mask, dtype=bool)[:, None]
        squeeze = True
    else:
        mask = np.asarray(mask, dtype=bool)
        squeeze = False
    mask = mask.copy()
    present = ~np.isnan(counts)
    changed = True
    while changed:
        changed = False
        lines: list[tuple[int, int]] = []
        if col_totals:
            lines += [(1, j) for j in range(counts.shape[1])]
        if row_totals and counts.shape[1] > 1:
            lines += [(0, i) for i in range(counts.shape[0])]
        for axis, k in lines:
            if axis == 1:
                line_mask, line_counts, line_present = mask[:, k], counts[:, k], present[:, k]
            else:
                line_mask, line_counts, line_present = mask[k, :], counts[k, :], present[k, :]
            if int((line_mask & line_present).sum()) != 1:
                continue
            candidates = np.where(line_present & ~line_mask)[0]
            if candidates.size == 0:
                continue
            pick = candidates[np.argmin(line_counts[candidates])]
            if axis == 1:
                mask[pick, k] = True
            else:
                mask[k, pick] = True
            changed = True
    return mask[:, 0] if squeeze else mask


def suppress_frame(
    frame: pd.DataFrame,
    size_col: str,
    value_cols: Sequence[str],
    min_cell: int,
    total_shown: bool = True,
    line_cols: Sequence[str] = (),
) -> pd.DataFrame:
    """Return a copy of ``frame`` with ``value_cols`` set to None on suppressed rows and a
    boolean ``is_suppressed`` column.

    Rows are the cells of one column whose total is shown (``total_shown``); with
    ``line_cols`` the rows are split into independent lines (e.g. one per segment or
    month), each with its own shown total."""
    out = frame.copy()
    if out.empty:
        out[SUPPRESSED_FLAG] = pd.Series(dtype=bool)
        return out
    mask = primary_mask(out[size_col].tolist(), min_cell)
    if total_shown:
        sizes = out[size_col].astype(float).to_numpy()
        if line_cols:
            keys = out[list(line_cols)].astype(str).agg("\x1f".join, axis=1).to_numpy()
            for key in pd.unique(keys):
                idx = np.where(keys == key)[0]
                mask[idx] = complementary_mask(sizes[idx], mask[idx])
        else:
            mask = complementary_mask(sizes, mask)
    out[SUPPRESSED_FLAG] = mask
    for col in value_cols:
        out[col] = out[col].astype(object).where(~mask, None)
    return out


def suppress_matrix(
    sizes: pd.DataFrame, values: pd.DataFrame, min_cell: int, row_totals: bool = True, col_totals: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress a pivot (e.g. school × subject) of ``values`` whose group sizes are
    ``sizes`` (same index/columns). Returns (values with None where hidden, mask)."""
    counts = sizes.to_numpy(dtype=float)
    mask = primary_mask(counts.ravel().tolist(), min_cell).reshape(counts.shape)
    mask = complementary_mask(counts, mask, row_totals=row_totals, col_totals=col_totals)
    mask_df = pd.DataFrame(mask, index=sizes.index, columns=sizes.columns)
    return values.astype(object).where(~mask_df, None), mask_df
