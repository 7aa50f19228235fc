"""Everything a render needs, prepared once per run: marts indexed by their scope keys,
class membership, org names and the reference date.

Built in the parent process before the worker pool forks, so workers share it
copy-on-write and nothing is pickled per page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from orchestration.governance.consent import withheld_students
from orchestration.governance.policy import allows, needs_consent, report_purpose
from orchestration.reporting.store import PER_STUDENT, Indexed, MartStore
from orchestration.settings import DEFAULT_MIN_CELL, DEFAULT_TOP_N, get_settings


def _as_of(store: MartStore) -> date | None:
    """The date the data runs to, which assignments are taken at: the latest exam, or the
    last day the latest usage month's learning logs reach (usage_monthly.data_through,
    from dbt; its month's end for a mart built before the column), whichever is later.
    (Exams from exam_summary, which lists every exam sat: the same for any page.)"""
    candidates = []
    exams = store.table("exam_summary")
    if len(exams) and exams.exam_date.notna().any():
        candidates.append(pd.to_datetime(exams.exam_date).max().date())
    usage = store.table("usage_monthly")
    if len(usage):
        through = pd.to_datetime(usage["data_through"])  # the store gives a mart without it nulls
        if through.notna().any():
            candidates.append(through.max().date())
        else:
            last = pd.to_datetime(usage.month.astype(str).str[:7] + "-01").max()
            candidates.append((last + pd.offsets.MonthEnd(0)).date())
    return max(candidates) if candidates else None


def _membership(store: MartStore, ident: pd.DataFrame) -> pd.DataFrame:
    """class_sourced_id, student_key: the restricted class_membership mart plus homerooms."""
    frame = store.table("class_membership")
    homerooms = ident[["homeroom_class_sourced_id", "student_key"]].dropna().rename(
        columns={"homeroom_class_sourced_id": "class_sourced_id"})
    return pd.concat([frame[["class_sourced_id", "student_key"]], homerooms], ignore_index=True).drop_duplicates()


def _membership_titles(store: MartStore) -> pd.DataFrame:
    """class_sourced_id, class_title of the class_membership mart: the loaded mart, or
    only its distinct titles when this render leaves the mart unread (the pipeline's
    batch: no district or city page reads the memberships, but the head teachers' page
    titles name their classes; 278 k rows at a district, 0.4 s to load and index)."""
    if "class_membership" in store.unread:
        return store.distinct("class_membership", ["class_sourced_id", "class_title"])
    return store.table("class_membership")


@dataclass
class ReportData:
    store: MartStore
    min_cell: int
    top_n: int
    psych_allowed: dict[str, bool]
    as_of: date | None
    orgs: pd.DataFrame
    org_name: dict[str, str]
    org_parent: dict[str, str]
    ident: pd.DataFrame
    ident_by_key: Indexed
    ident_by_school: Indexed
    members_by_class: Indexed
    class_title: dict[str, str]
    class_subject: dict[str, str]
    class_school: dict[str, str]
    class_grade: dict[str, str]
    exams: pd.DataFrame
    exam_name: dict[str, str]
    student_exam: pd.DataFrame
    exam_by_student: Indexed
    exam_stats: pd.DataFrame
    knowledge_by_student: Indexed
    ability_by_student: Indexed
    profile_by_student: Indexed
    fitness_by_student: Indexed
    psych_by_student: Indexed
    top_students: pd.DataFrame
    top_cohorts: pd.DataFrame  # every school x session x grade the top_students mart ranks
    quality_map: pd.DataFrame
    item_by_exam: Indexed
    weak_by_class: Indexed
    knowledge: pd.DataFrame
    usage: pd.DataFrame
    micro: pd.DataFrame
    exam_info: dict = None  # exam_id -> (district students present, district mean score); None when suppressed
    class_exam_by_class: Indexed = None  # the class_exam mart by class
    class_exams: pd.DataFrame = None  # the class_exam mart, every class (a school's classes compared)
    class_term: pd.DataFrame = None  # the class_term mart (a grade's homerooms' engagement)
    district_knowledge: pd.DataFrame = None  # the district_knowledge mart (common weak knowledge points)
    engagement_by_class: Indexed = None  # the class_engagement mart by class
    fitness_by_class: Indexed = None  # the restricted class_fitness mart by homeroom
    psych_by_class: Indexed = None  # the restricted class_psych mart by homeroom
    platform_use: pd.DataFrame = None  # the platform_use_monthly mart (Linze's indicators)
    school_flags: pd.DataFrame = None  # the school_flags_monthly mart (lagging / model schools, follow-up)
    attention_by_class: Indexed = None  # the restricted students_needing_attention mart by class
    fitness_by_scope: Indexed = None  # the restricted scope_fitness mart by scope, and by parent scope
    fitness_by_parent: Indexed = None
    psych_by_scope: Indexed = None  # the restricted scope_psych mart by scope, and by parent scope
    psych_by_parent: Indexed = None
    aggregate_allowed: dict = None  # (role, resource) -> the policy allows it for the role's report purpose
    pub_usage_by_org: Indexed = None  # usage publication rows, suppressed as published
    pub_micro_by_org: Indexed = None
    session_titles: dict = None  # academic_session key -> its title (mart academic_sessions)
    district_term: pd.DataFrame = None  # per district x session x subject, suppressed in the mart
    exams_sat: pd.DataFrame = None  # the distinct (school, subject, exam) of student_exam, all its rows
    psych_withheld: dict = None  # role -> keys of the students whose psych its page may not show (no consent)

    def session_title(self, key) -> str:
        """A session as a reader knows it (2021-2022学年第一学期), the key only if untitled."""
        return (self.session_titles or {}).get(str(key)) or str(key)

    def school_district(self, school: str | None) -> str | None:
        return self.org_parent.get(str(school)) if school else None

    def schools_of_district(self, district: str | None) -> list[str]:
        o = self.orgs
        schools = o[o.type == "school"]
        if district is None:
            return sorted(schools.sourced_id.astype(str))
        return sorted(schools[schools.parent_sourced_id.astype(str) == str(district)].sourced_id.astype(str))

    def name(self, org_id: str | None) -> str:
        return self.org_name.get(str(org_id), str(org_id)) if org_id else ""


def _psych_grants() -> dict[str, bool]:
    """Default-deny: psych shows only where the governance policy says yes for the role
    and its report's purpose. A policy that does not load is an error, not a silent deny."""
    from orchestration.reporting.scopes import ROLES

    return {role: bool(allows(role, "student_psych", report_purpose(role))) for role in ROLES}


