"""The simulated district: hierarchy, people and their hidden traits, built from a seed.

Everything downstream (roster, logs, exams, surveys) is drawn from this one world, so the
deliveries agree with each other and the latent traits (ability, engagement) give the
marts real signal to find. People are numpy arrays, never one Python object each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

SEGMENT_GRADES = {"primary": range(1, 7), "junior": range(7, 10), "senior": range(10, 13)}
SEGMENT_SUBJECTS = {
    "primary": ("chinese", "math", "english"),
    "junior": ("chinese", "math", "english", "physics"),
    "senior": ("chinese", "math", "english", "physics", "chemistry", "biology"),
}
SUBJECTS = ("chinese", "math", "english", "physics", "chemistry", "biology")
SUBJECT_CN = {"chinese": "语文", "math": "数学", "english": "英语", "physics": "物理",
              "chemistry": "化学", "biology": "生物"}
GRADE_CN = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
            7: "初一", 8: "初二", 9: "初三", 10: "高一", 11: "高二", 12: "高三"}
SCHOOL_SUFFIX = {"primary": "小学", "junior": "中学", "senior": "高级中学"}
DISTRICT_NAMES = ("南湖区", "北山区", "青河区", "临泽区", "翠屏区", "东城区", "西岭区", "云溪区")
CITY_NAME = "示范市"
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN_CHARS = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红鹏飞宇浩然子涵欣怡梓轩雨泽思博文晨阳佳琪嘉")


@dataclass(frozen=True)
class ScaleSpec:
    """How big a world is: districts, schools per segment, classes per grade, class size."""

    districts: int
    schools: dict[str, int]
    classes_per_grade: dict[str, tuple[int, int]]
    class_size: tuple[int, int]
    # subjects the exam office sets district exams in (None: all taught subjects)
    exam_subjects: tuple[str, ...] | None = None


SCALES: dict[str, ScaleSpec] = {
    # tiny: one junior and one senior school (grade 12 exists), ~200 students.
    "tiny": ScaleSpec(1, {"primary": 0, "junior": 1, "senior": 1},
                      {"junior": (1, 1), "senior": (1, 1)}, (31, 36), ("chinese", "math", "english")),
    "small": ScaleSpec(1, {"primary": 4, "junior": 2, "senior": 2},
                       {"primary": (2, 2), "junior": (2, 4), "senior": (2, 3)}, (35, 45)),
    "district": ScaleSpec(1, {"primary": 70, "junior": 30, "senior": 20},
                          {"primary": (1, 3), "junior": (3, 6), "senior": (2, 5)}, (35, 45)),
    "city": ScaleSpec(7, {"primary": 70, "junior": 30, "senior": 20},
                      {"primary": (1, 3), "junior": (3, 6), "senior": (2, 5)}, (35, 45)),
}

# Engagement bands: the share of a school's people who use the platform in a month.
# Low matches the seeds (3 to 12 % online); medium and high are the keen schools.
ENGAGEMENT_BANDS = {"low": (0.03, 0.12), "medium": (0.30, 0.60), "high": (0.70, 0.95)}


@dataclass
class Sessions:
    """The academic sessions of the simulated school year."""

    school_year: int  # the calendar year the school year starts
    year_id: str
    autumn_id: str
    spring_id: str
    year_start: date
    autumn_end: date
    spring_start: date
    year_end: date


@dataclass
class World:
    """All entities of the district as parallel arrays (index = position)."""

    seed: int
    scale: str
    start: date
    sessions: Sessions
    city_id: str
    district_ids: list[str]
    district_names: list[str]
    # schools
    school_ids: np.ndarray
    school_names: np.ndarray
    school_district: np.ndarray
    school_segment: np.ndarray  # str
    school_engagement: np.ndarray
    school_band: np.ndarray  # str
    school_zulu_share: np.ndarray  # share of the school's statements stamped with Z
    # homerooms
    hr_ids: np.ndarray
    hr_school: np.ndarray
    hr_grade: np.ndarray
    hr_offset: np.ndarray  # first student index; students are sorted by homeroom
    hr_size: np.ndarray
    hr_head_teacher: np.ndarray
    # teaching classes (one per homeroom x subject of its segment)
    tc_ids: np.ndarray
    tc_homeroom: np.ndarray
    tc_subject: np.ndarray  # str
    tc_teacher: np.ndarray
    # students
    stu_ids: np.ndarray
    stu_homeroom: np.ndarray
    stu_school: np.ndarray
    stu_grade: np.ndarray
    stu_ability: np.ndarray
    stu_subject_offset: np.ndarray  # (n_students, len(SUBJECTS))
    stu_user: np.ndarray  # bool: uses the platform at all
    stu_propensity: np.ndarray
    stu_sex: np.ndarray  # 'male' | 'female'
    stu_birth: np.ndarray  # datetime64[D]
    stu_family: np.ndarray
    stu_given: np.ndarray
    # guardians: rows (student index, guardian id, role)
    par_ids: np.ndarray
    par_student: np.ndarray
    par_role: np.ndarray
    par_family: np.ndarray
    par_given: np.ndarray
    # teachers
    tch_ids: np.ndarray
    tch_school: np.ndarray
    tch_subject: np.ndarray
    tch_user: np.ndarray
    tch_family: np.ndarray
    tch_given: np.ndarray
    # staff roles OneRoster lacks: rows of x_staff_assignments
    staff: list[dict] = field(default_factory=list)
    # administrators and researchers who are users but not teachers of a class
    admins: list[dict] = field(default_factory=list)

    @property
    def n_students(self) -> int:
        return len(self.stu_ids)

    def school_facts(self) -> list[dict]:
        """Per-school key facts for the truth summary."""
        counts = np.bincount(self.stu_school, minlength=len(self.school_ids))
        users = np.bincount(self.stu_school, weights=self.stu_user, minlength=len(self.school_ids))
        tcount = np.bincount(self.tch_school, minlength=len(self.school_ids))
        return [
            {
                "school_sourcedId": str(self.school_ids[i]),
                "name": str(self.school_names[i]),
                "district_sourcedId": self.district_ids[int(self.school_district[i])],
                "segment": str(self.school_segment[i]),
                "engagement_band": str(self.school_band[i]),
                "engagement": round(float(self.school_engagement[i]), 4),
                "students": int(counts[i]),
                "student_platform_users": int(users[i]),
                "teachers": int(tcount[i]),
            }
            for i in range(len(self.school_ids))
        ]


def sessions_for(start: date) -> Sessions:
    """The school year containing `start` (it starts in September)."""
    y = start.year if start.month >= 8 else start.year - 1
    return Sessions(
        school_year=y,
        year_id=f"as-{y}",
        autumn_id=f"as-{y}-autumn",
        spring_id=f"as-{y}-spring",
        year_start=date(y, 9, 1),
        autumn_end=date(y + 1, 1, 20),
        spring_start=date(y + 1, 2, 14),
        year_end=date(y + 1, 7, 10),
    )


def _ids(prefix: str, n: int, width: int, start: int = 1) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(start, start + n)], dtype=object)


def _names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    fam = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    g = np.array(GIVEN_CHARS, dtype=object)
    first = g[rng.integers(0, len(g), n)]
    second = g[rng.integers(0, len(g), n)]
    two = rng.random(n) < 0.7
    given = np.where(two, first + second, first)
    return fam, given


def _bands(rng: np.random.Generator, n: int, scale: str) -> np.ndarray:
    if scale == "tiny":
        cycle = ["high", "low"]
    else:
        cycle = ["low", "high", "medium", "high", "medium", "low", "high", "medium", "high", "medium"]
    bands = np.array([cycle[i % len(cycle)] for i in range(n)], dtype=object)
    return bands[rng.permutation(n)] if scale != "tiny" else bands


def build_world(scale: str = "small", seed: int = 42, start: date = date(2021, 10, 1)) -> World:
    """Draw the whole district (or city) for a scale and seed."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    spec = SCALES[scale]
    rng = np.random.default_rng([seed, 1])
    sessions = sessions_for(start)

    district_ids = [f"org-d{d + 1:02d}" for d in range(spec.districts)]
    district_names = [DISTRICT_NAMES[d % len(DISTRICT_NAMES)] for d in range(spec.districts)]

    # Schools, ordered district -> segment -> number.
    s_ids, s_names, s_dist, s_seg = [], [], [], []
    for d in range(spec.districts):
        n = 0
        for seg in ("primary", "junior", "senior"):
            for k in range(spec.schools.get(seg, 0)):
                n += 1
                s_ids.append(f"sch-{d + 1:02d}{n:03d}")
                s_names.append(f"{district_names[d]}第{k + 1}{SCHOOL_SUFFIX[seg]}")
                s_dist.append(d)
                s_seg.append(seg)
    n_sch = len(s_ids)
    band = _bands(rng, n_sch, scale)
    lo = np.array([ENGAGEMENT_BANDS[b][0] for b in band])
    hi = np.array([ENGAGEMENT_BANDS[b][1] for b in band])
    engagement = lo + (hi - lo) * rng.random(n_sch)
    school_effect = rng.normal(0.0, 0.35, n_sch)
    zulu_share = rng.choice([0.0, 0.5, 1.0], n_sch)

    # Homerooms.
    hr_ids, hr_school, hr_grade, hr_size = [], [], [], []
    for i in range(n_sch):
        seg = s_seg[i]
        clo, chi = spec.classes_per_grade[seg]
        for g in SEGMENT_GRADES[seg]:
            for k in range(int(rng.integers(clo, chi + 1))):
                hr_ids.append(f"cls-{s_ids[i][4:]}-{g:02d}{k + 1:02d}")
                hr_school.append(i)
                hr_grade.append(g)
                hr_size.append(int(rng.integers(spec.class_size[0], spec.class_size[1] + 1)))
    hr_school_a = np.array(hr_school)
    hr_grade_a = np.array(hr_grade)
    hr_size_a = np.array(hr_size)
    hr_offset = np.concatenate([[0], np.cumsum(hr_size_a)[:-1]])
    n_hr = len(hr_ids)

    # Students, sorted by homeroom.
    stu_hr = np.repeat(np.arange(n_hr), hr_size_a)
    n_stu = len(stu_hr)
    stu_school = hr_school_a[stu_hr]
    stu_grade = hr_grade_a[stu_hr]
    ability = rng.normal(0.0, 1.0, n_stu) + school_effect[stu_school]
    subject_offset = rng.normal(0.0, 0.35, (n_stu, len(SUBJECTS)))
    stu_user = rng.random(n_stu) < engagement[stu_school]
    propensity = np.exp(0.25 * ability + rng.normal(0.0, 0.3, n_stu))
    propensity /= propensity.mean()
    sex = np.where(rng.random(n_stu) < 0.515, "male", "female").astype(object)
    # Age on 1 September = grade + 5, so grade g was born Sep (Y-g-6) .. Aug (Y-g-5).
    born_from = np.array([np.datetime64(f"{sessions.school_year - g - 6}-09-01") for g in range(13)])
    birth = born_from[stu_grade] + rng.integers(0, 365, n_stu).astype("timedelta64[D]")
    fam, given = _names(rng, n_stu)

    # Guardians: one or two parents, a few guardians.
    n_guard = np.where(rng.random(n_stu) < 0.3, 2, 1)
    par_student = np.repeat(np.arange(n_stu), n_guard)
    par_role = np.where(rng.random(len(par_student)) < 0.05, "guardian", "parent").astype(object)
    first_of_student = np.concatenate([[True], par_student[1:] != par_student[:-1]])
    par_family = np.where(first_of_student, fam[par_student], _names(rng, len(par_student))[0])
    par_given = _names(rng, len(par_student))[1]

    # Teaching classes and teachers: per school x subject, teacher k teaches the homerooms
    # 2k and 2k+1 of that school; the chinese teacher heads 2k, the math teacher 2k+1.
    tc_ids, tc_hr, tc_subj, tc_teacher = [], [], [], []
    t_school, t_subj = [], []
    hr_head = np.zeros(n_hr, dtype=np.int64)
    for i in range(n_sch):
        hrs = np.flatnonzero(hr_school_a == i)
        for subj in SEGMENT_SUBJECTS[s_seg[i]]:
            first_teacher = len(t_school)
            n_t = (len(hrs) + 1) // 2
            t_school.extend([i] * n_t)
            t_subj.extend([subj] * n_t)
            for j, h in enumerate(hrs):
                tc_ids.append(f"{hr_ids[h]}-{subj}")
                tc_hr.append(h)
                tc_subj.append(subj)
                teacher = first_teacher + j // 2
                tc_teacher.append(teacher)
                if (subj == "chinese" and j % 2 == 0) or (subj == "math" and j % 2 == 1):
                    hr_head[h] = teacher
    n_t = len(t_school)
    t_school_a = np.array(t_school)
    tch_user = rng.random(n_t) < np.minimum(engagement[t_school_a] * 1.2, 0.98)
    t_fam, t_given = _names(rng, n_t)
    tch_ids = _ids("tch-", n_t, 6)

    world = World(
        seed=seed, scale=scale, start=start, sessions=sessions,
        city_id="org-city", district_ids=district_ids, district_names=district_names,
        school_ids=np.array(s_ids, dtype=object), school_names=np.array(s_names, dtype=object),
        school_district=np.array(s_dist), school_segment=np.array(s_seg, dtype=object),
        school_engagement=engagement, school_band=band, school_zulu_share=zulu_share,
        hr_ids=np.array(hr_ids, dtype=object), hr_school=hr_school_a, hr_grade=hr_grade_a,
        hr_offset=hr_offset, hr_size=hr_size_a, hr_head_teacher=hr_head,
        tc_ids=np.array(tc_ids, dtype=object), tc_homeroom=np.array(tc_hr),
        tc_subject=np.array(tc_subj, dtype=object), tc_teacher=np.array(tc_teacher),
        stu_ids=_ids("stu-", n_stu, 7), stu_homeroom=stu_hr, stu_school=stu_school,
        stu_grade=stu_grade, stu_ability=ability, stu_subject_offset=subject_offset,
        stu_user=stu_user, stu_propensity=propensity, stu_sex=sex, stu_birth=birth,
        stu_family=fam, stu_given=given,
        par_ids=_ids("par-", len(par_student), 7), par_student=par_student, par_role=par_role,
        par_family=par_family, par_given=par_given,
        tch_ids=tch_ids, tch_school=t_school_a, tch_subject=np.array(t_subj, dtype=object),
        tch_user=tch_user, tch_family=t_fam, tch_given=t_given,
    )
    _add_staff(world, rng)
    return world


