"""OneRoster 1.1 CSV bulk export of the world, as a school information system sends it.

One folder `inbox/roster/<YYYY-MM-DD>-bulk/` with the manifest, the 1.1 files and the
`x_staff_assignments.csv` extension (docs/inputs.md). Real-export habits are kept: minimal
quoting, multi-values quoted and comma-separated, some `status` left empty in bulk.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduhouse_dev.simulate.csvio import as_text, ids, write_csv
from eduhouse_dev.simulate.world import (
    CITY_NAME,
    GRADE_CN,
    SEGMENT_GRADES,
    SEGMENT_SUBJECTS,
    SUBJECT_CN,
    World,
)

DEMOGRAPHIC_EXTRA = (
    "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
    "cityOfBirth", "publicSchoolResidenceStatus",
)
ROSTER_FILES = ("academicSessions", "categories", "classes", "classResources", "courses",
                "courseResources", "demographics", "enrollments", "lineItems", "orgs",
                "resources", "results", "users")
BULK_FILES = ("academicSessions", "classes", "courses", "demographics", "enrollments", "orgs", "users")


def roster_delivery_name(start: date) -> str:
    return f"{(start - timedelta(days=1)).isoformat()}-bulk"


class _Stamps:
    """status / dateLastModified columns: mostly 'active', a few empty as bulk files allow."""

    def __init__(self, rng: np.random.Generator, modified: str):
        self.rng = rng
        self.modified = modified

    def __call__(self, n: int) -> dict[str, object]:
        status = np.where(self.rng.random(n) < 0.03, None, "active").astype(object)
        return {"status": status, "dateLastModified": np.full(n, self.modified, dtype=object)}


def _repeat(value: str, n: int) -> np.ndarray:
    return np.full(n, value, dtype=object)


class RosterFiles:
    """The files of one roster delivery: written as CSV, and kept as the text a reader of
    the CSV gets back (every value a string, an empty field null), so the rest of the
    simulator (grants, consents, accesses) takes the roster it wrote without parsing it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.tables: dict[str, pa.Table] = {}

    def write(self, name: str, columns: dict[str, object]) -> int:
        texts = {k: as_text(v) for k, v in columns.items()}
        table = pa.table({k: pc.if_else(pc.equal(v, ""), pa.scalar(None, pa.string()), v) for k, v in texts.items()})
        self.tables[name] = table
        return write_csv(self.folder / f"{name}.csv", dict(zip(table.column_names, table.columns, strict=True)))