def _psych_withheld(store: MartStore, as_of: date | None) -> dict[str, frozenset[str]]:
    """Per role whose page shows students' psych screening: the students it may not show,
    the under-14s without a consent valid at the end of the data's day for the role's
    report purpose (the server's rule on `student_psych`, governance/consent.py). A head
    teacher's pastoral care is not exempt (the API probe: the page named an under-14 whose
    consent was missing, where the mart withheld them). The consent and identity marts
    missing: every student is withheld (default deny)."""
    from orchestration.reporting.scopes import ROLES

    roles = [r for r in ROLES if _psych_grants().get(r)
             and needs_consent(r, report_purpose(r), "sensitive_psych", under_14=True)]
    if not roles:
        return {}
    consents = store.paths.restricted / "access_consents.parquet"
    identity = store.paths.restricted / "student_identity.parquet"
    if not (consents.is_file() and identity.is_file()):
        everyone = frozenset(store.table("students_needing_attention").get("student_key", pd.Series(dtype=str))
                             .astype(str))
        return {r: everyone for r in roles}
    day = as_of or date.today()
    zone = ZoneInfo(get_settings(store.paths.root).timezone)
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    con = duckdb.connect()
    try:
        return {r: withheld_students(con, f"read_parquet('{consents}')", f"read_parquet('{identity}')",
                                     report_purpose(r), "sensitive_psych", end_of_day, day) for r in roles}
    finally:
        con.close()


def _aggregate_grants() -> dict[tuple[str, str], bool]:
    """Default-deny, as for psych: the whole-person aggregates, and the marts a page reads
    beyond the ones every page of its role shows, show where the policy lets the role read
    them for its report's purpose."""
    from orchestration.reporting.scopes import ROLES

    return {(role, resource): bool(allows(role, resource, report_purpose(role)))
            for role in ROLES for resource in ("scope_fitness", "scope_psych", "top_students", "microtest_monthly")}


