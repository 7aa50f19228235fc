"""Exams, catalog, fitness, psych and governance CSVs: value checks and where rejects go."""

from __future__ import annotations

from pathlib import Path

from orchestration.landing.catalog import land_catalog
from orchestration.landing.exams import land_exams
from orchestration.landing.governance import land_governance
from orchestration.landing.surveys import land_fitness, land_psych


def write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")


EXAM = "exam_id,name,kind,academic_session,grade,subject,exam_date,org_sourcedId\nex-1,期中,Term,2021a,07,math,2021-11-05,d-1\n"
ITEMS = ("exam_id,item_id,max_score,knowledge_point_ids,ability\n"
         "ex-1,i1,5,kp-1;kp-2,a1\nex-1,i2,10,\"kp-3,kp-4\",B2\nex-1,i3,x,kp-3,B2\nex-1,i4,3,,D9\n"
         "ex-1,i1,5,kp-1,A1\n")  # 6: i1 again (its first row lands, and its scores with it)
SCORES = ("student_sourcedId,exam_id,item_id,score,status\n"   # columns in another order
          "stu-1,ex-1,i1,4,present\n"
          "stu-1,ex-1,i2,,ABSENT\n"
          "stu-2,ex-1,i1,6,present\n"       # 4 above max_score
          "stu-2,ex-1,i2,-1,present\n"      # 5 below zero
          "stu-2,ex-1,i9,1,present\n"       # 6 unknown item
          "stu-404,ex-1,i1,1,present\n"     # 7 unknown student
          "stu-2,ex-1,i1,1,late\n"          # 8 bad status
          "stu-2,ex-1,i1,,present\n"        # 9 present without score
          "stu-2,ex-1,i2,3,exempt\n"        # 10 exempt with a score: lands (only absent rows may not)
          "stu-1,ex-1,i1,2,present\n"       # 11 duplicate key
          "stu-1,ex-1,i4,1,present\n"       # 12 an item quarantined in items.csv
          "tch-1,ex-1,i1,5,present\n"       # 13 a teacher's id: a roster user, not a student
          "stu-2,ex-1,i2,3,absent\n")       # 14 absent with a score (and stu-2/i2 again)


def test_exam_scores_checked_against_items_and_roster(lake, kit):
    kit.roster_users(lake)
    write(lake / "inbox/exams/2021-11-05-ex-1", exam__csv=EXAM, items__csv=ITEMS, scores__csv=SCORES)
    summary = land_exams(lake)
    assert kit.quarantine(lake, "exams") == [
        ("2021-11-05-ex-1", "items.csv", 4, "invalid_type"),
        ("2021-11-05-ex-1", "items.csv", 5, "invalid_enum"),
        ("2021-11-05-ex-1", "items.csv", 6, "duplicate_id"),
        ("2021-11-05-ex-1", "scores.csv", 4, "invalid_value"),
        ("2021-11-05-ex-1", "scores.csv", 5, "invalid_value"),
        ("2021-11-05-ex-1", "scores.csv", 6, "unknown_reference"),
        ("2021-11-05-ex-1", "scores.csv", 7, "unknown_reference"),
        ("2021-11-05-ex-1", "scores.csv", 8, "invalid_enum"),
        ("2021-11-05-ex-1", "scores.csv", 9, "missing_required"),
        ("2021-11-05-ex-1", "scores.csv", 11, "duplicate_id"),
        ("2021-11-05-ex-1", "scores.csv", 12, "missing_required"),
        ("2021-11-05-ex-1", "scores.csv", 13, "unknown_reference"),
        ("2021-11-05-ex-1", "scores.csv", 14, "invalid_value"),
    ]
    details = dict(kit.rows(f"select position, detail from read_parquet('{lake}/quarantine/exams/*.parquet') "
                            "where file = 'scores.csv'"))
    assert details[12] == 'item "i4" was quarantined in items.csv (invalid_enum)', details[12]
    assert details[13] == 'student "tch-1" is a roster user but not a student', details[13]
    assert details[7] == 'student "stu-404" is not a roster user'
    assert kit.bronze(lake, "exams", "exam_scores", "student_sourcedId, item_id, score, status") == [
        ("stu-1", "i1", 4.0, "present"), ("stu-1", "i2", None, "absent"), ("stu-2", "i2", 3.0, "exempt")]
    assert kit.bronze(lake, "exams", "exam_items", "item_id, max_score, knowledge_point_ids, ability") == [
        ("i1", 5.0, ["kp-1", "kp-2"], "A1"), ("i2", 10.0, ["kp-3", "kp-4"], "B2")]  # ';' or ','-separated
    assert kit.bronze(lake, "exams", "exams", "kind, exam_date::VARCHAR") == [("term", "2021-11-05")]
    assert summary.records_in == summary.landed + summary.quarantined == 1 + 5 + 13