def write_roster(world: World, inbox: Path) -> tuple[dict, dict[str, pa.Table]]:
    """Write the bulk roster folder; returns counts per file, and the files' tables."""
    rng = np.random.default_rng([world.seed, 2])
    folder = inbox / "roster" / roster_delivery_name(world.start)
    files = RosterFiles(folder)
    modified = f"{(world.start - timedelta(days=1)).isoformat()}T18:30:00.000Z"
    stamp = _Stamps(rng, modified)
    s = world.sessions
    counts: dict[str, int] = {}

    manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.1")]
    manifest += [(f"file.{f}", "bulk" if f in BULK_FILES else "absent") for f in ROSTER_FILES]
    manifest += [("source.systemName", "学籍管理系统"), ("source.systemCode", "eduhouse-sim")]
    counts["manifest"] = files.write("manifest", {
        "propertyName": [k for k, _ in manifest], "value": [v for _, v in manifest]})

    # orgs: city (local) -> districts -> schools
    n_d, n_s = len(world.district_ids), len(world.school_ids)
    org_ids = [world.city_id, *world.district_ids, *world.school_ids.tolist()]
    counts["orgs"] = files.write("orgs", {
        "sourcedId": org_ids, **stamp(len(org_ids)),
        "name": [CITY_NAME, *world.district_names, *world.school_names.tolist()],
        "type": ["local", *["district"] * n_d, *["school"] * n_s],
        "identifier": ["CITY01", *[f"D{d + 1:02d}" for d in range(n_d)],
                       *[f"S{x[4:]}" for x in world.school_ids.tolist()]],
        "parentSourcedId": [None, *[world.city_id] * n_d,
                            *[world.district_ids[d] for d in world.school_district.tolist()]],
    })

    y = s.school_year
    counts["academicSessions"] = files.write("academicSessions", {
        "sourcedId": [s.year_id, s.autumn_id, s.spring_id], **stamp(3),
        "title": [f"{y}-{y + 1}学年", f"{y}-{y + 1}学年第一学期", f"{y}-{y + 1}学年第二学期"],
        "type": ["schoolYear", "term", "term"],
        "startDate": [s.year_start.isoformat(), s.year_start.isoformat(), s.spring_start.isoformat()],
        "endDate": [s.year_end.isoformat(), s.autumn_end.isoformat(), s.year_end.isoformat()],
        "parentSourcedId": [None, s.year_id, s.year_id],
        "schoolYear": [str(y + 1)] * 3,
    })

    # courses: per school x grade, a homeroom course and one per subject
    c_id, c_title, c_code, c_grade, c_org, c_subj = [], [], [], [], [], []
    for i, sid in enumerate(world.school_ids.tolist()):
        seg = str(world.school_segment[i])
        for g in SEGMENT_GRADES[seg]:
            for subj in ("homeroom", *SEGMENT_SUBJECTS[seg]):
                c_id.append(f"crs-{sid[4:]}-{g:02d}-{subj}")
                c_title.append(f"{GRADE_CN[g]}{SUBJECT_CN.get(subj, '班级')}")
                c_code.append(f"{subj.upper()[:4]}-{g:02d}")
                c_grade.append(f"{g:02d}")
                c_org.append(sid)
                c_subj.append(None if subj == "homeroom" else subj)
    counts["courses"] = files.write("courses", {
        "sourcedId": c_id, **stamp(len(c_id)), "schoolYearSourcedId": _repeat(s.year_id, len(c_id)),
        "title": c_title, "courseCode": c_code, "grades": c_grade, "orgSourcedId": c_org,
        "subjects": c_subj, "subjectCodes": [None] * len(c_id),
    })

    # classes: homerooms then teaching classes
    hr_school_ids = world.school_ids[world.hr_school]
    hr_grade = np.array([f"{g:02d}" for g in world.hr_grade.tolist()], dtype=object)
    hr_no = np.array([h[-2:] for h in world.hr_ids.tolist()], dtype=object)
    tc_hr = world.tc_homeroom
    terms = f"{s.autumn_id},{s.spring_id}"
    n_hr, n_tc = len(world.hr_ids), len(world.tc_ids)
    tc_subject = world.tc_subject
    cls_school = np.concatenate([hr_school_ids, hr_school_ids[tc_hr]])
    cls_grade = np.concatenate([hr_grade, hr_grade[tc_hr]])
    cls_subj = np.concatenate([np.full(n_hr, "homeroom", dtype=object), tc_subject])
    title_hr = np.array([f"{GRADE_CN[g]}({int(k)})班" for g, k in zip(world.hr_grade.tolist(), hr_no, strict=True)],
                        dtype=object)
    title_tc = title_hr[tc_hr] + np.array([SUBJECT_CN[x] for x in tc_subject.tolist()], dtype=object)
    course = np.array([f"crs-{a[4:]}-{b}-{c}" for a, b, c in zip(cls_school, cls_grade, cls_subj, strict=True)],
                      dtype=object)
    counts["classes"] = files.write("classes", {
        "sourcedId": np.concatenate([world.hr_ids, world.tc_ids]), **stamp(n_hr + n_tc),
        "title": np.concatenate([title_hr, title_tc]), "grades": cls_grade,
        "courseSourcedId": course,
        "classCode": np.concatenate([hr_grade + hr_no, (hr_grade + hr_no)[tc_hr]]),
        "classType": np.concatenate([np.full(n_hr, "homeroom", dtype=object),
                                     np.full(n_tc, "scheduled", dtype=object)]),
        "location": [None] * (n_hr + n_tc), "schoolSourcedId": cls_school,
        "termSourcedIds": _repeat(terms, n_hr + n_tc),
        "subjects": np.concatenate([np.full(n_hr, None, dtype=object), tc_subject]),
        "subjectCodes": [None] * (n_hr + n_tc), "periods": [None] * (n_hr + n_tc),
    })

    counts["users"] = _write_users(world, files, stamp, rng)
    counts["enrollments"] = _write_enrollments(world, files, stamp)

    n_stu = world.n_students
    demo = {"sourcedId": world.stu_ids, **stamp(n_stu),
            "birthDate": np.datetime_as_string(world.stu_birth, unit="D"), "sex": world.stu_sex}
    demo.update({c: [None] * n_stu for c in DEMOGRAPHIC_EXTRA})
    counts["demographics"] = files.write("demographics", demo)

    staff = world.staff
    counts["x_staff_assignments"] = files.write("x_staff_assignments", {
        k: [row[k] or None for row in staff]
        for k in ("sourcedId", "userSourcedId", "role", "orgSourcedId", "grade", "subject",
                  "beginDate", "endDate")
    })
    return {"delivery": folder.name, "rows": counts}, files.tables


