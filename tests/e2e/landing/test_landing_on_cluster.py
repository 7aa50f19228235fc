"""Landing on the Spark cluster lands exactly what landing in one process lands (issue:
scale-out).

One tiny simulated district's inbox (with the simulator's dirt: bad lines in every
source, a day of xAPI resent under another name) plus three deliveries written here:
another resend, a truncated gzip (unreadable), and a `voided` statement voiding a
statement of another delivery of the same batch. The inbox is copied into two lakes. One lands it the usual way, source by
source in one process (``LANDERS``). The other lands it through the Dagster landing
assets with the engine set to ``spark``, on the lake's own standalone cluster of two
one-core workers started by `eduhouse cluster up`: a few deliveries per task.

Then every ledger row (but its clock times), every bronze row (but its landing time) and
every quarantine row (likewise) must be equal between the two lakes, the conservation
checks must pass, and the tasks must have run on the cluster's workers. A third lake's
landing driver is killed as it is about to write a ledger row; landing again must finish
with the same ledger and bronze and nothing lost.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from eduhouse_dev.simulate.run import simulate
from orchestration.lake import SOURCES, LakePaths
from orchestration.landing import conservation, ledger
from orchestration.landing.assets import asset_key, landing_assets, landing_checks
from orchestration.landing.core import PARTITIONED, SOURCE_TABLES
from orchestration.landing.deliveries import discover
from orchestration.landing.sources import LANDERS
from orchestration.resources import EngineResource, LakeResource
from orchestration.settings import DEFAULT_TIMEZONE

pytestmark = [pytest.mark.e2e, pytest.mark.spark]  # make test-spark

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
CLOCKS = ("_landed_at", "quarantined_at", "started_at", "finished_at")


def _eduhouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args],
                          capture_output=True, text=True, timeout=300)


def _add_cross_delivery_void(inbox: Path) -> str:
    """A new delivery (dated two days later) voiding the first statement of the first day's
    delivery, by that statement's own actor. Returns the voided statement's id."""
    first = sorted((inbox / "xapi").glob("*.jsonl.gz"))[0]
    with gzip.open(first, "rt") as f:
        target = json.loads(f.readline())
    void = {"id": str(uuid.uuid4()), "actor": target["actor"], "verb": {"id": VOIDED},
            "object": {"objectType": "StatementRef", "id": target["id"]},
            "timestamp": "2021-10-03T02:00:00.000Z", "stored": "2021-10-03T02:00:01.000Z", "version": "1.0.3"}
    (inbox / "xapi" / "2021-10-03_zz_voids.jsonl").write_text(json.dumps(void) + "\n")
    return target["id"]


@pytest.fixture(scope="module")
def lakes(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster_landing")
    simulate(root / "sim", scale="tiny", seed=11, start=date(2021, 10, 1), days=3, progress=lambda *_: None)
    inbox = root / "sim" / "inbox"
    target = _add_cross_delivery_void(inbox)
    first = sorted((inbox / "xapi").glob("*.jsonl.gz"))[0]
    shutil.copy(first, inbox / "xapi" / f"{first.name.split('.')[0]}_resend.jsonl.gz")
    (inbox / "xapi" / "2021-10-02_cut.jsonl.gz").write_bytes(first.read_bytes()[:200])
    local, spread = root / "local", root / "spread"
    for lake in (local, spread):
        shutil.copytree(root / "sim" / "inbox", lake / "inbox")
    for source in SOURCES:  # the roster first: the others check against its users
        LANDERS[source](local, DEFAULT_TIMEZONE)
    started = _eduhouse("cluster", "up", "--lake", str(spread), "--workers", "2", "--cores-per-worker", "1",
                        "--memory-per-worker", "1g")
    try:
        assert started.returncode == 0, started.stderr
        resources = {"lake": LakeResource(root=str(spread)), "engine": EngineResource(name="spark")}
        assets = {a.key: a for a in landing_assets}
        checks = {c: [k.asset_key for k in c.check_keys][0] for c in landing_checks}
        runs = []
        for group in ([s for s in SOURCES if s not in PARTITIONED], [s for s in SOURCES if s in PARTITIONED]):
            keys = [asset_key(s) for s in group]
            runs.append(dg.materialize(
                [assets[k] for k in keys] + [c for c, k in checks.items() if k in keys],
                resources=resources, raise_on_error=False,
                partition_key="2021-10-01" if group[0] in PARTITIONED else None))
        yield local, spread, runs, target
    finally:
        _eduhouse("cluster", "down", "--lake", str(spread))


def _rows(lake: Path, glob: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        rel = con.sql(f"SELECT * FROM read_parquet('{glob}', union_by_name=true, hive_partitioning=false)")
        keep = [f'"{c}"' for c in rel.columns if c not in CLOCKS]
        return sorted(con.sql(f"SELECT {', '.join(keep)} FROM rel").fetchall(), key=repr)
    finally:
        con.close()


def _ledger(lake: Path, source: str) -> list[dict]:
    rows = [{k: v for k, v in r.items() if k not in CLOCKS} for r in ledger.read_ledger(lake, source)]
    return sorted(rows, key=lambda r: r["delivery_id"])


def test_the_assets_land_on_the_cluster_and_their_checks_pass(lakes):
    _local, spread, runs, _target = lakes
    for run in runs:
        assert run.success
        evals = [e.asset_check_evaluation_data for e in run.all_events
                 if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert evals
        for e in evals:
            if e.check_name == "deliveries_landed" and not e.passed:
                # a warning naming only the simulated deliveries that landed nothing
                source = e.asset_key.path[-1]
                refused = {r["delivery_id"] for r in e.metadata["refused_deliveries"].value}
                assert e.severity == dg.AssetCheckSeverity.WARN and refused
                assert refused <= {r["delivery_id"] for r in ledger.read_ledger(spread, source)
                                   if not r["landed"] and r["status"] != "duplicate"}, source
            else:
                assert e.passed, (e.asset_key, e.check_name)
    # The tasks ran in executors of the lake's workers (their scratch is the lake's).
    assert list((spread / "ops" / "spark" / "work").glob("app-*/*/stderr"))


def test_ledger_bronze_and_quarantine_equal_landing_in_one_process(lakes):
    local, spread, _runs, _target = lakes
    for source in SOURCES:
        assert _ledger(local, source) == _ledger(spread, source), source
        assert _ledger(local, source), source
        for table in SOURCE_TABLES[source]:
            folder = LakePaths(local).bronze / source / table
            if not any(folder.rglob("*.parquet")):
                assert not any((LakePaths(spread).bronze / source / table).rglob("*.parquet"))
                continue
            glob = "**/*.parquet"
            assert _rows(local, str(folder / glob)) == _rows(
                spread, str(LakePaths(spread).bronze / source / table / glob)), (source, table)
        report = conservation.check(spread, source)
        assert report.passed and report.records_in == report.landed + report.quarantined, source
        # the driver gives landing times in inbox order, whichever task ran first: the later
        # delivery of a key wins downstream by its landing
        order = {d.delivery_id: i for i, d in enumerate(discover(spread, source))}
        landed = sorted((r for r in ledger.read_ledger(spread, source) if r["status"] == "landed"),
                        key=lambda r: order[r["delivery_id"]])
        times = [r["started_at"] for r in landed]
        assert times == sorted(times), source
    for lake in (local, spread):
        assert (LakePaths(lake).quarantine / "xapi").is_dir()
    assert _rows(local, str(LakePaths(local).quarantine / "*" / "*.parquet")) == _rows(
        spread, str(LakePaths(spread).quarantine / "*" / "*.parquet"))


def test_the_batch_decisions_stay_with_the_driver(lakes):
    """Resends are ledgered as duplicates, and a delivery voiding a statement of another
    delivery of the batch lists the voided statement's date."""
    _local, spread, _runs, target = lakes
    statuses = {r["status"] for s in SOURCES for r in ledger.read_ledger(spread, s)}
    assert {"landed", "duplicate", "unreadable"} <= statuses
    voids = next(r for r in ledger.read_ledger(spread, "xapi") if r["delivery_id"].endswith("_zz_voids.jsonl"))
    con = duckdb.connect()
    try:
        (day,), = con.execute(
            "SELECT DISTINCT strftime(local_date, '%Y-%m-%d') FROM read_parquet(?, hive_partitioning=false) "
            "WHERE statement_id = lower(?) AND _delivery <> ?",
            [str(LakePaths(spread).bronze / "xapi" / "statements" / "*" / "*.parquet"), target,
             voids["delivery_id"]]).fetchall()
    finally:
        con.close()
    assert day in voids["local_dates"]


