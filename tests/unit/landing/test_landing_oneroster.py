"""OneRoster 1.1 CSV exports as real systems write them, and the rejects."""

from __future__ import annotations

import zipfile
from pathlib import Path

from orchestration.landing.oneroster import land_roster

MANIFEST = ("propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\n"
            "file.users,bulk\nfile.classes,bulk\nfile.enrollments,bulk\nfile.demographics,absent\n"
            "file.academicSessions,absent\nfile.courses,absent\n")
ORGS = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nd-1,,,D,district,,\ns-1,,,S,School,,d-1\n"
# Columns reordered, an extra column, CRLF, a BOM, no final newline, enum case, quoted lists.
USERS = ("\ufeffrole,sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,username,userIds,"
         "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,x_wechat\r\n"
         "Student,stu-1,,,TRUE,s-1,u1,,小明,王,,,,,,par-1,\"09,10\",secret,wx-1\r\n"
         "teacher,tch-1,Active,2021-09-01T08:00:00Z,true,\"s-1,d-1\",t1,,Li,Zhang,,,,,,,,pw,\r\n"
         "parent,par-1,,,false,s-1,p1,,A,B,,,,,,,,,")
CLASSES = ("sourcedId,title,classType,schoolSourcedId,grades,termSourcedIds,subjects,status,dateLastModified,"
           "courseSourcedId,classCode,location,subjectCodes,periods\n"
           "c-1,7-1,Homeroom,s-1,07,t-1,,,,,,,,\nc-2,7-1 数学,SCHEDULED,s-1,07,\"t-1,t-2\",math,,,,,,,\n")
ENROLLMENTS = ("sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
               "beginDate,endDate\ne-1,,,c-1,s-1,stu-1,student,false,2021-09-01,2022-01-31\n"
               "e-2,,,c-1,s-1,tch-1,Teacher,TRUE,2021-09-01,\n")
STAFF = ("sourcedId,userSourcedId,role,orgSourcedId,grade,subject,beginDate,endDate\n"
         "sa-1,tch-1,grade_leader,s-1,07,,2021-09-01,\n")


def write_roster(folder: Path, **files: str) -> Path:
    base = {"manifest.csv": MANIFEST, "orgs.csv": ORGS, "users.csv": USERS, "classes.csv": CLASSES,
            "enrollments.csv": ENROLLMENTS, "x_staff_assignments.csv": STAFF}
    base.update({k.replace("__", "."): v for k, v in files.items()})
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in base.items():
        if text is not None:
            (folder / name).write_bytes(text.encode("utf-8"))
    return folder


def test_real_export_shapes_land(lake, kit):
    write_roster(lake / "inbox/roster/2021-09-30-bulk")
    summary = land_roster(lake)
    assert summary.quarantined == 0, kit.quarantine(lake, "roster")
    users = kit.bronze(lake, "roster", "users",
                       "sourcedId, status, role, enabledUser, orgSourcedIds, grades, agentSourcedIds, "
                       "givenName, _extra, _position")
    assert users == [
        ("par-1", "active", "parent", False, ["s-1"], [], [], "A", '{"x_wechat":null}', 4),
        ("stu-1", "active", "student", True, ["s-1"], ["09", "10"], ["par-1"], "小明", '{"x_wechat":"wx-1"}', 2),
        ("tch-1", "active", "teacher", True, ["s-1", "d-1"], [], [], "Li", '{"x_wechat":null}', 3),
    ]
    cols = [r[0] for r in kit.rows(f"DESCRIBE SELECT * FROM '{lake}/bronze/roster/users/*.parquet'")]
    assert "password" not in cols and "dateLastModified_raw" in cols
    assert kit.bronze(lake, "roster", "classes", "sourcedId, classType, termSourcedIds") == [
        ("c-1", "homeroom", ["t-1"]), ("c-2", "scheduled", ["t-1", "t-2"])]
    assert kit.bronze(lake, "roster", "enrollments", "sourcedId, role, \"primary\", endDate::VARCHAR") == [
        ("e-1", "student", False, "2022-01-31"), ("e-2", "teacher", True, None)]
    assert kit.bronze(lake, "roster", "staff_assignments", "sourcedId, role") == [("sa-1", "grade_leader")]
    assert summary.tables["manifest"] == 9
    assert summary.records_in == summary.landed