def _write_users(world: World, files: RosterFiles, stamp: _Stamps, rng: np.random.Generator) -> int:
    n_stu, n_par, n_t, n_a = world.n_students, len(world.par_ids), len(world.tch_ids), len(world.admins)
    stu_school = world.school_ids[world.stu_school]
    # agentSourcedIds: student -> guardians ("par-1,par-2"), guardian -> student
    pid = world.par_ids
    pair = np.zeros(n_stu, dtype=object)
    pair[:] = None
    first = np.concatenate([[True], world.par_student[1:] != world.par_student[:-1]])
    pair[world.par_student[first]] = pid[first]
    second = ~first
    pair[world.par_student[second]] = pair[world.par_student[second]] + "," + pid[second]
    stu_grades = np.array([f"{g:02d}" for g in range(13)], dtype=object)[world.stu_grade]

    adm = world.admins
    sourced = np.concatenate([world.stu_ids, pid, world.tch_ids, [a["sourcedId"] for a in adm]])
    orgs = np.concatenate([stu_school, stu_school[world.par_student], world.school_ids[world.tch_school],
                           [a["org"] for a in adm]])
    roles = np.concatenate([np.full(n_stu, "student", dtype=object), world.par_role,
                            np.full(n_t, "teacher", dtype=object), [a["role"] for a in adm]])
    given = np.concatenate([world.stu_given, world.par_given, world.tch_given, [a["givenName"] for a in adm]])
    family = np.concatenate([world.stu_family, world.par_family, world.tch_family,
                             [a["familyName"] for a in adm]])
    n = len(sourced)
    digits = pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**8, n)), pa.string()), 8, "0")
    phone = pc.binary_join_element_wise("13", pa.array(rng.integers(5, 10, n).astype(str)), digits, "")
    staff_mask = np.concatenate([np.zeros(n_stu + n_par, bool), np.ones(n_t + n_a, bool)])
    guardian_mask = np.concatenate([np.zeros(n_stu, bool), np.ones(n_par, bool), np.zeros(n_t + n_a, bool)])
    email = np.where(staff_mask, sourced + "@" + orgs + ".example.edu.cn", None)
    identifier = np.concatenate([
        np.asarray(ids("G", np.arange(1, n_stu + 1) + 10**9, 12)), [None] * (n_par + n_t + n_a)])
    # a teacher's grades: those of the classes taught, e.g. "07,08"
    pairs = np.unique(np.stack([world.tc_teacher, world.hr_grade[world.tc_homeroom]], axis=1), axis=0)
    t_grades = np.full(n_t, None, dtype=object)
    for t, g in pairs.tolist():
        t_grades[t] = f"{g:02d}" if t_grades[t] is None else f"{t_grades[t]},{g:02d}"
    grades = np.concatenate([stu_grades, [None] * n_par, t_grades, [None] * n_a])
    agents = np.concatenate([pair, world.stu_ids[world.par_student], [None] * (n_t + n_a)])
    return files.write("users", {
        "sourcedId": sourced, **stamp(n), "enabledUser": np.full(n, "true", dtype=object),
        "orgSourcedIds": orgs, "role": roles, "username": sourced, "userIds": [None] * n,
        "givenName": given, "familyName": family, "middleName": [None] * n,
        "identifier": identifier, "email": email,
        "sms": [None] * n, "phone": np.where(guardian_mask, np.asarray(phone, dtype=object), None),
        "agentSourcedIds": agents, "grades": grades, "password": [None] * n,
    })


def _write_enrollments(world: World, files: RosterFiles, stamp: _Stamps) -> int:
    """Students in their homeroom and every teaching class of it; teachers on their classes."""
    hr_of_class = np.concatenate([np.arange(len(world.hr_ids)), world.tc_homeroom])
    class_ids = np.concatenate([world.hr_ids, world.tc_ids])
    sizes = world.hr_size[hr_of_class]
    cls_rep = np.repeat(np.arange(len(class_ids)), sizes)
    within = np.arange(len(cls_rep)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    stu = world.hr_offset[hr_of_class][cls_rep] + within
    n_hr = len(world.hr_ids)
    t_class = np.arange(len(class_ids))
    t_user = np.concatenate([world.hr_head_teacher, world.tc_teacher])
    t_primary = np.concatenate([np.ones(n_hr, bool), np.zeros(len(world.tc_ids), bool)])
    school = world.school_ids[world.hr_school[hr_of_class]]
    n = len(cls_rep) + len(t_class)
    return files.write("enrollments", {
        "sourcedId": ids("enr-", np.arange(1, n + 1), 8), **stamp(n),
        "classSourcedId": np.concatenate([class_ids[cls_rep], class_ids[t_class]]),
        "schoolSourcedId": np.concatenate([school[cls_rep], school[t_class]]),
        "userSourcedId": np.concatenate([world.stu_ids[stu], world.tch_ids[t_user]]),
        "role": np.concatenate([np.full(len(cls_rep), "student", dtype=object),
                                np.full(len(t_class), "teacher", dtype=object)]),
        "primary": np.where(np.concatenate([np.zeros(len(cls_rep), bool), t_primary]), "true", "false"),
        "beginDate": np.full(n, world.sessions.year_start.isoformat(), dtype=object),
        "endDate": np.full(n, world.sessions.year_end.isoformat(), dtype=object),
    })
