"""The deliveries have the exact shapes of the delivery contract (docs/inputs.md) and the world has the promised structure."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from eduhouse_dev.simulate.run import simulate

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CST = timezone(timedelta(hours=8))
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

HEADERS = {
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate",
    "x_staff_assignments.csv": "sourcedId,userSourcedId,role,orgSourcedId,grade,subject,beginDate,endDate",
    "manifest.csv": "propertyName,value",
}
EXAM_HEADERS = {
    "exam.csv": "exam_id,name,kind,academic_session,grade,subject,exam_date,org_sourcedId,sitting_id",
    "items.csv": "exam_id,item_id,max_score,knowledge_point_ids,ability",
    "scores.csv": "exam_id,student_sourcedId,item_id,score,status",
}


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _roster(lake: Path) -> Path:
    (folder,) = (lake / "inbox" / "roster").iterdir()
    return folder


def test_roster_files_headers_and_structure(tiny_lake):
    lake, summary = tiny_lake
    folder = _roster(lake)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-bulk", folder.name)
    for name, header in HEADERS.items():
        assert (folder / name).read_text(encoding="utf-8").splitlines()[0] == header, name
    assert (folder / "demographics.csv").read_text().splitlines()[0].startswith(
        "sourcedId,status,dateLastModified,birthDate,sex,")
    manifest = {r["propertyName"]: r["value"] for r in _rows(folder / "manifest.csv")}
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.1"
    assert manifest["file.users"] == "bulk" and manifest["file.results"] == "absent"

    orgs = _rows(folder / "orgs.csv")
    assert Counter(o["type"] for o in orgs) == {"local": 1, "district": 1, "school": 2}
    classes = _rows(folder / "classes.csv")
    homerooms = {c["sourcedId"] for c in classes if c["classType"] == "homeroom"}
    assert {c["grades"] for c in classes} == {f"{g:02d}" for g in range(7, 13)}
    assert all("," in c["termSourcedIds"] for c in classes)
    users = _rows(folder / "users.csv")
    students = {u["sourcedId"]: u for u in users if u["role"] == "student"}
    assert 150 <= len(students) <= 260
    guardians = {u["sourcedId"] for u in users if u["role"] in ("parent", "guardian")}
    for s in students.values():
        assert s["agentSourcedIds"] and set(s["agentSourcedIds"].split(",")) <= guardians
    enr = _rows(folder / "enrollments.csv")
    homeroom_of = Counter(e["userSourcedId"] for e in enr if e["classSourcedId"] in homerooms
                          and e["role"] == "student")
    assert set(homeroom_of) == set(students) and set(homeroom_of.values()) == {1}
    heads = [e for e in enr if e["role"] == "teacher" and e["primary"] == "true"]
    assert {e["classSourcedId"] for e in heads} == homerooms and len(heads) == len(homerooms)
    assert len({e["userSourcedId"] for e in heads}) == len(heads)
    assert {e["primary"] for e in enr} == {"true", "false"}
    staff = _rows(folder / "x_staff_assignments.csv")
    assert {s["role"] for s in staff} == {"grade_leader", "principal", "subject_researcher",
                                          "district_admin", "city_admin"}
    demo = _rows(folder / "demographics.csv")
    assert {d["sex"] for d in demo} == {"male", "female"}
    start = date.fromisoformat(summary["start"])
    ages = [(start - date.fromisoformat(d["birthDate"])).days / 365.25 for d in demo]
    assert min(ages) > 10 and max(ages) < 19 and any(a < 14 for a in ages)
    assert summary["world"]["students"] == len(students) and summary["world"]["under_14_at_start"] > 0
    w = summary["world"]
    assert len(users) == w["students"] + w["guardians"] + w["teachers"] + len(
        [u for u in users if u["sourcedId"].startswith("adm-")])
    assert summary["roster"]["rows"]["users"] == len(users)
    assert len(enr) == summary["roster"]["rows"]["enrollments"]
    teachers = [u for u in users if u["role"] == "teacher" and u["sourcedId"].startswith("tch-")]
    assert any("," in t["grades"] for t in teachers)  # multi-valued, quoted in the file
    assert '"' in (folder / "users.csv").read_text()


def test_xapi_lines_are_statements(clean_lake):
    lake, summary = clean_lake
    files = sorted((lake / "inbox" / "xapi").glob("*.jsonl.gz"))
    assert [f.name for f in files] == [f"2021-10-0{d}.jsonl.gz" for d in range(1, 5)]
    users = {r["sourcedId"] for r in _rows(_roster(lake) / "users.csv")}
    verbs, offsets, ids = Counter(), Counter(), set()
    for f in files:
        day = date.fromisoformat(f.name[:10])
        for line in gzip.decompress(f.read_bytes()).decode().splitlines():
            st = json.loads(line)
            assert UUID.match(st["id"]) and st["id"] not in ids
            ids.add(st["id"])
            assert st["actor"]["account"]["homePage"] == "https://slp.example.edu.cn"
            assert st["actor"]["account"]["name"] in users
            assert st["verb"]["id"].startswith("http")
            kind = st["object"].get("objectType", "Activity")
            if kind == "Agent":  # a student evaluation names the student evaluated
                assert st["object"]["account"]["name"] in users and st["result"]["response"]
            elif kind == "StatementRef":  # a voiding names the statement it withdraws
                assert UUID.match(st["object"]["id"])
            else:
                assert st["object"]["id"].startswith("https://")
            assert TS.match(st["timestamp"])
            offsets[st["timestamp"][-1]] += 1
            local = datetime.fromisoformat(st["timestamp"].replace("Z", "+00:00")).astimezone(CST)
            assert local.date() == day
            verb = st["verb"]["id"].rsplit("/", 1)[-1]
            verbs[verb] += 1
            if verb == "assign":
                assert "/classes/cls-" in st["context"]["contextActivities"]["grouping"][0]["id"]
            if verb == "answered":
                assert isinstance(st["result"]["success"], bool)
                assert 0 <= st["result"]["score"]["raw"] <= st["result"]["score"]["max"]
                assert st["context"]["contextActivities"]["parent"][0]["id"] in st["object"]["id"]
            if verb == "viewed":
                assert st["object"]["definition"]["type"]
                assert st["context"]["extensions"]["https://slp.example.edu.cn/extensions/knowledge-points"]
            if verb == "completed" and st["object"]["definition"]["type"].endswith("/activitytypes/check-in"):
                assert st["result"]["completion"] is True
            elif verb == "completed":
                assert -1 <= st["result"]["score"]["scaled"] <= 1
                assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+S)?", st["result"]["duration"])
    assert {"logged-in", "logged-out", "viewed", "assign", "answered", "completed", "submit", "registered",
            "evaluated"} <= set(verbs) <= {"logged-in", "logged-out", "viewed", "assign", "answered", "completed",
                                            "submit", "registered", "evaluated", "attended", "voided"}
    assert offsets["Z"] and offsets["0"]  # both `Z` and `+08:00`
    assert sum(verbs.values()) == summary["xapi"]["lines_written"] == summary["xapi"]["expected_landed"]


def test_exams_catalog_and_surveys(tiny_lake):
    lake, summary = tiny_lake
    kp = _rows(next((lake / "inbox" / "catalog").iterdir()) / "knowledge_points.csv")
    kp_ids = {r["kp_id"] for r in kp}
    exams = [d for d in (lake / "inbox" / "exams").iterdir() if not d.name.endswith("-resend")]
    assert len(exams) == summary["exams"]["exams"]
    grade12 = Counter()
    for d in exams:
        for name, header in EXAM_HEADERS.items():
            assert (d / name).read_text().splitlines()[0] == header
        (exam,) = _rows(d / "exam.csv")
        if exam["grade"] == "12" and exam["subject"] == "math":
            grade12[exam["academic_session"]] += 1
        items = _rows(d / "items.csv")
        for it in items:
            assert set(it["knowledge_point_ids"].split(";")) <= kp_ids
            assert re.fullmatch(r"[ABC][123]", it["ability"])
    assert list(grade12.values()) == [4]
    some = sorted(exams)[0]
    scores = _rows(some / "scores.csv")
    assert {r["status"] for r in scores} >= {"present"}
    assert all(r["score"] == "" for r in scores if r["status"] == "absent")

    fit_header = ("student_sourcedId,test_date,height_cm,weight_kg,vital_capacity_ml,run50m_s,"
                  "sit_reach_cm,standing_jump_cm,total_score,grade")
    for f in (lake / "inbox" / "fitness").glob("*.csv"):
        raw = f.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gbk")
        assert text.splitlines()[0] == fit_header
        for r in csv.DictReader(io.StringIO(text)):
            total = float(r["total_score"])
            want = "优秀" if total >= 90 else "良好" if total >= 80 else "及格" if total >= 60 else "不及格"
            assert r["grade"] == want
    for f in (lake / "inbox" / "psych").glob("*.csv"):
        raw = f.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # a Windows export: BOM, CRLF
        assert raw.decode("utf-8-sig").splitlines()[0] == (
            "student_sourcedId,screen_date,instrument,scale,score,risk_level")
    assert summary["psych"]["risk_levels"]["high"] > 0


def test_exam_scores_follow_ability(tiny_lake):
    """The item-response model gives real signal: strong students score higher on average."""
    lake, _ = tiny_lake
    totals: dict[str, float] = Counter()
    for d in (lake / "inbox" / "exams").iterdir():
        if "-12-" in d.name and not d.name.endswith("-resend"):
            for r in _rows(d / "scores.csv"):
                if r["status"] == "present" and r["score"].lstrip("-").isdigit():
                    totals[r["student_sourcedId"]] += float(r["score"])
    from eduhouse_dev.simulate.world import build_world

    world = build_world("tiny", 7, date(2021, 10, 1))
    pairs = [(world.stu_ability[i], totals[s]) for i, s in enumerate(world.stu_ids) if s in totals]
    pairs.sort()
    half = len(pairs) // 2
    low = sum(t for _, t in pairs[:half]) / half
    high = sum(t for _, t in pairs[half:]) / (len(pairs) - half)
    assert high > low * 1.1


def test_engagement_levels_differ(tmp_path):
    summary = simulate(tmp_path, scale="tiny", seed=3, days=2, dirt_rate=0, progress=lambda _m: None, governance=False)
    bands = {s["engagement_band"]: s for s in summary["world"]["schools"]}
    assert set(bands) == {"high", "low"}
    assert 0.03 <= bands["low"]["engagement"] <= 0.12 and bands["high"]["engagement"] >= 0.7