def test_an_exam_without_its_session_grade_or_subject_is_quarantined_whole(lake, kit):
    """Each places the exam's figures (term, cohort, subject, ranking): an exam without one
    could be published nowhere, and once landed it broke the marts' build."""
    kit.roster_users(lake)
    for name, row in (("no-subject", "ex-2,x,term,2021a,07,,2021-11-05,d-1"),
                      ("no-grade", "ex-3,x,term,2021a,,math,2021-11-05,d-1"),
                      ("no-session", "ex-4,x,term,,07,math,2021-11-05,d-1"),
                      ("no-org", "ex-5,x,term,2021a,07,math,2021-11-05,")):  # it left the top lists unsaid
        exam_id = row.split(",")[0]
        write(lake / f"inbox/exams/2021-11-05-{name}", exam__csv=EXAM.splitlines()[0] + "\n" + row + "\n",
              items__csv=f"exam_id,item_id,max_score\n{exam_id},i1,5\n",
              scores__csv=f"exam_id,student_sourcedId,item_id,score,status\n{exam_id},stu-1,i1,4,present\n")
    summary = land_exams(lake)
    rows = kit.quarantine(lake, "exams")
    assert [(d, f, r) for d, f, _, r in rows if f == "exam.csv"] == [
        ("2021-11-05-no-grade", "exam.csv", "missing_required"),
        ("2021-11-05-no-org", "exam.csv", "missing_required"),
        ("2021-11-05-no-session", "exam.csv", "missing_required"),
        ("2021-11-05-no-subject", "exam.csv", "missing_required")]
    assert len(rows) == 12  # each exam with its item and its score: nothing landed, nothing lost
    # they go with their exam for its reason, not as an unknown exam (it is the same exam_id)
    details = {(d, f): (r, x) for d, f, r, x in __import__("duckdb").sql(
        f"SELECT delivery_id, file, reason, detail FROM read_parquet('{lake}/quarantine/exams/*.parquet')").fetchall()}
    assert details[("2021-11-05-no-grade", "scores.csv")] == (
        "missing_required", "exam \"ex-3\" was quarantined in exam.csv (missing_required)")
    assert details[("2021-11-05-no-subject", "items.csv")][0] == "missing_required"
    assert kit.bronze(lake, "exams", "exams", "exam_id") == []
    assert summary.records_in == summary.quarantined == 12 and summary.landed == 0


def test_exam_without_scores_file_is_unreadable(lake, kit):
    kit.roster_users(lake)
    write(lake / "inbox/exams/e1", exam__csv=EXAM, items__csv=ITEMS)
    summary = land_exams(lake)
    assert summary.deliveries[0].status == "unreadable"
    assert kit.quarantine(lake, "exams") == [("e1", "scores.csv", None, "missing_file")]
    assert kit.bronze(lake, "exams", "exams") == []  # nothing of it lands


def test_fitness_ranges_dates_grades(lake, kit):
    kit.roster_users(lake)
    head = "student_sourcedId,test_date,height_cm,weight_kg,vital_capacity_ml,run50m_s,sit_reach_cm,standing_jump_cm,total_score,grade\r\n"
    body = ("stu-1,2021-10-02,151.5,45,2500,8.9,10,180,85,良好\r\n"
            "stu-2,2021-10-02,-150,45,2500,8.9,10,180,85,良好\r\n"    # 3 height below 0
            "stu-2,2021-02-30,150,45,2500,8.9,10,180,85,良好\r\n"     # 4 date
            "stu-2,2021-10-02,150,45,2500,-9,10,180,85,良好\r\n"      # 5 run50m below 0
            "stu-2,2021-10-02,150,45,2500,9,10,180,85,优\r\n"         # 6 grade
            "stu-2,2021-10-02,150,abc,2500,9,10,180,85,及格")         # 7 weight not a number
    (lake / "inbox/fitness").mkdir(parents=True)
    (lake / "inbox/fitness/2021-10-02-sch-1.csv").write_bytes(("\ufeff" + head + body).encode())
    land_fitness(lake)
    assert [q[2:] for q in kit.quarantine(lake, "fitness")] == [
        (3, "invalid_value"), (4, "invalid_date"), (5, "invalid_value"), (6, "invalid_enum"), (7, "invalid_type")]
    assert kit.bronze(lake, "fitness", "fitness_results", "student_sourcedId, height_cm, grade, _file") == [
        ("stu-1", 151.5, "良好", "2021-10-02-sch-1.csv")]


