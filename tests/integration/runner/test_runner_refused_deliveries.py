"""A delivery that lands nothing changes no table: `eduhouse run` does not rebuild what
reads only its source (runner/run.py, sources_that_landed)."""

from __future__ import annotations

from orchestration.landing.oneroster import land_roster
from orchestration.runner.run import sources_that_landed
from orchestration.runner.scope import ledger_ids

USERS = ("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,"
         "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
         "stu-1,,2021-09-01T00:00:00Z,true,s-1,student,u1,,A,A,,,,,,,07,\n")


def _roster(lake, name: str, manifest: bool, users: str = USERS) -> None:
    folder = lake / "inbox" / "roster" / name
    folder.mkdir(parents=True)
    if manifest:
        (folder / "manifest.csv").write_text("propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
                                             "file.users,delta\n")
    (folder / "users.csv").write_text(users)


def test_only_a_source_whose_new_deliveries_landed_records_counts_as_changed(tmp_path):
    """The UI probe's roster folder without manifest.csv was ledgered unreadable (nothing
    landed), yet the run rebuilt every roster model, 42 exams and the month from the same
    tables. A resend (a duplicate) lands nothing either; a good delta lands its records."""
    lake = tmp_path / "lake"
    before = ledger_ids(lake)
    _roster(lake, "r1-no-manifest", manifest=False)
    land_roster(lake)
    assert sources_that_landed(lake, before, ["roster"]) == []
    before = ledger_ids(lake)
    _roster(lake, "r2-delta", manifest=True)
    land_roster(lake)
    assert sources_that_landed(lake, before, ["roster"]) == ["roster"]
    before = ledger_ids(lake)
    _roster(lake, "r3-same-again", manifest=True)  # the same bytes under a new name
    land_roster(lake)
    assert sources_that_landed(lake, before, ["roster", "xapi"]) == []