def _scope_marts(store: MartStore) -> dict[str, Indexed]:
    """scope_fitness and scope_psych, each by scope and by parent scope, parts in name order."""
    out = {}
    for name, prefix in (("scope_fitness", "fitness"), ("scope_psych", "psych")):
        frame = _flagged(store.table(name)).sort_values(["scope_type", "scope_id"], kind="stable")
        out[f"{prefix}_by_scope"] = Indexed(frame, "scope_id")
        out[f"{prefix}_by_parent"] = Indexed(frame[frame.parent_scope_id.notna()], "parent_scope_id")
    return out


def _fitness(store: MartStore) -> pd.DataFrame:
    """student_key, period, fitness_grade, total_score: from the restricted fitness mart
    only (no public mart holds health data)."""
    fit = store.table("student_fitness")
    if len(fit):
        grade_col = next((c for c in ("fitness_grade", "grade_cn", "grade") if c in fit.columns), None)
        date_col = next((c for c in ("test_date", "academic_session") if c in fit.columns), None)
        return pd.DataFrame({
            "student_key": fit.student_key,
            "period": fit[date_col].astype(str).str[:10] if date_col else "",
            "fitness_grade": fit[grade_col] if grade_col else None,
            "total_score": fit["total_score"] if "total_score" in fit.columns else None,
        })
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ("student_key", "period", "fitness_grade", "total_score")})


def _exam_stats(exams: pd.DataFrame) -> pd.DataFrame:
    """Per exam, as exam_summary publishes it: name, date, subject, grade, the district's
    present students and mean score (null when the mart suppressed the exam)."""
    stats = exams.rename(columns={"name": "exam_name", "students_present": "district_students",
                                  "mean_score": "district_mean"})
    stats["exam_date"] = pd.to_datetime(stats.exam_date).dt.date
    stats["district_hidden"] = stats.suppressed.eq(True) | stats.district_students.isna()
    return stats[["exam_id", "exam_name", "exam_date", "subject", "grade", "max_score", "district_students",
                  "district_mean", "district_hidden"]]


def _class_exam(class_exam: pd.DataFrame, exam_stats: pd.DataFrame) -> pd.DataFrame:
    """The class_exam mart (class × exam, suppressed in dbt) with each exam's name and
    district figures, in date order per class."""
    out = class_exam.assign(exam_date=pd.to_datetime(class_exam.exam_date).dt.date,
                            suppressed=class_exam.suppressed.eq(True))
    out = out.merge(exam_stats[["exam_id", "exam_name", "district_mean", "district_hidden"]], on="exam_id", how="left")
    out["exam_name"] = out.exam_name.fillna(out.exam_id)
    return out.sort_values(["class_sourced_id", "exam_date", "exam_id"])


def _flagged(mart: pd.DataFrame) -> pd.DataFrame:
    """A mart with its `suppressed` flag as a plain bool (a missing flag is not hidden)."""
    return mart.assign(suppressed=mart.suppressed.eq(True))


def _session_titles(sessions: pd.DataFrame) -> dict[str, str]:
    titled = sessions[sessions.title.notna() & (sessions.title.astype(str) != "")]
    return dict(zip(titled.academic_session.astype(str), titled.title.astype(str), strict=True))


