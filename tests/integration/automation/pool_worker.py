"""Run by test_automation_pool: one process materializing a dbt-like warehouse writer.

Usage: python pool_worker.py <lake> <label> <out.jsonl>; DAGSTER_HOME must be set.
The asset holds the DuckDB warehouse open for writing for ~1 s, like a dbt model, and
like dbt it does so in a child process: the file lock is gone when the step ends, as it
is when dbt exits (an in-process connection can hold it past the step on a busy machine).
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from orchestration.dagster_home import get_instance

lake, label, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
WRITE = """
import sys, time, duckdb
with duckdb.connect(sys.argv[1]) as con:
    con.execute("CREATE TABLE IF NOT EXISTS runs (label VARCHAR, n BIGINT)")
    con.execute("INSERT INTO runs SELECT ?, range FROM range(100000)", [sys.argv[2]])
    time.sleep(1)
"""


@dg.asset(key=["marts", f"writer_{label}"], pool="duckdb_warehouse")
def writer():
    started = time.time()
    path = lake / "warehouse" / "eduhouse.duckdb"
    done = subprocess.run([sys.executable, "-c", WRITE, str(path), label], capture_output=True, text=True)
    if done.returncode != 0:  # the writer's own error (a lock conflict names the holder's pid)
        raise RuntimeError(f"writer {label} failed at {time.time():.3f} (started {started:.3f}): "
                           f"{done.stderr[-1500:]}")
    ended = time.time()
    with open(out, "a") as fh:
        fh.write(json.dumps({"label": label, "start": started, "end": ended}) + "\n")


if __name__ == "__main__":
    # The lake's instance, as `eduhouse run` builds it (from the lake's folder, not DAGSTER_HOME).
    with get_instance(lake) as instance:
        result = dg.materialize([writer], instance=instance, raise_on_error=False)
    sys.exit(0 if result.success else 1)