def test_zip_delivery_lands_like_the_folder(lake, kit, tmp_path):
    src = write_roster(tmp_path / "export")
    (lake / "inbox/roster").mkdir(parents=True)
    with zipfile.ZipFile(lake / "inbox/roster/2021-09-30 bulk.zip", "w") as zf:
        for p in sorted(src.iterdir()):
            zf.write(p, f"oneroster/{p.name}")
    summary = land_roster(lake)
    assert [(d.delivery_id, d.status) for d in summary.deliveries] == [("2021-09-30~20bulk.zip", "landed")]
    assert summary.tables["users"] == 3
    # The same export as a folder is the same content: a duplicate.
    write_roster(lake / "inbox/roster/z-folder")
    again = land_roster(lake)
    assert [(d.delivery_id, d.status) for d in again.deliveries] == [("z-folder", "duplicate")]


def test_a_misspelt_date_last_modified_header_quarantines_the_file(lake, kit):
    """`dataLastModified` is not OneRoster: landing the rows undated would let them lose
    to any older version, so the file is a contract problem with a precise reason."""
    users = "sourcedId,status,dataLastModified,role\nstu-1,,2021-10-01T00:00:00Z,student\n"
    write_roster(lake / "inbox/roster/r1", users__csv=users)
    land_roster(lake)
    [(delivery, file, position, reason)] = [q for q in kit.quarantine(lake, "roster") if q[1] == "users.csv"]
    assert (file, position, reason) == ("users.csv", None, "missing_column")
    detail = kit.rows(f"SELECT detail FROM '{lake}/quarantine/roster/r1.parquet' WHERE file = 'users.csv'")
    assert "dateLastModified" in detail[0][0]


def test_bad_values_are_quarantined_with_reasons(lake, kit):
    users = ("sourcedId,status,role,enabledUser,orgSourcedIds,grades,dateLastModified\n"
             "stu-1,,student,true,s-1,07,\n"
             ",,student,true,s-1,07,\n"            # 3 missing sourcedId
             "stu-3,,hacker,true,s-1,07,\n"        # 4 bad role
             "stu-4,,student,maybe,s-1,07,\n"      # 5 bad boolean
             "stu-1,,student,true,s-1,07,\n"       # 6 duplicate sourcedId
             "stu-6,,student\n"                    # 7 too few fields
             "stu-7,deleted,student,true,s-1,07,\n"  # 8 bad status
             "stu-8,,student,true,s-1,07,,extra\n"  # 9 too many fields
             "stu-9,,student,true,,07,\n"          # 10 a student in no org (OneRoster: 1..*)
             "stu-10,tobedeleted,student,true,,07,\n"  # its removal needs none
             "tch-9,,teacher,true,,,\n"            # a teacher may come without one
             "stu-11,tobedeleted,,,,,\n"           # a deletion needs its key alone (OneRoster 1.1)
             "stu-12,,,true,s-1,07,\n")            # 14 anything else needs its role
    enroll = ("sourcedId,classSourcedId,userSourcedId,role,beginDate,endDate,dateLastModified\n"
              "e-1,c-1,stu-1,student,2021-02-30,,\n"
              "e-2,c-1,stu-1,student,2021-09-01,2021-08-01,\n")
    write_roster(lake / "inbox/roster/r1", users__csv=users, enrollments__csv=enroll)
    land_roster(lake)
    assert kit.quarantine(lake, "roster") == [
        ("r1", "enrollments.csv", 2, "invalid_date"), ("r1", "enrollments.csv", 3, "invalid_date"),
        ("r1", "users.csv", 3, "missing_required"), ("r1", "users.csv", 4, "invalid_enum"),
        ("r1", "users.csv", 5, "invalid_value"), ("r1", "users.csv", 6, "duplicate_id"),
        ("r1", "users.csv", 7, "wrong_column_count"), ("r1", "users.csv", 8, "invalid_enum"),
        ("r1", "users.csv", 9, "wrong_column_count"), ("r1", "users.csv", 10, "missing_required"),
        ("r1", "users.csv", 14, "missing_required"),
    ]
    rec = kit.rows(f"SELECT record FROM '{lake}/quarantine/roster/r1.parquet' WHERE position = 7")
    assert rec == [("stu-6,,student",)]
    assert kit.bronze(lake, "roster", "users", "sourcedId") == [("stu-1",), ("stu-10",), ("stu-11",), ("tch-9",)]


