"""Run by test_automation_pool: one process materializing a dbt-like warehouse writer.

Usage: python pool_worker.py <lake> <label> <out.jsonl>; DAGSTER_HOME must be set.
The asset holds the DuckDB warehouse open for writing for ~1 s, like a dbt model.
"""

import json
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

lake, label, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])


@dg.asset(key=["marts", f"writer_{label}"], pool="duckdb_warehouse")
def writer():
    started = time.time()
    path = lake / "warehouse" / "eduhouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE IF NOT EXISTS runs (label VARCHAR, n BIGINT)")
        con.execute("INSERT INTO runs SELECT ?, range FROM range(100000)", [label])
        time.sleep(1)
    ended = time.time()
    with open(out, "a") as fh:
        fh.write(json.dumps({"label": label, "start": started, "end": ended}) + "\n")


if __name__ == "__main__":
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([writer], instance=instance, raise_on_error=False)
    sys.exit(0 if result.success else 1)
