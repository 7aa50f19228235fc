"""A hand-made miniature lake of marts, so reports can be built, tested and shown
without running the pipeline (and before the marts exist).

Two districts of one city; four schools; one school small enough (6 students) that its
aggregates must be suppressed. Columns follow the mart contracts in
``dbt_project/models/marts/**/*.yml``; exam statistics follow the exact rules of docs/domain.md (Exam statistics).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.lake import LakePaths
from orchestration.settings import DEFAULT_MIN_CELL

ABILITIES = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3")
SESSION = "as-2021-autumn"
CITY = "city-1"
DISTRICTS = {"dist-1": "南湖区", "dist-2": "北山区"}
# school id: (name, district, segment, grade, homerooms (size each))
SCHOOLS = {
    "sch-1": ("第一中学", "dist-1", "junior", "07", (12, 13)),
    "sch-2": ("第二中学", "dist-1", "junior", "07", (15,)),
    "sch-3": ("实验高级中学", "dist-1", "senior", "10", (6,)),
    "sch-4": ("北山中学", "dist-2", "junior", "07", (11,)),
}
SUBJECTS = ("math", "chinese")
SUBJECT_CN = {"math": "数学", "chinese": "语文"}
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def _suppressed_as_the_marts(frame: pd.DataFrame, line: list[str], size: str, measures: list[str],
                             parent: dict[str, str], min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Apply the marts' small-cell rule to a hand-made usage or micro-test table by running
    the dbt macro itself (``dbt_project/macros/suppression.sql``, rendered with Jinja and
    run in DuckDB), so the sample lake has no suppression rule of its own. School rows
    are parts of their district's line; district rows are its totals."""
    import duckdb
    import jinja2

    from orchestration.settings import DBT_PROJECT_DIR

    macros = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "suppression.sql").read_text(),
                                              globals={"var": lambda name: min_cell}).module
    prefix = frame[line].astype(str).agg("|".join, axis=1)
    org = frame.org_sourced_id.astype(str)
    is_school = frame.org_type == "school"
    cells = pd.DataFrame({
        "cell_id": prefix + "|" + frame.org_type + ":" + org,
        "line_id": np.where(is_school, prefix + "|" + org.map(parent).fillna("?"), None),
        "total_of": np.where(is_school, None, prefix + "|" + org),
        "size": frame[size].astype("int64"),
    })
    con = duckdb.connect()
    con.register("cells_frame", cells)
    flags = con.execute(f"with cells as (select * from cells_frame), {macros.suppress_small_cells('cells')} "
                        "select cell_id, suppressed from suppression").df()
    con.close()
    hidden = cells.cell_id.map(dict(zip(flags.cell_id, flags.suppressed, strict=True))).astype(bool)
    out = frame.copy()
    out[measures] = out[measures].astype(float).where(~hidden)
    out["suppressed"] = hidden.to_numpy()
    return out