def publication(usage: pd.DataFrame, micro: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The monthly usage publication as the marts publish it: small cells were suppressed
    in dbt (macro suppress_small_cells), so a hidden row has null figures and its
    `suppressed` flag, shown here as `is_suppressed` for the table cells."""
    return (usage.assign(is_suppressed=usage.suppressed.eq(True)),
            micro.assign(is_suppressed=micro.suppressed.eq(True)))


def _with_school(ts: pd.DataFrame, ident: pd.DataFrame) -> pd.DataFrame:
    """The top_students rows with their school (from the mart, else identity)."""
    school = ts.student_key.map(ident.drop_duplicates("student_key").set_index("student_key").school_sourced_id)
    return ts.assign(school_sourced_id=ts.school_sourced_id.where(ts.school_sourced_id.notna(), school))


def _top_students(ts: pd.DataFrame, ident: pd.DataFrame) -> pd.DataFrame:
    """Students top-N in at least K-1 sittings of their cohort (grade x session), as the
    top_students mart decided, with their school."""
    ts = _with_school(ts[ts.in_all_but_one.eq(True)], ident)
    return ts.assign(in_all=ts.in_all.eq(True))


COHORT_COLUMNS = ("school_sourced_id", "academic_session", "grade", "cohort_sittings", "cohort_students",
                  "top_n_covers_cohort", "top_n")


def _top_cohorts(ts: pd.DataFrame, ident: pd.DataFrame) -> pd.DataFrame:
    """Each school's cohorts (grade x session) as the mart ranks them, whether or not a
    student of the school made the lists: a school with none shows 0, not no row."""
    ts = _with_school(ts, ident)
    return ts[[c for c in COHORT_COLUMNS if c in ts.columns]].drop_duplicates(["school_sourced_id", "academic_session", "grade"])


def _exams_sat(store: MartStore) -> pd.DataFrame:
    """The distinct (school, subject, exam) of student_exam: which exams a subject
    researcher's schools sat. From the whole file, even for a store of a few students."""
    sat = store.distinct("student_exam", ["school_sourced_id", "subject", "exam_id"])
    return sat.assign(school_sourced_id=sat.school_sourced_id.astype(str), exam_id=sat.exam_id.astype(str))


def _per_student(store: MartStore, exam_name: dict[str, str]) -> dict:
    """The fields read from the PER_STUDENT marts (all students', or the store's few)."""
    student_exam = store.table("student_exam").copy()
    student_exam["exam_name"] = student_exam.exam_id.map(exam_name).fillna(student_exam.exam_id)
    student_exam["exam_date"] = pd.to_datetime(student_exam.exam_date).dt.date
    student_exam["pct_score"] = student_exam.score / student_exam.max_score
    knowledge = store.table("student_knowledge")
    return dict(
        student_exam=student_exam, exam_by_student=Indexed(student_exam, "student_key"),
        knowledge=knowledge, knowledge_by_student=Indexed(knowledge, "student_key"),
        ability_by_student=Indexed(store.table("student_ability"), "student_key"),
        profile_by_student=Indexed(store.table("student_term_profile"), "student_key"),
        fitness_by_student=Indexed(_fitness(store), "student_key"),
        psych_by_student=Indexed(store.table("student_psych"), "student_key"),
    )


def for_students(base: ReportData, students: list[str], con: duckdb.DuckDBPyConnection | None = None,
                 unread: tuple[str, ...] = ()) -> ReportData:
    """``base`` (loaded with ``students=[]``: every mart but the PER_STUDENT ones) with
    these students' rows of the PER_STUDENT marts: all a student's or a parent's page
    reads (a class's: a teacher's or head teacher's), in milliseconds, for the server to
    render such a page when it is asked for. ``unread``: marts the page does not read."""
    store = MartStore(base.store.paths.root, students=students, con=con, unread=unread)
    for name in PER_STUDENT:  # a mart missing from the lake is missing for every page
        store.table(name)
    store.missing = list(base.store.missing)
    return replace(base, **_per_student(store, base.exam_name))


def load_report_data(lake: str | Path, min_cell: int = DEFAULT_MIN_CELL, top_n: int = DEFAULT_TOP_N,
                     students: list[str] | None = None, unread: tuple[str, ...] = ()) -> ReportData:
    """Everything the pages read; with ``students``, the PER_STUDENT marts hold only
    those students' rows (see :func:`for_students`); ``unread`` marts (no page of this
    render reads them) are left empty."""
    store = MartStore(lake, students=students, unread=unread)
    ident = store.table("student_identity").copy()
    ident["full_name"] = ident.family_name.fillna("").astype(str) + ident.given_name.fillna("").astype(str)
    orgs = store.orgs()
    staff = store.table("staff_scope")
    members = _membership(store, ident)

    # class facts: titles from the membership mart when it has them; subject/school/grade
    # from staff assignments, homerooms from identity.
    class_title: dict[str, str] = {}
    class_subject: dict[str, str] = {}
    class_school: dict[str, str] = {}
    class_grade: dict[str, str] = {}
    for frame, id_col, title_col in ((store.table("class_term"), "class_sourced_id", "class_title"),
                                     (_membership_titles(store), "class_sourced_id", "class_title"),
                                     (ident, "homeroom_class_sourced_id", "homeroom_title")):
        if title_col in frame.columns and len(frame):
            facts = frame[frame[title_col].notna()].drop_duplicates(id_col)
            class_title.update(zip(facts[id_col].astype(str), facts[title_col].astype(str), strict=True))
    for col, target in (("subject", class_subject), ("school_sourced_id", class_school), ("grade", class_grade)):
        rows = staff[staff.class_sourced_id.notna() & staff[col].notna()].drop_duplicates("class_sourced_id")
        target.update(zip(rows.class_sourced_id.astype(str), rows[col].astype(str), strict=True))
    hr = ident[["homeroom_class_sourced_id", "school_sourced_id", "grade"]].dropna().drop_duplicates("homeroom_class_sourced_id")
    for c, s, g in hr.itertuples(index=False):
        class_school.setdefault(str(c), str(s))
        class_grade.setdefault(str(c), str(g))

    exams = store.table("exam_summary")
    exam_name = dict(zip(exams.exam_id.astype(str), exams.name.astype(str), strict=True)) if len(exams) else {}
    exam_stats = _exam_stats(exams)
    class_exams = _class_exam(store.table("class_exam"), exam_stats)

    org_name = dict(zip(orgs.sourced_id.astype(str), orgs.name.astype(str), strict=True))
    org_parent = {str(k): str(v) for k, v in zip(orgs.sourced_id, orgs.parent_sourced_id, strict=True) if v is not None and not pd.isna(v)}
    pub_u, pub_m = publication(store.table("usage_monthly"), store.table("microtest_monthly"))
    as_of = _as_of(store)
    return ReportData(
        store=store, min_cell=min_cell, top_n=top_n, psych_allowed=_psych_grants(), as_of=as_of,
        psych_withheld=_psych_withheld(store, as_of),
        orgs=orgs, org_name=org_name, org_parent=org_parent,
        ident=ident, ident_by_key=Indexed(ident, "student_key"), ident_by_school=Indexed(ident, "school_sourced_id"),
        members_by_class=Indexed(members, "class_sourced_id"),
        class_title=class_title, class_subject=class_subject, class_school=class_school, class_grade=class_grade,
        exams=exams, exam_name=exam_name, exam_stats=exam_stats, **_per_student(store, exam_name),
        top_students=_top_students(store.table("top_students"), ident),
        top_cohorts=_top_cohorts(store.table("top_students"), ident), quality_map=store.table("quality_map"),
        item_by_exam=Indexed(store.table("item_analysis"), "exam_id"),
        weak_by_class=Indexed(store.table("class_weak_points"), "class_sourced_id"),
        usage=pub_u, micro=pub_m,
        exam_info={str(e): (None if h else int(n), None if h else float(m))
                   for e, n, m, h in zip(exam_stats.exam_id, exam_stats.district_students, exam_stats.district_mean,
                                         exam_stats.district_hidden, strict=True)},
        class_exam_by_class=Indexed(class_exams, "class_sourced_id"), class_exams=class_exams,
        attention_by_class=Indexed(store.table("students_needing_attention"), "class_sourced_id"),
        **_scope_marts(store), aggregate_allowed=_aggregate_grants(),
        pub_usage_by_org=Indexed(pub_u, "org_sourced_id"), pub_micro_by_org=Indexed(pub_m, "org_sourced_id"),
        session_titles=_session_titles(store.table("academic_sessions")),
        district_term=store.table("district_term"),
        exams_sat=_exams_sat(store),
        class_term=store.table("class_term"), district_knowledge=store.table("district_knowledge"),
        engagement_by_class=Indexed(_flagged(store.table("class_engagement")), "class_sourced_id"),
        fitness_by_class=Indexed(_flagged(store.table("class_fitness")), "homeroom_class_sourced_id"),
        psych_by_class=Indexed(_flagged(store.table("class_psych")), "homeroom_class_sourced_id"),
        platform_use=_flagged(store.table("platform_use_monthly")), school_flags=store.table("school_flags_monthly"),
    )
