"""The sample's people and classes: students (identity), staff scopes, homerooms and
teaching classes, and who belongs to which class."""

from __future__ import annotations

from datetime import date

import pandas as pd

from eduhouse_dev.sample_lake.world import CITY, DISTRICTS, FAMILY, GIVEN, SUBJECT_CN, SUBJECTS


def build_people(schools: dict) -> dict[str, pd.DataFrame]:
    """ident (student_identity), staff (staff_scope), classes, and membership (class x
    student with the class's facts)."""
    students, homerooms, teaching, staff = [], [], [], []
    n = 0
    t = 0
    for sch, (sname, dist, _segment, grade, sizes) in schools.items():
        for h, size in enumerate(sizes, start=1):
            hr = f"{sch}-hr-{grade}-{h}"
            t += 1
            head = f"tch-{t:03d}"
            homerooms.append((hr, sch, grade, f"{int(grade)}年级{h}班", head))
            staff.append(dict(person_sourced_id=head, role="head_teacher", scope_type="class", scope_id=hr,
                              school_sourced_id=sch, district_sourced_id=dist, grade=grade, subject=None, class_sourced_id=hr))
            for subj in SUBJECTS:
                tc = f"{hr}-{subj}"
                # one math teacher teaches both homerooms of sch-1
                if subj == "math" and sch == "sch-1" and h == 2:
                    teacher = "tch-math-sch-1"
                elif subj == "math" and sch == "sch-1":
                    teacher = "tch-math-sch-1"
                else:
                    t += 1
                    teacher = f"tch-{t:03d}"
                teaching.append((tc, hr, subj, teacher))
                staff.append(dict(person_sourced_id=teacher, role="teacher", scope_type="class", scope_id=tc,
                                  school_sourced_id=sch, district_sourced_id=dist, grade=grade, subject=subj, class_sourced_id=tc))
            for _ in range(size):
                n += 1
                students.append(dict(
                    student_key=f"k{n:04d}", student_sourced_id=f"stu-{n:04d}",
                    given_name=GIVEN[n % len(GIVEN)] + GIVEN[(n // len(GIVEN)) % len(GIVEN)],
                    family_name=FAMILY[(n * 3) % len(FAMILY)], school_sourced_id=sch, school_name=sname,
                    grade=grade, homeroom_class_sourced_id=hr, homeroom_title=f"{int(grade)}年级{h}班", birth_date=date(2009 if grade == "07" else 2006, 1 + n % 12, 1),
                    guardian_sourced_ids=[f"par-{n:04d}"], district_sourced_id=dist,
                ))
        staff.append(dict(person_sourced_id=f"gl-{sch}", role="grade_leader", scope_type="grade", scope_id=f"{sch}:{grade}",
                          school_sourced_id=sch, district_sourced_id=dist, grade=grade, subject=None, class_sourced_id=None))
        staff.append(dict(person_sourced_id=f"pr-{sch}", role="principal", scope_type="school", scope_id=sch,
                          school_sourced_id=sch, district_sourced_id=dist, grade=None, subject=None, class_sourced_id=None))
    for dist in DISTRICTS:
        staff.append(dict(person_sourced_id=f"da-{dist}", role="district_admin", scope_type="district", scope_id=dist,
                          school_sourced_id=None, district_sourced_id=dist, grade=None, subject=None, class_sourced_id=None))
        for subj in SUBJECTS:
            staff.append(dict(person_sourced_id=f"rs-{dist}-{subj}", role="subject_researcher", scope_type="subject",
                              scope_id=f"{dist}:{subj}", school_sourced_id=None, district_sourced_id=dist, grade=None, subject=subj, class_sourced_id=None))
    staff.append(dict(person_sourced_id="ca-1", role="city_admin", scope_type="city", scope_id=CITY,
                      school_sourced_id=None, grade=None, subject=None, class_sourced_id=None))
    ident = pd.DataFrame(students)
    for st in students:
        staff.append(dict(person_sourced_id=st["guardian_sourced_ids"][0], role="parent", scope_type="child",
                          scope_id=st["student_sourced_id"], school_sourced_id=st["school_sourced_id"],
                          district_sourced_id=st["district_sourced_id"], grade=st["grade"], subject=None,
                          class_sourced_id=st["homeroom_class_sourced_id"]))
    staff_df = pd.DataFrame(staff).assign(begin_date=date(2021, 9, 1), end_date=None)
    staff_df["end_date"] = pd.Series([None] * len(staff_df), dtype="object")
    membership = pd.DataFrame(
        [(tc, s["student_key"], subj) for tc, hr, subj, _ in teaching for s in students if s["homeroom_class_sourced_id"] == hr]
        + [(hr, s["student_key"], None) for hr, *_ in homerooms for s in students if s["homeroom_class_sourced_id"] == hr],
        columns=["class_sourced_id", "student_key", "subject"],
    )
    classes = pd.DataFrame(
        [(hr, sch, grade, title, "homeroom", None) for hr, sch, grade, title, _ in homerooms]
        + [(tc, tc.split("-hr-")[0], tc.split("-hr-")[1][:2], f"{title}{SUBJECT_CN[subj]}", "scheduled", subj) for tc, hr_, subj, _ in teaching for h_, _s, _g, title, _x in homerooms if h_ == hr_],
        columns=["class_sourced_id", "school_sourced_id", "grade", "class_title", "class_type", "subject"],
    )
    membership = membership.drop(columns="subject").merge(classes, on="class_sourced_id")
    return {"ident": ident, "staff": staff_df, "classes": classes, "membership": membership}
