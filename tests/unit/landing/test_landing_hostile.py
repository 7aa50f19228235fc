"""Deliveries of unexpected shape never stop a source: each ends landed or quarantined
with a precise reason, the deliveries beside it land, and conservation holds."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

from orchestration.landing import conservation
from orchestration.landing.oneroster import land_roster
from orchestration.landing.xapi import land_xapi

_spec = importlib.util.spec_from_file_location("roster_fixtures", Path(__file__).with_name("test_landing_oneroster.py"))
_roster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_roster)
write_roster = _roster.write_roster


def _conserved(lake: Path, source: str) -> None:
    report = conservation.check(lake, source)
    assert report.passed, (report.mismatches, report.orphans)


def test_a_folder_or_zip_where_one_file_is_expected(lake, kit):
    kit.roster_users(lake)
    inbox = lake / "inbox/xapi"
    kit.write_lines(inbox / "2021-10-01-folder/a.jsonl", [kit.statement(1)])
    kit.write_lines(inbox / "2021-10-01-folder/b.jsonl", [kit.statement(2)])
    (inbox / "2021-10-02-empty").mkdir(parents=True)
    with zipfile.ZipFile(inbox / "2021-10-03.zip", "w") as zf:
        zf.writestr("a.jsonl", "{}\n")
        zf.writestr("b.jsonl", "{}\n")
    kit.write_lines(inbox / "2021-10-04.jsonl", [kit.statement(4)])
    (inbox / "2021-10-00-empty.jsonl").write_bytes(b"")  # an empty file first: the empty folder is no copy of it
    summary = land_xapi(lake)
    assert {d.delivery_id: d.status for d in summary.deliveries} == {
        "2021-10-00-empty.jsonl": "landed", "2021-10-01-folder": "unreadable", "2021-10-02-empty": "unreadable",
        "2021-10-03.zip": "unreadable", "2021-10-04.jsonl": "landed"}
    assert {q[3] for q in kit.quarantine(lake, "xapi")} == {"unexpected_shape"}
    assert kit.bronze(lake, "xapi", "statements", "_delivery") == [("2021-10-04.jsonl",)]
    _conserved(lake, "xapi")
    assert land_xapi(lake).deliveries == []  # ledgered: the next run is not stopped by them


def test_a_zip_bomb_is_refused_by_size(lake, kit, tmp_path, monkeypatch):
    monkeypatch.setenv("EDUHOUSE_MAX_DELIVERY_BYTES", str(1 << 20))
    src = write_roster(tmp_path / "export")
    (lake / "inbox/roster").mkdir(parents=True)
    with zipfile.ZipFile(lake / "inbox/roster/bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.iterdir()):
            zf.write(p, p.name)
        zf.writestr("padding.csv", b"\0" * (8 << 20))  # 8 MiB of zeros: a few kB zipped
    assert (lake / "inbox/roster/bomb.zip").stat().st_size < 100_000
    [result] = land_roster(lake).deliveries
    assert result.status == "unreadable" and result.reason.startswith("too_large")
    assert [q[3] for q in kit.quarantine(lake, "roster")] == ["too_large"]
    _conserved(lake, "roster")


def test_two_members_with_one_name_are_not_a_guess(lake, kit, tmp_path):
    src = write_roster(tmp_path / "export")
    (lake / "inbox/roster").mkdir(parents=True)
    with zipfile.ZipFile(lake / "inbox/roster/two.zip", "w") as zf:
        for p in sorted(src.iterdir()):
            zf.write(p, f"a/{p.name}")
        zf.write(src / "users.csv", "b/users.csv")
    [result] = land_roster(lake).deliveries
    assert result.status == "unreadable"
    [(_, _, _, reason)] = kit.quarantine(lake, "roster")
    assert reason == "duplicate_member" and "users.csv" in result.reason
    _conserved(lake, "roster")


def test_links_out_of_the_inbox_are_never_followed(lake, kit, tmp_path):
    kit.roster_users(lake)
    secret = tmp_path / "elsewhere" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    inbox = lake / "inbox/xapi"
    inbox.mkdir(parents=True)
    (inbox / "2021-10-01.jsonl").symlink_to(secret)
    kit.write_lines(inbox / "2021-10-02.jsonl", [kit.statement(2)])
    summary = land_xapi(lake)
    assert {d.delivery_id: d.status for d in summary.deliveries} == {
        "2021-10-01.jsonl": "unreadable", "2021-10-02.jsonl": "landed"}
    assert [q[3] for q in kit.quarantine(lake, "xapi")] == ["unsafe_path"]
    records = kit.rows(f"SELECT coalesce(record, '') || detail FROM '{lake}/quarantine/xapi/*.parquet'")
    assert all("root:x" not in r[0] for r in records)  # the target's lines never enter the lake
    _conserved(lake, "xapi")

    # A linked folder: users from elsewhere do not land as this district's roster.
    other = write_roster(tmp_path / "other-district")
    (lake / "inbox/roster").mkdir(parents=True)
    (lake / "inbox/roster/2021-09-01").symlink_to(other, target_is_directory=True)
    [result] = land_roster(lake).deliveries
    assert result.status == "unreadable" and result.reason.startswith("unsafe_path")
    assert not list((lake / "bronze/roster").rglob("2021-09-01.parquet"))


def test_an_overlong_line_is_quarantined_alone(lake, kit):
    kit.roster_users(lake)
    huge = kit.statement(2, context={"extensions": {"https://slp.example.edu.cn/x": "a" * (3 << 20)}})
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1), huge, kit.statement(3)])
    summary = land_xapi(lake)
    assert kit.quarantine(lake, "xapi") == [("d1.jsonl", "d1.jsonl", 2, "line_too_long")]
    assert kit.bronze(lake, "xapi", "statements", "_position") == [(1,), (3,)]
    assert (summary.records_in, summary.landed, summary.quarantined) == (3, 2, 1)
    _conserved(lake, "xapi")


FITNESS_HEAD = ("student_sourcedId,test_date,height_cm,weight_kg,vital_capacity_ml,run50m_s,sit_reach_cm,"
                "standing_jump_cm,total_score,grade")


def test_cr_only_line_ends_split_where_they_should(lake, kit):
    from orchestration.landing.surveys import land_fitness

    kit.roster_users(lake)
    kit.write_lines(lake / "inbox/xapi/d1.jsonl", [kit.statement(1), kit.statement(2), kit.statement(3)],
                    newline="\r")
    summary = land_xapi(lake)
    assert (summary.landed, summary.quarantined) == (3, 0), kit.quarantine(lake, "xapi")
    assert kit.bronze(lake, "xapi", "statements", "_position") == [(1,), (2,), (3,)]
    rows = [FITNESS_HEAD, "stu-1,2021-10-02,151.5,45,2500,8.9,10,180,85,良好",
            "stu-2,2021-10-02,-150,45,2500,8.9,10,180,85,良好"]
    (lake / "inbox/fitness").mkdir(parents=True)
    (lake / "inbox/fitness/cr.csv").write_bytes("\r".join(rows).encode())
    land_fitness(lake)
    assert kit.bronze(lake, "fitness", "fitness_results", "student_sourcedId, _position") == [("stu-1", 2)]
    assert [q[2:] for q in kit.quarantine(lake, "fitness")] == [(3, "invalid_value")]


def test_a_quoted_field_over_two_lines_keeps_positions_right(lake, kit):
    from orchestration.landing.surveys import land_fitness

    kit.roster_users(lake)
    text = "\n".join([
        FITNESS_HEAD + ",note",
        'stu-1,2021-10-02,151.5,45,2500,8.9,10,180,85,良好,"two\nlines"',   # lines 2-3
        "stu-2,2021-10-02,-150,45,2500,8.9,10,180,85,良好,x",              # line 4: bad height
        "stu-2,2021-10-03,150,45,2500,8.9,10,180,85,及格,y",               # line 5
    ])
    (lake / "inbox/fitness").mkdir(parents=True)
    (lake / "inbox/fitness/q.csv").write_bytes(text.encode())
    land_fitness(lake)
    quarantined = kit.rows(f"SELECT position, reason, record FROM '{lake}/quarantine/fitness/*.parquet'")
    assert [(p, r) for p, r, _ in quarantined] == [(4, "invalid_value")]
    assert quarantined[0][2].startswith("stu-2,2021-10-02,-150")
    assert sorted(kit.bronze(lake, "fitness", "fitness_results", "student_sourcedId, _position")) == [
        ("stu-1", 2), ("stu-2", 5)]