def _hidden(frame: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """Null every measure of a suppressed row, as the marts publish it."""
    out = frame.copy()
    out[measures] = out[measures].astype(float).where(~out.suppressed)
    return out


def _write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def _exam_stats(scores: pd.DataFrame) -> pd.DataFrame:
    """z-score (population sd), competition rank, percent_rank: the rules of docs/domain.md."""
    g = scores.groupby("exam_id")["score"]
    mean, sd = g.transform("mean"), g.transform(lambda s: s.std(ddof=0))
    scores = scores.assign(z_score=np.where(sd > 0, (scores.score - mean) / sd.where(sd > 0, 1), 0.0))
    scores["district_rank"] = g.rank(method="min", ascending=False).astype(int)
    n = g.transform("count")
    low = g.rank(method="min", ascending=True)
    scores["percentile"] = np.where(n > 1, (low - 1) / (n - 1).where(n > 1, 1), 0.0)
    return scores


def _copies(copies: int) -> dict:
    """The sample schools, repeated ``copies`` times (for timing renders at scale)."""
    if copies <= 1:
        return SCHOOLS
    return {f"{k}-{c}": (f"{v[0]}{c}", *v[1:]) for c in range(1, copies + 1) for k, v in SCHOOLS.items()}


def build_sample_lake(lake: str | Path, seed: int = 7, copies: int = 1) -> Path:
    """Write the sample marts (public and restricted) under ``lake``."""
    lake = Path(lake)
    schools = _copies(copies)
    rng = np.random.default_rng(seed)
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

    # exams: per district, grade and subject two term exams; knowledge points per subject
    kps = pd.DataFrame(
        [(f"kp-{subj}-{i}", subj, f"{SUBJECT_CN[subj]}{'代数几何函数统计方程'[i % 5]}{'基础综合'[i % 2]}{i}")
         for subj in SUBJECTS for i in range(1, 7)],
        columns=["kp_id", "subject", "kp_name"],
    )
    exams, items, scores = [], [], []
    for dist in DISTRICTS:
        grades = sorted({v[3] for v in schools.values() if v[1] == dist})
        for grade in grades:
            for subj in SUBJECTS:
                for k, day in enumerate((date(2021, 11, 10), date(2022, 1, 12)), start=1):
                    eid = f"ex-{dist}-{grade}-{subj}-{k}"
                    exams.append(dict(exam_id=eid, name=f"{'期中期末'[2 * k - 2:2 * k]}{subj}", kind="term", subject=subj,
                                      grade=grade, academic_session=SESSION, exam_date=day, org_sourced_id=dist))
                    for i in range(1, 7):
                        items.append(dict(exam_id=eid, item_id=f"{eid}-i{i}", max_score=10.0 + 5 * (i % 2),
                                          kp_id=f"kp-{subj}-{i}", ability=ABILITIES[(i * 2 + k) % 9]))
                    pool = ident[(ident.district_sourced_id == dist) & (ident.grade == grade)]
                    for s in pool.itertuples():
                        absent = rng.random() < 0.05
                        skill = 0.4 + 0.5 * ((int(s.student_key[1:]) * 37) % 100) / 100
                        for it in [x for x in items if x["exam_id"] == eid]:
                            sc = None if absent else float(np.clip(np.round(it["max_score"] * (skill + rng.normal(0, 0.15))), 0, it["max_score"]))
                            scores.append(dict(exam_id=eid, student_key=s.student_key, item_id=it["item_id"], score=sc,
                                               max_item=it["max_score"], kp_id=it["kp_id"], ability=it["ability"],
                                               status="absent" if absent else "present"))
    exams_df, _items_df, item_scores = pd.DataFrame(exams), pd.DataFrame(items), pd.DataFrame(scores)
    present = item_scores[item_scores.status == "present"]
    per_exam = present.groupby(["exam_id", "student_key"], as_index=False).agg(score=("score", "sum"), max_score=("max_item", "sum"))
    per_exam = _exam_stats(per_exam).merge(exams_df[["exam_id", "subject", "grade", "academic_session", "exam_date"]], on="exam_id")
    per_exam = per_exam.merge(ident[["student_key", "school_sourced_id"]], on="student_key")
    student_exam = per_exam[["exam_id", "student_key", "subject", "grade", "academic_session", "exam_date", "school_sourced_id",
                             "score", "max_score", "z_score", "district_rank", "percentile"]]
    exam_summary = per_exam.groupby("exam_id", as_index=False).agg(
        students_present=("student_key", "count"), mean_score=("score", "mean"), max_score=("max_score", "max"))
    exam_summary = exams_df.merge(exam_summary, on="exam_id")
    exam_summary["suppressed"] = exam_summary.students_present < DEFAULT_MIN_CELL
    exam_summary[["students_present", "mean_score"]] = exam_summary[["students_present", "mean_score"]].astype(float).where(
        ~exam_summary.suppressed)

    kp_rows = present.groupby(["student_key", "kp_id"], as_index=False).agg(items=("item_id", "count"), got=("score", "sum"), of=("max_item", "sum"))
    kp_rows["score_rate"] = kp_rows.got / kp_rows.of
    kp_rows["mastery_level"] = np.select([kp_rows.score_rate >= 0.8, kp_rows.score_rate >= 0.6], ["mastered", "developing"], "weak")
    # the sixth knowledge point of each subject stands for one with too few items for a level
    kp_rows.loc[kp_rows.kp_id.str.endswith("-6"), "mastery_level"] = "insufficient"
    student_knowledge = kp_rows.merge(kps, on="kp_id")[["student_key", "kp_id", "subject", "kp_name", "items", "score_rate", "mastery_level"]]
    ab = present.merge(exams_df[["exam_id", "subject"]], on="exam_id").groupby(["student_key", "subject", "ability"], as_index=False).agg(
        items=("item_id", "count"), got=("score", "sum"), of=("max_item", "sum"))
    ab["score_rate"] = ab.got / ab.of
    ab["ability"] = ab.pop("ability")
    student_ability = ab.rename(columns={"ability": "ability"})[["student_key", "subject", "ability", "items", "score_rate"]]

    # item analysis: difficulty = mean score rate, discrimination = upper-lower 27 % difference
    tot = per_exam[["exam_id", "student_key", "score"]].rename(columns={"score": "total"})
    ia = present.merge(tot, on=["exam_id", "student_key"])
    rows = []
    for (eid, iid), g in ia.groupby(["exam_id", "item_id"]):
        g = g.sort_values("total")
        k = max(1, int(round(len(g) * 0.27)))
        rate = g.score / g.max_item
        rows.append(dict(exam_id=eid, item_id=iid, students=len(g), difficulty=float(rate.mean()),
                         discrimination=float(rate.iloc[-k:].mean() - rate.iloc[:k].mean()),
                         max_score=float(g.max_item.iloc[0]), kp_ids=[g.kp_id.iloc[0]], ability=g.ability.iloc[0]))
    item_analysis = pd.DataFrame(rows)

    qm = per_exam.merge(exams_df[["exam_id"]], on="exam_id").groupby(["school_sourced_id", "subject", "exam_id", "exam_date"], as_index=False).agg(
        students=("student_key", "count"), mean_score=("score", "mean"), mean_z=("z_score", "mean"))
    qm = qm.sort_values(["school_sourced_id", "subject", "exam_date"])
    qm["change_in_mean_z"] = qm.groupby(["school_sourced_id", "subject"]).mean_z.diff()
    qm["grade"] = qm.school_sourced_id.map({k: v[3] for k, v in schools.items()})
    # each sample school teaches one grade: its same-grade change is its change
    qm["change_in_mean_z_same_grade"] = qm.groupby(["school_sourced_id", "subject", "grade"]).mean_z.diff()
    qm["school_name"] = qm.school_sourced_id.map({k: v[0] for k, v in schools.items()})
    # the sample's only small cells are whole schools and exams (sch-3: 6 students, alone
    # in its grade), so primary suppression is all the marts' rule does to them here
    qm["suppressed"] = qm.students < DEFAULT_MIN_CELL
    qm = _hidden(qm, ["students", "mean_score", "mean_z", "change_in_mean_z", "change_in_mean_z_same_grade"])
    quality_map = qm[["school_sourced_id", "subject", "exam_id", "school_name", "exam_date", "grade", "students", "mean_score",
                      "mean_z", "change_in_mean_z", "change_in_mean_z_same_grade", "suppressed"]]

    # class_exam: class x exam of its members (a scheduled class: its subject's exams)
    ce = membership.merge(per_exam, on="student_key", suffixes=("", "_exam"))
    ce = ce[ce.class_type.eq("homeroom") | (ce.subject == ce.subject_exam)].assign(rate=lambda x: x.score / x.max_score)
    class_exam = ce.groupby(["class_sourced_id", "class_type", "class_title", "school_sourced_id", "exam_id", "exam_date",
                             "subject_exam", "grade_exam", "academic_session"], as_index=False).agg(
        students=("student_key", "nunique"), mean_score=("score", "mean"), mean_score_rate=("rate", "mean"),
        mean_z=("z_score", "mean"), band_lt60=("rate", lambda r: int((r < 0.6).sum())),
        band_60_70=("rate", lambda r: int(((r >= 0.6) & (r < 0.7)).sum())),
        band_70_80=("rate", lambda r: int(((r >= 0.7) & (r < 0.8)).sum())),
        band_80_90=("rate", lambda r: int(((r >= 0.8) & (r < 0.9)).sum())), band_ge90=("rate", lambda r: int((r >= 0.9).sum())))
    class_exam = class_exam.rename(columns={"subject_exam": "subject", "grade_exam": "grade"})
    class_exam["suppressed"] = class_exam.students < DEFAULT_MIN_CELL
    class_exam = _hidden(class_exam, ["students", "mean_score", "mean_score_rate", "mean_z", "band_lt60", "band_60_70",
                                      "band_70_80", "band_80_90", "band_ge90"])

    top_n = 5
    cohort = student_exam.merge(ident[["student_key", "district_sourced_id"]], on="student_key")
    cohort_exams = cohort.groupby(["grade", "academic_session"]).exam_id.nunique().rename("cohort_exams").reset_index()
    ts = cohort.assign(in_top=cohort.district_rank <= top_n).groupby(["grade", "academic_session", "student_key"], as_index=False).agg(
        exams_taken=("exam_id", "count"), exams_in_top_n=("in_top", "sum"))
    ts = ts.merge(cohort_exams, on=["grade", "academic_session"])
    ts["in_all"] = ts.exams_in_top_n == ts.cohort_exams
    ts["in_all_but_one"] = ts.exams_in_top_n >= ts.cohort_exams - 1
    ts["top_n"] = top_n
    ts = ts.merge(ident[["student_key", "school_sourced_id", "district_sourced_id"]], on="student_key")
    ts["org_sourced_id"] = ts.pop("district_sourced_id")
    ts["cohort_students"] = ts.groupby(["org_sourced_id", "grade", "academic_session"]).student_key.transform("nunique")
    ts["top_n_covers_cohort"] = ts.cohort_students <= top_n
    top_students = ts[["org_sourced_id", "grade", "academic_session", "student_key", "school_sourced_id", "cohort_exams",
                       "exams_taken", "exams_in_top_n", "in_all", "in_all_but_one", "top_n", "cohort_students",
                       "top_n_covers_cohort"]]

    profile = ident[["student_key"]].copy()
    profile["academic_session"] = SESSION
    idx = np.arange(len(profile))
    profile["active_days"] = (idx * 7) % 40
    profile["logins"] = (idx * 11) % 60
    profile["resources_viewed"] = (idx * 5) % 30
    profile["microtests_answered"] = (idx * 3) % 9
    profile["homework_submitted"] = (idx * 2) % 12

    # class weak points: class × knowledge point score rate from its members
    ck = membership[membership.class_type == "scheduled"].merge(student_knowledge, on=["student_key", "subject"])
    class_weak_points = ck.groupby(["class_sourced_id", "subject", "kp_id", "kp_name"], as_index=False).agg(
        students=("student_key", "nunique"), score_rate=("score_rate", "mean"))
    class_weak_points["academic_session"] = SESSION
    class_weak_points["suppressed"] = class_weak_points.students < DEFAULT_MIN_CELL
    class_weak_points = _hidden(class_weak_points, ["score_rate"])

    # usage: month × org × segment × population; district rows aggregate the schools
    months = ("2021-10", "2021-11")
    usage, micro = [], []
    for m_i, month in enumerate(months):
        for sch, (sname, _dist, segment, _grade, sizes) in schools.items():
            pop_s = sum(sizes)
            for pop, roster in (("student", pop_s), ("teacher", 3 + len(sizes) * 2)):
                online = (roster * (3 + m_i + len(sname))) // 10 if not (sch == "sch-2" and m_i == 1) else 0
                online = min(online, roster)
                viewers = online // 2
                logins = online * (2 + m_i)
                usage.append(dict(month=month, org_sourced_id=sch, org_type="school", org_name=sname, segment=segment,
                                  population=pop, on_roster=roster, online=online, logins=logins, resource_viewers=viewers))
            answering = 0 if month == "2021-11" and sch == "sch-2" else pop_s // 2
            micro.append(dict(month=month, org_sourced_id=sch, org_type="school", org_name=sname, segment=segment,
                              microtests_assigned=4 + m_i, students_assigned=pop_s, students_answering=answering, answers=answering * 5))
    usage_df = pd.DataFrame(usage)
    sch_dist = {k: v[1] for k, v in schools.items()}
    agg = usage_df.assign(district=usage_df.org_sourced_id.map(sch_dist)).groupby(["month", "district", "segment", "population"], as_index=False)[
        ["on_roster", "online", "logins", "resource_viewers"]].sum()
    agg = agg.rename(columns={"district": "org_sourced_id"}).assign(org_type="district")
    agg["org_name"] = agg.org_sourced_id.map(DISTRICTS)
    usage_df = pd.concat([usage_df, agg], ignore_index=True)
    usage_df["online_rate"] = usage_df.online / usage_df.on_roster
    usage_df["logins_per_online"] = np.where(usage_df.online > 0, usage_df.logins / usage_df.online.where(usage_df.online > 0, 1), np.nan)
    usage_df["resource_view_rate"] = usage_df.resource_viewers / usage_df.on_roster
    micro_df = pd.DataFrame(micro)
    magg = micro_df.assign(district=micro_df.org_sourced_id.map(sch_dist)).groupby(["month", "district", "segment"], as_index=False)[
        ["microtests_assigned", "students_assigned", "students_answering", "answers"]].sum()
    magg = magg.rename(columns={"district": "org_sourced_id"}).assign(org_type="district")
    magg["org_name"] = magg.org_sourced_id.map(DISTRICTS)
    micro_df = pd.concat([micro_df, magg], ignore_index=True)
    micro_df["answer_rate"] = micro_df.students_answering / micro_df.students_assigned
    usage_df = _suppressed_as_the_marts(
        usage_df, ["month", "population", "segment"], "on_roster",
        ["on_roster", "online", "online_rate", "logins", "logins_per_online", "resource_viewers", "resource_view_rate"],
        sch_dist)
    micro_df = _suppressed_as_the_marts(micro_df, ["month", "segment"], "students_assigned",
                                        ["students_assigned", "students_answering", "answer_rate", "answers"], sch_dist)

    # Linze's indicators and flags (platform_use_monthly, school_flags_monthly), hand-made:
    # sch-2 lags in 2021-10 and has recovered in 2021-11; sch-1 is a model school both months
    pu = usage_df[["month", "org_sourced_id", "org_type", "org_name", "segment", "population", "on_roster", "online",
                   "resource_viewers", "suppressed"]].copy()
    teacher = pu.population.eq("teacher")
    platform_use = pu.assign(registered=pu.on_roster, registration_rate=pu.on_roster.where(pu.on_roster.isna(), 1.0),
                             active_users=pu.online, active_rate=pu.online / pu.on_roster, page_views=pu.resource_viewers * 3,
                             homework_published=(pu.online * 2).where(teacher, 0), checkins_published=pu.online.where(teacher, 0),
                             checkins_done=pu.online.where(~teacher, 0), evaluations_published=(pu.online * 3).where(teacher, 0),
                             training_hours=(pu.online * 1.5).where(teacher, 0.0)).drop(columns=["online", "resource_viewers"])
    flags = []
    for sch, (sname, dist, *_rest) in schools.items():
        for month in months:
            flag = {"sch-1": "model", "sch-2": "lagging" if month == "2021-10" else "none", "sch-3": "not_assessed"}.get(sch, "none")
            followed = sch == "sch-2" and month == "2021-11"
            flags.append(dict(month=month, school_sourced_id=sch, school_name=sname, district_sourced_id=dist, flag=flag,
                              triggered_by=["use_rate", "training_hours_per_teacher"] if flag in ("lagging", "model") else [],
                              use_rate=None if flag == "not_assessed" else {"model": 0.9, "lagging": 0.1}.get(flag, 0.45),
                              district_use_rate=None if flag == "not_assessed" else 0.5,
                              training_hours_per_teacher=None if flag == "not_assessed" else {"model": 4.0, "lagging": 0.5}.get(flag, 2.0),
                              district_training_hours_per_teacher=None if flag == "not_assessed" else 2.0,
                              registration_rate=None if flag == "not_assessed" else 1.0,
                              last_lagging_month="2021-10" if followed else None, followed_up=followed,
                              recovered=True if followed else None, use_rate_change_since_flag=0.35 if followed else None))
    school_flags = pd.DataFrame(flags)

    fitness = ident[["student_key"]].assign(test_date=date(2021, 10, 20))
    fitness["total_score"] = 60 + (np.arange(len(fitness)) * 13) % 40
    fitness["fitness_grade"] = np.select([fitness.total_score >= 90, fitness.total_score >= 80, fitness.total_score >= 60],
                                         ["优秀", "良好", "及格"], "不及格")
    psych = ident[["student_key"]].assign(screen_date=date(2021, 10, 25), instrument="MHT", scale="total", score=50.0, risk_level="none")

    # the class marts of platform use, fitness and psych, shaped and suppressed as dbt's
    member_prof = membership.merge(profile, on="student_key", how="left")
    class_engagement = member_prof.groupby(["class_sourced_id", "class_type", "class_title", "school_sourced_id", "grade"],
                                           as_index=False).agg(
        students=("student_key", "nunique"), students_answering=("microtests_answered", lambda x: int((x > 0).sum())),
        microtests_answered=("microtests_answered", "sum"), mean_active_days=("active_days", "mean"),
        mean_logins=("logins", "mean"), mean_resources_viewed=("resources_viewed", "mean"),
        mean_microtests_answered=("microtests_answered", "mean"), mean_homework_submitted=("homework_submitted", "mean"))
    class_engagement["answer_share"] = class_engagement.students_answering / class_engagement.students
    class_engagement["academic_session"] = SESSION
    class_engagement["suppressed"] = class_engagement.students < DEFAULT_MIN_CELL
    class_engagement = _hidden(class_engagement, ["students", "students_answering", "answer_share", "microtests_answered",
                                                  "mean_active_days", "mean_logins", "mean_resources_viewed",
                                                  "mean_microtests_answered", "mean_homework_submitted"])
    homeroom = ident.set_index("student_key").homeroom_class_sourced_id
    fit = fitness.assign(homeroom_class_sourced_id=fitness.student_key.map(homeroom))
    class_fitness = fit.groupby(["homeroom_class_sourced_id", "fitness_grade"], as_index=False).agg(
        students=("student_key", "nunique"))
    class_fitness["class_students"] = class_fitness.groupby("homeroom_class_sourced_id").students.transform("sum")
    class_fitness["share"] = class_fitness.students / class_fitness.class_students
    class_fitness["academic_session"] = SESSION
    class_fitness["suppressed"] = class_fitness.class_students < DEFAULT_MIN_CELL
    class_fitness = _hidden(class_fitness, ["students", "class_students", "share"])
    ps = psych.assign(homeroom_class_sourced_id=psych.student_key.map(homeroom))
    class_psych = ps.groupby(["homeroom_class_sourced_id", "risk_level"], as_index=False).agg(students=("student_key", "nunique"))
    class_psych["class_students"] = class_psych.groupby("homeroom_class_sourced_id").students.transform("sum")
    class_psych["suppressed"] = class_psych.class_students < DEFAULT_MIN_CELL
    class_psych = _hidden(class_psych, ["students", "class_students"])

    # district_term as the mart shapes it: per district x session x subject, each student's
    # mean score rate over the subject's exams
    per_student = student_exam.merge(ident[["student_key", "district_sourced_id"]], on="student_key").assign(
        rate=lambda x: x.score / x.max_score).groupby(["district_sourced_id", "academic_session", "subject", "student_key"],
                                                      as_index=False).agg(rate=("rate", "mean"), z=("z_score", "mean"))
    district_term = per_student.groupby(["district_sourced_id", "academic_session", "subject"], as_index=False).agg(
        students=("student_key", "nunique"), mean_score_rate=("rate", "mean"), mean_z_score=("z", "mean"),
        band_lt60=("rate", lambda r: int((r < 0.6).sum())), band_ge90=("rate", lambda r: int((r >= 0.9).sum())))
    district_term["district_name"] = district_term.district_sourced_id.astype(str)
    district_term["suppressed"] = district_term.students < 10
    # district_knowledge: the students' mastery per district x subject x kp, over the
    # students with enough evidence
    dk = student_knowledge.merge(ident[["student_key", "district_sourced_id"]], on="student_key").assign(
        assessed=lambda x: x.mastery_level != "insufficient")
    dk = dk.assign(rate=dk.score_rate.where(dk.assessed), weak=dk.mastery_level.eq("weak"))
    district_knowledge = dk.groupby(["district_sourced_id", "subject", "kp_id", "kp_name"], as_index=False).agg(
        students=("student_key", "nunique"), students_assessed=("assessed", "sum"), mean_score_rate=("rate", "mean"),
        weak_students=("weak", "sum"))
    district_knowledge["weak_share"] = district_knowledge.weak_students / district_knowledge.students_assessed.where(
        district_knowledge.students_assessed > 0)
    district_knowledge["suppressed"] = ((district_knowledge.students < DEFAULT_MIN_CELL)
                                        | district_knowledge.students_assessed.between(1, DEFAULT_MIN_CELL - 1))
    district_knowledge = _hidden(district_knowledge, ["students", "students_assessed", "mean_score_rate", "weak_students",
                                                      "weak_share"])
    sessions = pd.DataFrame({"academic_session": [SESSION], "title": ["2021-2022学年第一学期"],
                             "start_date": [date(2021, 9, 1)]})
    public = dict(academic_sessions=sessions, usage_monthly=usage_df, microtest_monthly=micro_df, exam_summary=exam_summary, student_exam=student_exam,
                  top_students=top_students, student_knowledge=student_knowledge, student_ability=student_ability,
                  student_term_profile=profile, quality_map=quality_map, item_analysis=item_analysis,
                  class_weak_points=class_weak_points, district_term=district_term, class_exam=class_exam,
                  district_knowledge=district_knowledge, class_engagement=class_engagement,
                  platform_use_monthly=platform_use, school_flags_monthly=school_flags)
    # class_term: the class facts and each class's engagement in the session
    engaged = membership.merge(profile[["student_key", "active_days"]], on="student_key").groupby(
        "class_sourced_id", as_index=False).agg(students=("student_key", "nunique"), mean_active_days=("active_days", "mean"),
                                                online_share=("active_days", lambda a: float((a > 0).mean())))
    class_term = classes[["class_sourced_id", "class_type", "class_title", "school_sourced_id", "subject", "grade"]].merge(
        engaged, on="class_sourced_id", how="left").assign(academic_session=SESSION)
    class_term["suppressed"] = class_term.students < DEFAULT_MIN_CELL
    class_term = _hidden(class_term, ["students", "mean_active_days", "online_share"])
    hier = pd.DataFrame([(s_, v[0], v[1], DISTRICTS[v[1]], CITY, "示范市") for s_, v in schools.items()],
                        columns=["school_sourced_id", "school_name", "district_sourced_id", "district_name", "city_sourced_id", "city_name"])
    class_membership = membership[["class_sourced_id", "student_key", "school_sourced_id"]]
    public["class_term"] = class_term
    restricted = dict(student_identity=ident, staff_scope=staff_df, student_fitness=fitness, student_psych=psych,
                      org_hierarchy=hier, class_membership=class_membership, class_fitness=class_fitness,
                      class_psych=class_psych)
    for name, frame in public.items():
        _write(frame, LakePaths(Path(lake)).marts / f"{name}.parquet")
    for name, frame in restricted.items():
        _write(frame, LakePaths(Path(lake)).restricted / f"{name}.parquet")
    return lake