def test_fitness_implausible_but_possible_values_land(lake, kit):
    """Only what cannot be a measurement is quarantined. A 3 m height (a unit slip), a
    4.9 s 50 m run, a 210 kg weight, a reach of -45 cm and a total of 125 are possible
    data: they land, and the bronze suite's plausibility ranges warn about them."""
    kit.roster_users(lake)
    head = "student_sourcedId,test_date,height_cm,weight_kg,vital_capacity_ml,run50m_s,sit_reach_cm,standing_jump_cm,total_score,grade\n"
    body = ("stu-1,2021-10-02,300,45,2500,8.9,10,180,85,良好\n"
            "stu-2,2021-10-02,150,210,12000,4.9,-45,420,125,优秀\n")
    (lake / "inbox/fitness").mkdir(parents=True)
    (lake / "inbox/fitness/2021-10-02-sch-1.csv").write_text(head + body, encoding="utf-8")
    summary = land_fitness(lake)
    assert (summary.landed, summary.quarantined) == (2, 0), kit.quarantine(lake, "fitness")
    assert kit.bronze(lake, "fitness", "fitness_results",
                      "student_sourcedId, height_cm, weight_kg, run50m_s, sit_reach_cm, total_score") == [
        ("stu-1", 300.0, 45.0, 8.9, 10.0, 85.0), ("stu-2", 150.0, 210.0, 4.9, -45.0, 125.0)]


def test_fitness_not_utf8_is_unreadable(lake, kit):
    kit.roster_users(lake)
    (lake / "inbox/fitness").mkdir(parents=True)
    (lake / "inbox/fitness/gbk.csv").write_bytes("student_sourcedId,test_date,grade\nstu-1,2021-10-02,优秀\n".encode("gbk"))
    summary = land_fitness(lake)
    assert summary.deliveries[0].status == "unreadable"
    assert kit.quarantine(lake, "fitness") == [("gbk.csv", "gbk.csv", None, "not_utf8")]
    # the detail says which encoding it is in, so the school knows what to change (the
    # surveys probe: a school's whole fitness file refused for its encoding)
    [(detail,)] = kit.rows(f"SELECT detail FROM '{lake}/quarantine/fitness/gbk.csv.parquet'")
    assert detail.endswith("it reads as GB18030 (GBK), the Chinese national encoding: export it again as UTF-8")


def test_a_file_in_no_encoding_gets_no_guess(lake, kit):
    kit.roster_users(lake)
    (lake / "inbox/fitness").mkdir(parents=True)
    (lake / "inbox/fitness/bin.csv").write_bytes(b"student_sourcedId,test_date\n\xff\xfe\xfd\xfc,2021\n")
    land_fitness(lake)
    [(detail,)] = kit.rows(f"SELECT detail FROM '{lake}/quarantine/fitness/bin.csv.parquet'")
    assert "GB18030" not in detail


def test_psych_risk_levels(lake, kit):
    kit.roster_users(lake)
    write(lake / "inbox/psych", **{"p1__csv": (
        "student_sourcedId,screen_date,instrument,scale,score,risk_level\n"
        "stu-1,2021-10-01,MHT,total,40,None\nstu-2,2021-10-01,MHT,total,70,medium\n"
        "stu-404,2021-10-01,MHT,total,70,high\n")})
    land_psych(lake)
    assert [q[2:] for q in kit.quarantine(lake, "psych")] == [(3, "invalid_enum"), (4, "unknown_reference")]
    assert kit.bronze(lake, "psych", "psych_screenings", "risk_level") == [("none",)]


