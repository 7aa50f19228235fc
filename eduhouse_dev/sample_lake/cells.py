"""Suppression as the marts publish it, applied to the hand-made frames: the marts' own
dbt macro for the org rollups, and the nulling of a suppressed row's measures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.settings import DEFAULT_MIN_CELL


def suppression_flags(cells: pd.DataFrame, min_cell: int = DEFAULT_MIN_CELL) -> dict[str, bool]:
    """cell_id -> suppressed for hand-made cells (cell_id, line_id, total_of, size), by
    running the marts' own dbt macro (``dbt_project/macros/suppression.sql``, rendered
    with Jinja and run in DuckDB), so the sample lake has no suppression rule of its own."""
    import duckdb
    import jinja2

    from orchestration.settings import DBT_PROJECT_DIR

    # The macro is rendered outside dbt, so the engine macros it calls
    # (macros/engine/functions.sql) are given their DuckDB spellings here.
    duckdb_spelling = {
        "var": lambda name: min_cell,
        "fn": lambda name: name,
        "make_struct": lambda fields: "struct_pack(" + ", ".join(f"{n} := {e}" for n, e in fields) + ")",
    }
    macros = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "suppression.sql").read_text(),
                                              globals=duckdb_spelling).module
    con = duckdb.connect()
    con.register("cells_frame", cells)
    flags = con.execute(f"with cells as (select * from cells_frame), {macros.suppress_small_cells('cells')} "
                        "select cell_id, suppressed from suppression").df()
    con.close()
    return dict(zip(flags.cell_id, flags.suppressed.astype(bool), strict=True))


def suppressed_as_the_marts(frame: pd.DataFrame, line: list[str], size: str, measures: list[str],
                             parent: dict[str, str], min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """The marts' small-cell rule on a hand-made usage or micro-test table: school rows
    are parts of their district's line; district rows are its totals."""
    prefix = frame[line].astype(str).agg("|".join, axis=1)
    org = frame.org_sourced_id.astype(str)
    is_school = frame.org_type == "school"
    cells = pd.DataFrame({
        "cell_id": prefix + "|" + frame.org_type + ":" + org,
        "line_id": np.where(is_school, prefix + "|" + org.map(parent).fillna("?"), None),
        "total_of": np.where(is_school, None, prefix + "|" + org),
        "size": frame[size].astype("int64"),
    })
    hidden = cells.cell_id.map(suppression_flags(cells, min_cell)).astype(bool)
    out = frame.copy()
    out[measures] = out[measures].astype(float).where(~hidden)
    out["suppressed"] = hidden.to_numpy()
    return out


def hidden(frame: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """Null every measure of a suppressed row, as the marts publish it."""
    out = frame.copy()
    out[measures] = out[measures].astype(float).where(~out.suppressed)
    return out


def write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