CRASH = """
import sys
from pathlib import Path
from orchestration.cluster.tasks import ClusterTasks
from orchestration.lake import SOURCES
from orchestration.landing.on_cluster import land_on_cluster
lake, master = Path(sys.argv[1]), sys.argv[2]
with ClusterTasks(master, "eduhouse test: crash while landing") as tasks:
    for source in SOURCES:
        land_on_cluster(tasks, lake, source, "Asia/Shanghai")
"""


def test_a_driver_killed_before_its_ledger_rows_loses_nothing(lakes, tmp_path):
    """The driver is killed (SIGKILL) as it is about to ledger an xAPI delivery whose
    files the tasks wrote; landing again finishes the work: the same ledger, bronze and
    quarantine as landing in one process, and conservation holds."""
    from orchestration.cluster.standalone import load as load_cluster
    from orchestration.cluster.tasks import ClusterTasks
    from orchestration.landing.on_cluster import land_on_cluster

    local, spread, _runs, _target = lakes
    crashed = tmp_path / "crashed"
    shutil.copytree(local / "inbox", crashed / "inbox")
    master = load_cluster(spread).master_url
    killed = subprocess.run([sys.executable, "-c", CRASH, str(crashed), master], capture_output=True, text=True,
                            timeout=600, env={**os.environ, "EDUHOUSE_FAULT_AT": "landing:xapi:2021-10-02"})
    assert killed.returncode == -9, killed.stderr[-2000:]
    ledgered = {r["delivery_id"] for r in ledger.read_ledger(crashed, "xapi")}
    assert "2021-10-02.jsonl.gz" not in ledgered and "2021-10-01.jsonl.gz" in ledgered
    assert (LakePaths(crashed).bronze / "xapi" / "statements" / "local_date=2021-10-02" / "2021-10-02.jsonl.gz.parquet").exists()

    with ClusterTasks(master, "eduhouse test: landing again") as tasks:
        for source in SOURCES:
            land_on_cluster(tasks, crashed, source, DEFAULT_TIMEZONE)
    for source in SOURCES:
        assert conservation.check(crashed, source).passed, source
        assert _ledger(crashed, source) == _ledger(local, source), source
    glob = "**/*.parquet"
    assert _rows(crashed, str(LakePaths(crashed).bronze / "xapi" / "statements" / glob)) == _rows(
        local, str(LakePaths(local).bronze / "xapi" / "statements" / glob))