def test_governance_grants_and_consents(lake, kit):
    kit.roster_users(lake)
    grants = ("grant_id,principal_id,principal_type,role,scope_type,scope_ids,resource,columns,actions,"
              "purposes,sensitive,granted_by,approved_by,valid_from,valid_to,revoked_at\n"
              "g1,tch-1,User,teacher,class,c-1;c-2,student_exam,score;rank,read,teaching,false,adm,adm,2021-09-01,,\n"
              "g2,tch-1,user,teacher,galaxy,c-1,student_exam,,read,teaching,false,adm,adm,2021-09-01,,\n"
              "g3,tch-1,user,teacher,class,c-1,student_exam,,read,teaching,false,adm,adm,2021-09-01,,2021-13-01\n"
              # a quoted comma-separated list, as real exports write them
              'g4,tch-1,user,teacher,class,"c-3,c-4",student_exam,"score, rank",read,teaching,false,adm,adm,2021-09-01,,\n'
              # a time without its UTC offset: the contract's every timestamp carries one
              "g5,tch-1,user,teacher,class,c-1,student_exam,,read,teaching,false,adm,adm,2021-09-01,,"
              "2021-10-01 10:00:00\n")
    consents = ("consent_id,student_sourcedId,guardian_sourcedId,purpose,data_category,status,given_at,withdrawn_at\n"
                "k1,stu-1,par-1,research,psych,given,2021-09-01T08:00:00+08:00,\nk2,stu-404,par-1,research,psych,given,,\n")
    write(lake / "inbox/governance/g", grants__csv=grants, consents__csv=consents)
    land_governance(lake, "Asia/Shanghai")
    assert [q[1:] for q in kit.quarantine(lake, "governance")] == [
        ("consents.csv", 3, "unknown_reference"), ("grants.csv", 3, "invalid_enum"),
        ("grants.csv", 4, "invalid_timestamp"), ("grants.csv", 6, "invalid_timestamp")]
    got = kit.bronze(lake, "governance", "grants",
                     "principal_type, scope_ids, columns, valid_from AT TIME ZONE 'UTC', valid_from_raw")
    # A bare date is local midnight (Asia/Shanghai): 16:00 UTC the day before.
    midnight = __import__("datetime").datetime(2021, 8, 31, 16, 0)
    assert got == [("user", ["c-1", "c-2"], ["score", "rank"], midnight, "2021-09-01"),
                   ("user", ["c-3", "c-4"], ["score", "rank"], midnight, "2021-09-01")]


def test_catalog(lake, kit):
    write(lake / "inbox/catalog/kp-2021", knowledge_points__csv=(
        "kp_id,subject,grade,name,parent_kp_id\nkp-1,math,07,有理数,\nkp-2,math,07,绝对值,kp-1\n,math,07,x,\n"))
    land_catalog(lake)
    assert kit.bronze(lake, "catalog", "knowledge_points", "kp_id, parent_kp_id") == [("kp-1", None), ("kp-2", "kp-1")]
    assert [q[2:] for q in kit.quarantine(lake, "catalog")] == [(4, "missing_required")]


def test_a_delivery_landed_again_keeps_its_first_landing_time(lake, kit):
    """The latest delivery of a key wins downstream (a grant, a consent, an exam), by its
    landing time. Landed again (`--full`, a rebuild), deliveries were stamped anew in
    inbox order, by name: a correction named to sort first then lost to its original. Each
    keeps its first landing's time, side by side or one at a time."""
    from orchestration.landing.core import EngineOptions
    from orchestration.landing.ledger import read_ledger

    kp = "kp_id,subject,grade,name,parent_kp_id\nkp-1,math,07,{name},\n"
    write(lake / "inbox/catalog/z-original", knowledge_points__csv=kp.format(name="有理数"))
    land_catalog(lake)
    write(lake / "inbox/catalog/a-correction", knowledge_points__csv=kp.format(name="有理数（修订）"))
    land_catalog(lake)
    first = {r["delivery_id"]: r["started_at"] for r in read_ledger(lake, "catalog")}
    assert first["a-correction"] > first["z-original"]

    def stamped():
        return dict(kit.bronze(lake, "catalog", "knowledge_points", "_delivery, _landed_at"))

    for threads in (1, 2):
        land_catalog(lake, rebuild=["z-original", "a-correction"], options=EngineOptions(threads=threads))
        assert {r["delivery_id"]: r["started_at"] for r in read_ledger(lake, "catalog")} == first
        landed = stamped()
        assert landed["a-correction"] > landed["z-original"], threads


def test_a_repeated_exam_row_takes_nothing_with_it(lake, kit):
    """exam.csv naming its exam twice: the second row is a duplicate, and the items and
    scores go with the first, which landed (they were quarantined with the duplicate)."""
    kit.roster_users(lake)
    write(lake / "inbox/exams/2021-11-05-twice", exam__csv=EXAM + EXAM.splitlines()[1] + "\n",
          items__csv="exam_id,item_id,max_score\nex-1,i1,5\n",
          scores__csv="exam_id,student_sourcedId,item_id,score,status\nex-1,stu-1,i1,4,present\n")
    summary = land_exams(lake)
    assert [(f, r) for _, f, _, r in kit.quarantine(lake, "exams")] == [("exam.csv", "duplicate_id")]
    assert kit.bronze(lake, "exams", "exam_scores", "student_sourcedId, score") == [("stu-1", 4.0)]
    assert summary.landed == 3 and summary.quarantined == 1
