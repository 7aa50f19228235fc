"""The simulator's ground truth, kept outside the inbox: what dirt was injected, and the world.

`<lake>/simulator/truth/dirt.parquet` lists every defect with where it is and what landing
must do with it; `summary.json` has counts per source and the world's key facts, so
tests can check landing and the marts against what was really generated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from eduhouse_dev.simulate.dirt import DirtLog
from orchestration.lake import LakePaths

DIRT_SCHEMA = pa.schema([
    ("source", pa.string()), ("delivery_path", pa.string()), ("file", pa.string()),
    ("position", pa.int64()), ("kind", pa.string()), ("expected", pa.string()),
    ("expected_reason", pa.string()),
])


def truth_dir(lake: Path) -> Path:
    return LakePaths(Path(lake)).simulator / "truth"


def write_truth(lake: Path, log: DirtLog, summary: dict) -> None:
    out = truth_dir(lake)
    out.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(log.rows, schema=DIRT_SCHEMA)
    pq.write_table(table, out / "dirt.parquet", compression="zstd")
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
