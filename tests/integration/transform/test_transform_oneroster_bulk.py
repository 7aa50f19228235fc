"""OneRoster bulk and delta semantics, landed for real and modelled by dbt: a record a
newer bulk no longer holds has ended (a student who left a class stops being in it), a
delta changes only what it holds, `tobedeleted` ends a record, and the newest bulk is
found by its record time, not by its file name."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from orchestration.landing.oneroster import land_roster

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from dbt_runner import run_dbt  # noqa: E402

HEAD = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n"


def _delivery(inbox: Path, name: str, mode: str, rows: list[str]) -> None:
    folder = inbox / name
    folder.mkdir(parents=True)
    (folder / "manifest.csv").write_text(
        "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
        f"file.enrollments,{mode}\nfile.orgs,absent\nfile.users,absent\nfile.classes,absent\n")
    (folder / "enrollments.csv").write_text(HEAD + "".join(r + "\n" for r in rows))


def test_a_newer_bulk_ends_what_it_no_longer_holds(tmp_path):
    lake = tmp_path / "lake"
    inbox = lake / "inbox" / "roster"
    # Named so that the newer bulk sorts first: order comes from dateLastModified.
    _delivery(inbox, "a-october-bulk", "bulk", [
        "e-1,,2021-10-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-3,,2021-10-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,",
    ])
    _delivery(inbox, "b-september-bulk", "bulk", [
        "e-1,,2021-09-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-2,,2021-09-01T00:00:00Z,c-1,s-1,stu-2,student,false,2021-09-01,",   # left by October
        "e-3,,2021-09-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,",
    ])
    _delivery(inbox, "c-delta", "delta", [
        "e-4,,2021-10-05T00:00:00Z,c-1,s-1,stu-4,student,false,2021-10-05,",    # joined after the bulk
        "e-3,tobedeleted,2021-10-06T00:00:00Z,c-1,s-1,stu-3,student,false,2021-09-01,",
    ])
    summary = land_roster(lake)
    assert all(d.status == "landed" for d in summary.deliveries), summary.deliveries
    target = tmp_path / "target"
    run_dbt(lake, ["run", "--select", "stg_roster__enrollments"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    current = con.execute("select enrollment_sourced_id from staging.stg_roster__enrollments "
                          "order by 1").fetchall()
    assert current == [("e-1",), ("e-4",)]
