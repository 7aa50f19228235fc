"""The sample's exam marts: two term exams per district, grade and subject, item scores
drawn per student, and every exam mart derived from them by the rules of docs/domain.md
(z-score with the population sd, competition rank, percent rank, mastery levels)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from eduhouse_dev.sample_lake.cells import hidden
from eduhouse_dev.sample_lake.world import ABILITIES, DISTRICTS, SESSION, SUBJECT_CN, SUBJECTS
from orchestration.settings import DEFAULT_MIN_CELL


def exam_stats(scores: pd.DataFrame) -> pd.DataFrame:
    """z-score (population sd), competition rank, percent_rank: the rules of docs/domain.md."""
    g = scores.groupby("exam_id")["score"]
    mean, sd = g.transform("mean"), g.transform(lambda s: s.std(ddof=0))
    scores = scores.assign(z_score=np.where(sd > 0, (scores.score - mean) / sd.where(sd > 0, 1), 0.0))
    scores["district_rank"] = g.rank(method="min", ascending=False).astype(int)
    n = g.transform("count")
    low = g.rank(method="min", ascending=True)
    scores["percentile"] = np.where(n > 1, (low - 1) / (n - 1).where(n > 1, 1), 0.0)
    return scores


def build_exam_marts(schools: dict, ident: pd.DataFrame, membership: pd.DataFrame,
                     rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Every public exam mart of the sample, by mart name."""
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
    per_exam = exam_stats(per_exam).merge(exams_df[["exam_id", "subject", "grade", "academic_session", "exam_date"]], on="exam_id")
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
    # the sample has no platform answers: all its evidence is exam items
    kp_rows["exam_items"], kp_rows["microtest_items"] = kp_rows["items"], 0
    student_knowledge = kp_rows.merge(kps, on="kp_id")[["student_key", "kp_id", "subject", "kp_name", "items", "score_rate",
                                                        "mastery_level", "exam_items", "microtest_items"]]
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
    qm = hidden(qm, ["students", "mean_score", "mean_z", "change_in_mean_z", "change_in_mean_z_same_grade"])
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
    class_exam = hidden(class_exam, ["students", "mean_score", "mean_score_rate", "mean_z", "band_lt60", "band_60_70",
                                      "band_70_80", "band_80_90", "band_ge90"])

    # top students by sitting (the exams of one grade on one date): a student's total over the
    # sitting's subjects when present in all of them, ranked in the district (competition rank)
    top_n = 5
    cohort = student_exam.merge(ident[["student_key", "district_sourced_id"]], on="student_key")
    cohort["sitting_id"] = cohort.district_sourced_id + "|" + cohort.grade + "|" + cohort.exam_date.astype(str)
    subjects = cohort.groupby("sitting_id").subject.nunique()
    totals = cohort.groupby(["sitting_id", "grade", "academic_session", "district_sourced_id", "student_key"],
                            as_index=False).agg(total=("score", "sum"), sat=("subject", "nunique"))
    totals = totals[totals.sat == totals.sitting_id.map(subjects)]
    totals["rank"] = totals.groupby("sitting_id").total.rank(method="min", ascending=False)
    cohort_sittings = cohort.groupby(["grade", "academic_session"]).sitting_id.nunique().rename("cohort_sittings").reset_index()
    ts = totals.assign(in_top=totals["rank"] <= top_n).groupby(["grade", "academic_session", "student_key"], as_index=False).agg(
        sittings_taken=("sitting_id", "count"), sittings_in_top_n=("in_top", "sum"))
    ts = ts.merge(cohort_sittings, on=["grade", "academic_session"])
    ts["in_all"] = ts.sittings_in_top_n == ts.cohort_sittings
    ts["in_all_but_one"] = ts.sittings_in_top_n >= ts.cohort_sittings - 1
    ts["top_n"] = top_n
    ts = ts.merge(ident[["student_key", "school_sourced_id", "district_sourced_id"]], on="student_key")
    ts["org_sourced_id"] = ts.pop("district_sourced_id")
    ts["cohort_students"] = ts.groupby(["org_sourced_id", "grade", "academic_session"]).student_key.transform("nunique")
    ts["top_n_covers_cohort"] = ts.cohort_students <= top_n
    top_students = ts[["org_sourced_id", "grade", "academic_session", "student_key", "school_sourced_id", "cohort_sittings",
                       "sittings_taken", "sittings_in_top_n", "in_all", "in_all_but_one", "top_n", "cohort_students",
                       "top_n_covers_cohort"]]

    # class weak points: class × knowledge point score rate from its members
    ck = membership[membership.class_type == "scheduled"].merge(student_knowledge, on=["student_key", "subject"])
    class_weak_points = ck.groupby(["class_sourced_id", "subject", "kp_id", "kp_name"], as_index=False).agg(
        students=("student_key", "nunique"), score_rate=("score_rate", "mean"))
    class_weak_points["academic_session"] = SESSION
    class_weak_points["suppressed"] = class_weak_points.students < DEFAULT_MIN_CELL
    class_weak_points = hidden(class_weak_points, ["score_rate"])

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
    district_knowledge = hidden(district_knowledge, ["students", "students_assessed", "mean_score_rate", "weak_students",
                                                      "weak_share"])
    return dict(exam_summary=exam_summary, student_exam=student_exam, top_students=top_students,
                student_knowledge=student_knowledge, student_ability=student_ability, quality_map=quality_map,
                item_analysis=item_analysis, class_weak_points=class_weak_points, district_term=district_term,
                class_exam=class_exam, district_knowledge=district_knowledge)
