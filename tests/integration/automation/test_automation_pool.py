"""Two runs writing the DuckDB warehouse at once are serialised by the pool, not corrupted."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.dagster_home import get_instance

WORKER = Path(__file__).with_name("pool_worker.py")


def test_pool_serialises_two_processes(lake):
    (lake / "warehouse").mkdir()
    # The lake's instance sets the pool's limit before either process claims it, as
    # `eduhouse run` and backfill do; both processes then build that instance too.
    get_instance(lake).dispose()
    out = lake / "intervals.jsonl"
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), str(lake), label, str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for label in ("a", "b")
    ]
    logs = [p.communicate(timeout=240)[0] for p in procs]
    # A failed writer's log from its own error on: the DuckDB child's stderr follows it.
    failed = [log[max(log.find("RuntimeError: writer "), 0):][:3000]
              for p, log in zip(procs, logs, strict=True) if p.returncode != 0]
    assert [p.returncode for p in procs] == [0, 0], "\n----\n".join(failed)

    first, second = sorted((json.loads(line) for line in out.read_text().splitlines()),
                           key=lambda r: r["start"])
    assert second["start"] >= first["end"], f"overlapping warehouse writes: {first} {second}"
    with duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT label, count(*) FROM runs GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("a", 100000), ("b", 100000)]
    # The pool the instance enforced is the configured one: limit 1.
    with get_instance(lake) as instance:
        assert instance.event_log_storage.get_concurrency_info("duckdb_warehouse").slot_count == 1
