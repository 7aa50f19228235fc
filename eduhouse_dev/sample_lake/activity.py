"""The sample's platform-use marts: each student's term profile, the monthly usage and
micro-test tables (suppressed by the marts' own macro), Linze's indicators and flags,
and the class engagement and class term marts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eduhouse_dev.sample_lake.cells import hidden, suppressed_as_the_marts
from eduhouse_dev.sample_lake.world import DISTRICTS, SESSION
from orchestration.settings import DEFAULT_MIN_CELL


def build_activity_marts(schools: dict, ident: pd.DataFrame, membership: pd.DataFrame,
                         classes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every public platform-use mart of the sample, by mart name."""
    profile = ident[["student_key"]].copy()
    profile["academic_session"] = SESSION
    idx = np.arange(len(profile))
    profile["active_days"] = (idx * 7) % 40
    profile["logins"] = (idx * 11) % 60
    profile["resources_viewed"] = (idx * 5) % 30
    profile["microtests_answered"] = (idx * 3) % 9
    profile["homework_submitted"] = (idx * 2) % 12
    profile["time_on_task_minutes"] = profile.resources_viewed * 7.5 + profile.microtests_answered * 4.0

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
    usage_df = suppressed_as_the_marts(
        usage_df, ["month", "population", "segment"], "on_roster",
        ["on_roster", "online", "online_rate", "logins", "logins_per_online", "resource_viewers", "resource_view_rate"],
        sch_dist)
    micro_df = suppressed_as_the_marts(micro_df, ["month", "segment"], "students_assigned",
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
    class_engagement = hidden(class_engagement, ["students", "students_answering", "answer_share", "microtests_answered",
                                                  "mean_active_days", "mean_logins", "mean_resources_viewed",
                                                  "mean_microtests_answered", "mean_homework_submitted"])

    # class_term: the class facts and each class's engagement in the session
    engaged = membership.merge(profile[["student_key", "active_days"]], on="student_key").groupby(
        "class_sourced_id", as_index=False).agg(students=("student_key", "nunique"), mean_active_days=("active_days", "mean"),
                                                online_share=("active_days", lambda a: float((a > 0).mean())))
    class_term = classes[["class_sourced_id", "class_type", "class_title", "school_sourced_id", "subject", "grade"]].merge(
        engaged, on="class_sourced_id", how="left").assign(academic_session=SESSION)
    class_term["suppressed"] = class_term.students < DEFAULT_MIN_CELL
    class_term = hidden(class_term, ["students", "mean_active_days", "online_share"])
    return dict(student_term_profile=profile, usage_monthly=usage_df, microtest_monthly=micro_df,
                platform_use_monthly=platform_use, school_flags_monthly=school_flags,
                class_engagement=class_engagement, class_term=class_term)