def test_missing_column_rejects_that_file_only(lake, kit):
    write_roster(lake / "inbox/roster/r1", classes__csv="sourcedId,title,schoolSourcedId\nc-1,7-1,s-1\n")
    summary = land_roster(lake)
    assert kit.quarantine(lake, "roster") == [("r1", "classes.csv", None, "missing_column")]
    assert summary.tables["users"] == 3 and "classes" not in summary.tables
    assert summary.deliveries[0].status == "landed"


def test_manifest_lists_a_file_that_is_missing(lake, kit):
    write_roster(lake / "inbox/roster/r1", enrollments__csv=None)
    land_roster(lake)
    assert kit.quarantine(lake, "roster") == [("r1", "enrollments.csv", None, "missing_file")]


def test_a_file_the_manifest_says_is_absent_is_quarantined_unread(lake, kit):
    """file.demographics is absent in the manifest, yet a demographics.csv came along: it
    is not the source's change to make (the roster probe: read as a delta, it moved a
    birth date across the under-14 line). The other files land."""
    write_roster(lake / "inbox/roster/r1", demographics__csv="sourcedId,status,dateLastModified,birthDate,sex\n"
                                                             "stu-1,,,2015-01-01,female\n")
    summary = land_roster(lake)
    got = kit.quarantine(lake, "roster")
    assert got == [("r1", "demographics.csv", None, "file_marked_absent")]
    assert "demographics" not in summary.tables and summary.tables["users"] == 3
    assert summary.deliveries[0].status == "landed"


def test_no_manifest_or_broken_zip_is_unreadable(lake, kit):
    write_roster(lake / "inbox/roster/a-no-manifest", manifest__csv=None)
    (lake / "inbox/roster/b-broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    summary = land_roster(lake)
    assert {d.delivery_id: d.status for d in summary.deliveries} == {
        "a-no-manifest": "unreadable", "b-broken.zip": "unreadable"}
    assert kit.quarantine(lake, "roster") == [
        ("a-no-manifest", "manifest.csv", None, "missing_file"), ("b-broken.zip", None, None, "unreadable_file")]


def test_non_utf8_file_in_a_roster(lake, kit):
    folder = write_roster(lake / "inbox/roster/r1")
    (folder / "orgs.csv").write_bytes(ORGS.replace("D,district", "区,district").encode("gbk"))
    land_roster(lake)
    assert kit.quarantine(lake, "roster") == [("r1", "orgs.csv", None, "not_utf8")]


def test_every_oneroster_user_role_lands(lake, kit):
    """OneRoster 1.1's eight user roles land, proctor among them (it was quarantined as
    invalid_enum while its enrollment landed: the roster probe)."""
    extra = ["\n" + ",".join([role, f"{role}-1", "", "", "true", "s-1", "", "", "N", "N"] + [""] * 9)
             for role in ("aide", "relative", "proctor", "guardian", "administrator")]
    write_roster(lake / "inbox/roster/2021-09-30-bulk", users__csv=USERS + "".join(extra))
    land_roster(lake)
    assert kit.quarantine(lake, "roster") == []
    assert sorted(r for (r,) in kit.bronze(lake, "roster", "users", "role")) == [
        "administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"]