def _add_staff(world: World, rng: np.random.Generator) -> None:
    """Grade leaders, principals, researchers and administrators (x_staff_assignments)."""
    begin = world.sessions.year_start.isoformat()
    staff, admins = [], []
    n_adm = 0

    def admin(org: str, role: str = "administrator") -> str:
        nonlocal n_adm
        n_adm += 1
        fam, given = _names(rng, 1)
        sid = f"adm-{n_adm:05d}"
        admins.append({"sourcedId": sid, "org": org, "role": role,
                       "familyName": fam[0], "givenName": given[0]})
        return sid

    def assign(user: str, role: str, org: str, grade: str = "", subject: str = "") -> None:
        staff.append({"sourcedId": f"sa-{len(staff) + 1:06d}", "userSourcedId": user, "role": role,
                      "orgSourcedId": org, "grade": grade, "subject": subject,
                      "beginDate": begin, "endDate": ""})

    assign(admin(world.city_id), "city_admin", world.city_id)
    for d, did in enumerate(world.district_ids):
        for _ in range(2):
            assign(admin(did), "district_admin", did)
        segs = {str(s) for s in world.school_segment[world.school_district == d]}
        subjects = [s for s in SUBJECTS if any(s in SEGMENT_SUBJECTS[g] for g in segs)]
        for subj in subjects:
            assign(admin(did, "teacher"), "subject_researcher", did, subject=subj)
    for i, sid in enumerate(world.school_ids):
        assign(admin(str(sid)), "principal", str(sid))
        for g in SEGMENT_GRADES[str(world.school_segment[i])]:
            hrs = np.flatnonzero((world.hr_school == i) & (world.hr_grade == g))
            leader = world.hr_head_teacher[hrs[0]]
            assign(str(world.tch_ids[leader]), "grade_leader", str(sid), grade=f"{g:02d}")
    world.staff = staff
    world.admins = admins


def window_days(start: date, days: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(days)]
