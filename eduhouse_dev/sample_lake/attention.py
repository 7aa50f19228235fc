"""The sample's students_needing_attention mart, shaped as dbt's (restricted; the rule and
thresholds of the var `attention` in dbt_project.yml): every class member with the
class's latest exam per subject, absences, mean z, z fall, days without activity, and
the psych signal. The sample has no daily activity: last active days are hand-set."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

LOW_Z, Z_FALL, INACTIVE_DAYS = -1.0, 0.5, 14
FIRST_DAY, LAST_DAY = date(2021, 10, 1), date(2021, 10, 31)


def build_attention_mart(ident: pd.DataFrame, membership: pd.DataFrame, student_exam: pd.DataFrame,
                         class_exam: pd.DataFrame, psych: pd.DataFrame) -> pd.DataFrame:
    members = pd.concat([
        membership[["class_sourced_id", "student_key"]],
        ident[["homeroom_class_sourced_id", "student_key"]].rename(columns={"homeroom_class_sourced_id": "class_sourced_id"}),
    ]).drop_duplicates()
    latest = (class_exam.sort_values(["class_sourced_id", "subject", "exam_date", "exam_id"])
              .groupby(["class_sourced_id", "subject"]).tail(1)[["class_sourced_id", "exam_id"]])
    z = student_exam.sort_values(["student_key", "subject", "exam_date", "exam_id"])
    z = z.assign(z_change=z.z_score - z.groupby(["student_key", "subject"]).z_score.shift(1))[
        ["student_key", "exam_id", "z_score", "z_change"]]
    m = members.merge(latest, on="class_sourced_id", how="left").merge(z, on=["student_key", "exam_id"], how="left")
    out = m.groupby(["class_sourced_id", "student_key"], as_index=False).agg(
        latest_exams=("exam_id", "count"), sat=("z_score", "count"), latest_mean_z=("z_score", "mean"),
        min_z_change=("z_change", "min"))
    out["exams_absent"] = out.latest_exams - out.pop("sat")
    # hand-set activity: every fifth student never active, the others last active 0..24 days before the end
    number = out.student_key.str[1:].astype(int)
    out["last_active_date"] = [None if n % 5 == 0 else LAST_DAY - timedelta(days=(n * 3) % 25) for n in number]
    before_window = FIRST_DAY - timedelta(days=1)
    out["days_without_activity"] = [(LAST_DAY - (d or before_window)).days for d in out.last_active_date]
    out["absent_from_latest"] = out.exams_absent > 0
    out["low_z"] = out.latest_mean_z.le(LOW_Z)
    out["z_fall"] = out.min_z_change.le(-Z_FALL)
    out["inactive"] = out.last_active_date.notna() & out.days_without_activity.ge(INACTIVE_DAYS)
    out["needs_attention"] = out.absent_from_latest | out.low_z | out.z_fall | out.inactive
    high = set(psych.loc[psych.risk_level.eq("high"), "student_key"])
    out["psych_risk_high"] = out.student_key.isin(high)
    classes = membership.drop_duplicates("class_sourced_id").set_index("class_sourced_id")
    homeroom_school = ident.drop_duplicates("homeroom_class_sourced_id").set_index("homeroom_class_sourced_id").school_sourced_id
    out["class_type"] = out.class_sourced_id.map(classes.class_type).fillna("homeroom")
    out["school_sourced_id"] = out.class_sourced_id.map(classes.school_sourced_id).fillna(
        out.class_sourced_id.map(homeroom_school))
    out["latest_exams"] = out.latest_exams.astype(np.int64)
    out["exams_absent"] = out.exams_absent.astype(np.int64)
    return out[["class_sourced_id", "class_type", "school_sourced_id", "student_key", "latest_exams", "exams_absent",
                "latest_mean_z", "min_z_change", "last_active_date", "days_without_activity", "absent_from_latest",
                "low_z", "z_fall", "inactive", "needs_attention", "psych_risk_high"]]
