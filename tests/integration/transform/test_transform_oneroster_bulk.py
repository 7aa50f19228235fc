"""OneRoster bulk and delta semantics, landed for real and modelled by dbt: a record a
newer bulk no longer holds has ended (a student who left a class stops being in it), a
delta changes only what it holds, `tobedeleted` ends a record, and the newest bulk is
found by its record time when every bulk has one, by landing order when one has none,
never by its file name."""

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
    current = con.execute("select enrollment_sourced_id, cast(end_date as varchar) "
                          "from staging.stg_roster__enrollments order by 1").fetchall()
    # e-2 left with the newer bulk; e-3's deletion (2021-10-06T00:00Z, 08:00 in the
    # district) ends it on the day before, not from the start: it was in c-1 until then
    assert current == [("e-1", None), ("e-3", "2021-10-05"), ("e-4", None)]


def _current(lake: Path, target: Path) -> list[str]:
    run_dbt(lake, ["run", "--select", "stg_roster__enrollments"], target)
    con = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute("select enrollment_sourced_id from staging.stg_roster__enrollments "
                                          "order by 1").fetchall()]
    finally:
        con.close()


def test_an_undated_bulk_is_ordered_by_landing_not_against_record_times(tmp_path):
    """OneRoster bulk files may leave dateLastModified empty. Such a bulk's only time is
    its landing, which a history loaded years later puts after every record time: it
    once stayed the newest bulk for ever, so a later delta's new enrollment and a later
    bulk's removals were both lost."""
    lake, target = tmp_path / "lake", tmp_path / "target"
    inbox = lake / "inbox" / "roster"
    _delivery(inbox, "r1-bulk", "bulk", [
        "e-1,,,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-2,,,c-1,s-1,stu-2,student,false,2021-09-01,",
    ])
    _delivery(inbox, "r2-delta", "delta", [
        "e-3,,2021-10-26T00:00:00Z,c-1,s-1,stu-3,student,false,2021-10-26,",    # joined
    ])
    land_roster(lake)
    assert _current(lake, target) == ["e-1", "e-2", "e-3"]
    _delivery(inbox, "r3-bulk", "bulk", [                                          # stu-2 left
        "e-1,,2021-11-01T00:00:00Z,c-1,s-1,stu-1,student,false,2021-09-01,",
        "e-3,,2021-11-01T00:00:00Z,c-1,s-1,stu-3,student,false,2021-10-26,",
    ])
    land_roster(lake)
    assert _current(lake, target) == ["e-1", "e-3"]
    _delivery(inbox, "r4-delta", "delta", [                                         # undated delta
        "e-4,,,c-1,s-1,stu-4,student,false,2021-11-05,",
    ])
    land_roster(lake)
    assert _current(lake, target) == ["e-1", "e-3", "e-4"]
