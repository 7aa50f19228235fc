"""Loads each mart once (DuckDB over Parquet → pandas) and indexes it for bulk slicing.

Reports never query per student: every mart is read once, sorted by its scope key, and
pages take contiguous slices by offset. A mart that is missing (pipeline not run yet)
loads as an empty frame with the expected columns and is listed on the index page.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.lake import LakePaths

# The columns each report reads (mart contracts in dbt_project/models/marts/**/*.yml).
PUBLIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "academic_sessions": ("academic_session", "title", "start_date"),
    "usage_monthly": ("month", "org_sourced_id", "org_type", "org_name", "segment", "population", "on_roster",
                      "online", "online_rate", "logins", "logins_per_online", "resource_viewers", "resource_view_rate", "suppressed",
                      "data_through"),
    "microtest_monthly": ("month", "org_sourced_id", "org_type", "org_name", "segment", "microtests_assigned",
                          "students_assigned", "students_answering", "answer_rate", "answers", "suppressed"),
    "exam_summary": ("exam_id", "name", "subject", "grade", "academic_session", "exam_date", "max_score",
                     "students_present", "mean_score", "suppressed"),
    "student_exam": ("exam_id", "student_key", "subject", "grade", "academic_session", "exam_date", "school_sourced_id",
                     "score", "max_score", "z_score", "district_rank", "percentile"),
    "top_students": ("grade", "academic_session", "cohort_sittings", "student_key", "school_sourced_id", "sittings_taken",
                     "sittings_in_top_n", "in_all", "in_all_but_one", "top_n", "cohort_students", "top_n_covers_cohort"),
    "class_term": ("class_sourced_id", "class_type", "class_title", "school_sourced_id", "academic_session", "subject",
                   "grade", "students", "mean_active_days", "online_share", "suppressed"),
    "class_exam": ("class_sourced_id", "class_type", "class_title", "school_sourced_id", "exam_id", "exam_date", "subject",
                   "grade", "academic_session", "students", "band_lt60", "band_60_70", "band_70_80", "band_80_90",
                   "band_ge90", "mean_score", "mean_score_rate", "mean_z", "suppressed"),
    "platform_use_monthly": ("month", "org_sourced_id", "org_type", "org_name", "segment", "population", "on_roster",
                             "registered", "registration_rate", "active_users", "active_rate", "page_views",
                             "homework_published", "checkins_published", "checkins_done", "evaluations_published",
                             "training_hours", "suppressed"),
    "school_flags_monthly": ("month", "school_sourced_id", "school_name", "district_sourced_id", "flag", "triggered_by",
                             "use_rate", "district_use_rate", "training_hours_per_teacher",
                             "district_training_hours_per_teacher", "registration_rate", "last_lagging_month",
                             "followed_up", "recovered", "use_rate_change_since_flag"),
    "class_engagement": ("class_sourced_id", "class_type", "class_title", "school_sourced_id", "grade", "academic_session",
                         "students", "students_answering", "answer_share", "microtests_answered", "mean_active_days",
                         "mean_logins", "mean_resources_viewed", "mean_microtests_answered", "mean_homework_submitted",
                         "suppressed"),
    "district_knowledge": ("district_sourced_id", "subject", "kp_id", "kp_name", "students", "students_assessed",
                           "mean_score_rate", "weak_students", "weak_share", "suppressed"),
    "district_term": ("district_sourced_id", "district_name", "academic_session", "subject", "students",
                      "mean_score_rate", "mean_z_score", "band_lt60", "band_ge90", "suppressed"),
    "student_knowledge": ("student_key", "kp_id", "subject", "kp_name", "items", "score_rate", "mastery_level",
                          "exam_items", "microtest_items"),
    "student_ability": ("student_key", "subject", "ability", "items", "score_rate"),
    "student_term_profile": ("student_key", "academic_session", "active_days", "logins", "resources_viewed",
                             "microtests_answered", "homework_submitted", "time_on_task_minutes"),
    "quality_map": ("school_sourced_id", "subject", "exam_id", "school_name", "exam_date", "grade", "students",
                    "mean_score", "mean_z", "change_in_mean_z", "change_in_mean_z_same_grade", "suppressed"),
    "item_analysis": ("exam_id", "item_id", "difficulty", "discrimination", "suppressed"),
    "class_weak_points": ("class_sourced_id", "academic_session", "subject", "kp_id", "kp_name", "score_rate", "weak_rank",
                          "suppressed"),
}
RESTRICTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "student_identity": ("student_key", "student_sourced_id", "given_name", "family_name", "school_sourced_id",
                         "school_name", "district_sourced_id", "grade", "homeroom_class_sourced_id", "homeroom_title",
                         "guardian_sourced_ids"),
    "staff_scope": ("person_sourced_id", "role", "scope_type", "scope_id", "school_sourced_id", "district_sourced_id",
                    "grade", "subject",
                    "class_sourced_id", "begin_date", "end_date"),
    "student_fitness": ("student_key",),
    "student_psych": ("student_key",),
    "class_membership": ("class_sourced_id", "student_key"),
    "class_fitness": ("homeroom_class_sourced_id", "school_sourced_id", "academic_session", "fitness_grade", "students",
                      "class_students", "share", "suppressed"),
    "class_psych": ("homeroom_class_sourced_id", "school_sourced_id", "risk_level", "students", "class_students",
                    "suppressed"),
    "scope_fitness": ("academic_session", "scope_type", "scope_id", "parent_scope_id", "school_sourced_id",
                      "district_sourced_id", "fitness_grade", "students", "scope_students", "share", "suppressed"),
    "scope_psych": ("scope_type", "scope_id", "parent_scope_id", "school_sourced_id", "district_sourced_id",
                    "risk_level", "students", "scope_students", "share", "suppressed"),
    "students_needing_attention": ("class_sourced_id", "student_key", "latest_mean_z", "min_z_change",
                                   "days_without_activity", "absent_from_latest", "low_z", "z_fall", "inactive",
                                   "needs_attention", "psych_risk_high"),
    "org_hierarchy": ("school_sourced_id", "school_name", "district_sourced_id", "district_name", "city_sourced_id", "city_name"),
}


# The marts with one student's rows per student_key that a student's or a parent's page
# reads for that student alone: a store made for some students reads only their rows.
PER_STUDENT = ("student_exam", "student_knowledge", "student_ability", "student_term_profile", "student_fitness",
               "student_psych")
# Of those, the marts no other page reads: a render without student and parent pages
# leaves them unread (at district scale 5.8 M rows, 2.3 GB in pandas, 11 s to load).
STUDENT_PAGES_ONLY = ("student_knowledge", "student_ability")
# And the marts only the pages below a district read (a student's, a parent's, a class's,
# a grade's or a school's): the pipeline's batch renders the district and city pages and
# lists the others for `eduhouse serve`, so it leaves these unread too (at district scale
# 0.7 M rows, about 1.5 s of the new day's reports). Page titles and scopes read none of them whole.
# student_exam is among them: the district pages read only its distinct (school, subject,
# exam), which MartStore.distinct() asks the file for (0.5 M rows, 0.9 s to load and index);
# so is class_membership, whose distinct class titles name the head teachers' pages
# (data._membership_titles).
BELOW_DISTRICT_ONLY = (*STUDENT_PAGES_ONLY, "student_exam", "student_term_profile", "student_fitness", "student_psych",
                       "students_needing_attention", "class_weak_points", "class_exam", "class_engagement",
                       "class_fitness", "class_psych", "class_membership")


def _read(con: duckdb.DuckDBPyConnection, path: Path, students: list[str] | None = None) -> pd.DataFrame:
    if students is None:
        return con.execute("select * from read_parquet(?)", [str(path)]).df()
    # the marts are written in student_key order, so this reads a row group, not the file
    return con.execute("select * from read_parquet(?) where student_key in (select unnest(?))",
                       [str(path), list(students)]).df()


@lru_cache(maxsize=256)
def _row_type(fields: tuple[str, ...]):
    return namedtuple("Row", fields, rename=True)


def records(frame: pd.DataFrame):
    """``frame.itertuples()`` (the same named rows, an ``Index`` first, the same Python
    values) without its cost per call: pandas builds a Series per column and a new
    namedtuple class each time, 1.6 ms for a 25-column frame of a few rows. Pages
    iterate thousands of such small frames."""
    columns = list(frame.columns)
    row = _row_type(("Index", *columns))
    lists = frame.to_dict("list") if len(columns) == len(set(columns)) else None
    if lists is None:  # duplicate column names: pandas' own way
        return frame.itertuples()
    return map(row._make, zip(frame.index, *(lists[c] for c in columns), strict=True))


class Indexed:
    """A frame sorted by ``key`` with offsets, so ``get(k)`` is a slice, not a scan.

    Sorted the first time it is read, not when it is made: a render reads only some of
    the indexes the loaded marts offer (the pipeline's batch of district pages none of the
    per-student ones), and sorting a district's million-row marts costs about 0.5 s."""

    def __init__(self, frame: pd.DataFrame, key: str) -> None:
        self._source: pd.DataFrame | None = frame
        self.key = key
        # `eduhouse serve` renders pages in several threads from one loaded publication
        self._lock = threading.Lock()

    def _build(self) -> None:
        # Grouped by the key as text, which is what lookups compare (a null key is 'None'
        # and groups on its own). A frame already in key order (the student marts are
        # exported so) is neither sorted nor copied again: at district scale that saves a
        # 4 M-row copy of student_knowledge and a sort of its keys.
        f = self._source
        values = f[self.key].astype(str).to_numpy() if len(f) else np.array([], dtype=object)
        if len(values) > 1 and not bool((values[1:] >= values[:-1]).all()):
            order = np.argsort(values, kind="stable")
            f, values = f.take(order), values[order]
        if not (isinstance(f.index, pd.RangeIndex) and f.index.start == 0 and f.index.step == 1):
            f = f.reset_index(drop=True)
        starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1]))) if len(values) \
            else np.array([], dtype=int)
        self._keys, self._starts = values[starts], starts.astype(int)
        self._ends = np.append(starts[1:], len(values)).astype(int)
        self._frame = f  # last: a reader that sees it sees the offsets too
        self._source = None  # the unsorted frame is not kept beside the sorted one

    @property
    def frame(self) -> pd.DataFrame:
        """The rows in key order."""
        if "_frame" not in self.__dict__:
            with self._lock:
                if "_frame" not in self.__dict__:
                    self._build()
        return self._frame

    def get(self, key: str) -> pd.DataFrame:
        frame = self.frame
        i = np.searchsorted(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return frame.iloc[self._starts[i]: self._ends[i]]
        return frame.iloc[0:0]

    def cols(self, key: str, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
        """The key's rows as column arrays (views into arrays built once): the hot path
        for per-student pages, with no DataFrame per page."""
        frame = self.frame
        arrays = self.__dict__.setdefault("_arrays", {})
        i = np.searchsorted(self._keys, key)
        found = i < len(self._keys) and self._keys[i] == key
        lo, hi = (int(self._starts[i]), int(self._ends[i])) if found else (0, 0)
        out = {}
        for c in columns:
            if c not in arrays:
                arrays[c] = frame[c].to_numpy() if c in frame.columns else np.full(len(frame), None, dtype=object)
            out[c] = arrays[c][lo:hi]
        return out

    def get_many(self, keys) -> pd.DataFrame:
        """Rows of all ``keys`` in one vectorised take (no per-key slicing)."""
        frame = self.frame
        wanted = np.unique(np.asarray([str(k) for k in keys], dtype=object))
        if not len(wanted) or not len(self._keys):
            return frame.iloc[0:0]
        pos = np.searchsorted(self._keys, wanted)
        ok = pos < len(self._keys)
        ok[ok] = self._keys[pos[ok]] == wanted[ok]
        pos = pos[ok]
        starts, ends = self._starts[pos], self._ends[pos]
        lens = ends - starts
        if not lens.sum():
            return frame.iloc[0:0]
        idx = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens) + np.arange(lens.sum())
        return frame.iloc[idx]


class MartStore:
    """Every mart the reports read, loaded once, plus the org hierarchy. With
    ``students``, the PER_STUDENT marts hold only those students' rows (an empty list: no
    rows); every other mart is read whole."""

    def __init__(self, lake: str | Path, students: list[str] | None = None,
                 con: duckdb.DuckDBPyConnection | None = None, unread: tuple[str, ...] = ()):
        self.paths = LakePaths(Path(lake))
        self.students = None if students is None else list(students)
        self.unread = tuple(unread)  # marts no page of this render reads: empty, not missing
        self.missing: list[str] = []
        self._con = con or duckdb.connect()  # a cursor of a shared connection saves a connect
        self._cache: dict[str, pd.DataFrame] = {}

    def _file(self, name: str) -> tuple[Path, tuple[str, ...]]:
        """A mart's file and the columns the reports read from it."""
        restricted = name in RESTRICTED_COLUMNS
        folder = self.paths.restricted if restricted else self.paths.marts
        return folder / f"{name}.parquet", (RESTRICTED_COLUMNS if restricted else PUBLIC_COLUMNS).get(name, ())

    def distinct(self, name: str, columns: list[str]) -> pd.DataFrame:
        """The distinct rows of ``columns`` over all the mart's rows, whatever this store's
        students and unread marts (what a page needs of a mart it does not load), sorted."""
        path, _ = self._file(name)
        frame = self._cache.get(name)
        if frame is not None and self.students is None and name not in self.unread:
            rows = frame[columns].drop_duplicates()
            return rows.sort_values(columns, na_position="last", kind="stable").reset_index(drop=True)
        if not path.exists():
            if name not in self.missing:
                self.missing.append(name)
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        # a column the file lacks is null, as table() makes it
        present = {d[0] for d in self._con.execute("select * from read_parquet(?) limit 0", [str(path)]).description}
        listed = ", ".join(f'"{c}"' if c in present else f'null as "{c}"' for c in columns)
        return self._con.execute(f"select distinct {listed} from read_parquet(?) order by all", [str(path)]).df()

    def table(self, name: str) -> pd.DataFrame:
        if name in self._cache:
            return self._cache[name]
        path, columns = self._file(name)
        if name in self.unread:
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        elif path.exists():
            frame = _read(self._con, path, self.students if name in PER_STUDENT else None)
            for col in columns:
                if col not in frame.columns:
                    frame[col] = None
        else:
            if name not in ("class_term", "org_hierarchy"):
                self.missing.append(name)
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        self._cache[name] = frame
        return frame

    def orgs(self) -> pd.DataFrame:
        """sourced_id, name, type, parent_sourced_id: the school → district → city tree.

        From the restricted ``org_hierarchy`` mart; else the orgs named in usage_monthly
        and student_identity."""
        hier = self.table("org_hierarchy")
        if len(hier):
            parts = [
                hier[["school_sourced_id", "school_name", "district_sourced_id"]].set_axis(
                    ["sourced_id", "name", "parent_sourced_id"], axis=1).assign(type="school"),
                hier[["district_sourced_id", "district_name", "city_sourced_id"]].set_axis(
                    ["sourced_id", "name", "parent_sourced_id"], axis=1).assign(type="district"),
                hier[["city_sourced_id", "city_name"]].set_axis(["sourced_id", "name"], axis=1).assign(
                    type="city", parent_sourced_id=None),
            ]
            out = pd.concat(parts, ignore_index=True)
            out = out[out.sourced_id.notna()].drop_duplicates("sourced_id")
            return out[["sourced_id", "name", "type", "parent_sourced_id"]].reset_index(drop=True)
        usage = self.table("usage_monthly")
        rows = usage[["org_sourced_id", "org_name", "org_type"]].drop_duplicates("org_sourced_id")
        frame = rows.rename(columns={"org_sourced_id": "sourced_id", "org_name": "name", "org_type": "type"})
        ident = self.table("student_identity")
        extra = ident[["school_sourced_id", "school_name"]].drop_duplicates("school_sourced_id")
        extra = extra[~extra.school_sourced_id.isin(frame.sourced_id)].rename(
            columns={"school_sourced_id": "sourced_id", "school_name": "name"}).assign(type="school")
        frame = pd.concat([frame, extra], ignore_index=True)
        districts = frame[frame.type == "district"].sourced_id.tolist()
        frame["parent_sourced_id"] = np.where(frame.type == "school", districts[0] if len(districts) == 1 else None, None)
        return frame
