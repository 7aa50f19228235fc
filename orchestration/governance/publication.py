"""Checks over what is actually published: the public mart Parquet files.

They run after dbt has exported the marts (so they see the files apps read), in an
in-memory DuckDB over Parquet, and return findings shaped like the
access_audit_findings mart:

- identifier_in_public_mart: a column classified direct_identifier (column_classification
  export) or named like one in a public mart, or a `student_key` that equals an unkeyed
  hash (sha256 / sha1 / md5) of, or is, a student's sourcedId, or a hash or HMAC under a
  secret that was ever public (the constant dev secret of older versions).
- small_cell_published: in a published aggregate that carries the suppression flag
  (`_suppressed` or `is_suppressed`), a group of 1..min_cell-1 people shown, or a hidden
  cell recoverable as total minus the other cells of its line. A public mart without
  the flag is listed as "suppressed downstream" (reports suppress), not as a finding,
  unless `strict=True` treats every public aggregate as published as is.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.governance.policy import checks
from orchestration.lake import LakePaths
from orchestration.privacy.pseudonym import hmac_pads
from orchestration.settings import DEFAULT_MIN_CELL

# Secrets that were once in the code: a key made with one of them is as good as unkeyed.
PUBLIC_SECRETS = ("eduhouse-dev-secret-not-for-production",)

IDENTIFIER_NAMES = {"given_name", "family_name", "middle_name", "birth_date", "phone", "email", "sms",
                    "student_sourced_id", "user_sourced_id", "guardian_sourced_ids", "username",
                    "identifier", "user_identifier", "national_id"}
CELL_SIZE_NAMES = ("students", "n_students", "on_roster", "students_assigned", "student_count", "cell_size",
                   "students_present",
                   "people", "n")
SUPPRESSION_FLAGS = ("suppressed", "_suppressed", "is_suppressed")
# Classifications no public mart may hold (docs/privacy.md).
PROTECTED_CLASSES = ("direct_identifier", "sensitive_health", "sensitive_psych")
TOTAL_MARKERS = ("all", "total", "*", "合计", "全部")
FINDING_COLUMNS = ["finding_id", "check", "severity", "principal_id", "grant_id", "event_ids", "event_count",
                   "evidence", "first_seen", "last_seen", "title", "how_to_fix"]


def _finding(check: str, evidence: str, seen: datetime, about: str) -> dict:
    """A finding; its id is a hash of the check and what it is ``about`` (a mart and
    column), never of the evidence, whose counts change from one audit to the next (as
    access_audit_findings' ids)."""
    meta = checks()[check]
    fid = hashlib.md5(f"{check}|{about}".encode()).hexdigest()[:16]
    return {"finding_id": fid, "check": check, "severity": meta["severity"], "principal_id": None,
            "grant_id": None, "event_ids": [], "event_count": 0, "evidence": evidence, "first_seen": seen,
            "last_seen": seen, "title": meta["title"], "how_to_fix": meta["how_to_fix"]}


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def public_marts(lake: LakePaths) -> list[Path]:
    return sorted(p for p in lake.marts.glob("*.parquet") if not p.name.startswith("."))


def _classification(con, lake: LakePaths) -> pd.DataFrame:
    path = lake.restricted / "column_classification.parquet"
    if not path.exists():
        return pd.DataFrame(columns=["model_name", "column_name", "classification", "exposure"])
    return con.execute(f"select * from read_parquet({_q(path)})").df()


def _student_ids(con, lake: LakePaths) -> str | None:
    """A SQL relation of student sourcedIds (restricted identity export, else bronze users)."""
    ident = lake.restricted / "student_identity.parquet"
    if ident.exists():
        return f"(select student_sourced_id as sid from read_parquet({_q(ident)}))"
    users = lake.bronze_table("roster", "users")
    if any(users.glob("*.parquet")):
        return (f"(select \"sourcedId\" as sid from read_parquet({_q(users / '*.parquet')}, union_by_name = true)"
                " where lower(role) = 'student')")
    return None


def _public_secret_hashes() -> tuple[str, list]:
    """SQL lines (for the `weak` CTE) hashing every id under each public secret: the old
    sha256(secret || ':' || id) and the HMAC, with the secret passed as parameters."""
    lines, params = [], []
    for i, secret in enumerate(PUBLIC_SECRETS):
        ipad, opad = hmac_pads(secret.encode())
        lines.append(f"union all select sha256(? || ':' || sid), 'sha256 under public secret #{i + 1}' from ids")
        lines.append(f"union all select sha256(?::blob || unhex(sha256(?::blob || encode(sid)))), "
                     f"'HMAC under public secret #{i + 1}' from ids")
        params += [secret, opad, ipad]
    return "\n".join(lines), params


def identifier_findings(con, lake: LakePaths) -> list[dict]:
    out = []
    cls = _classification(con, lake)
    classified = cls[cls["classification"].isin(PROTECTED_CLASSES)]
    direct = {(m, c): k for m, c, k in zip(classified["model_name"], classified["column_name"],
                                           classified["classification"], strict=True)}
    # A column name classified protected in some model and never anything else (fitness_grade,
    # risk_level) is protected wherever it appears; shared names (score) are judged per model.
    other = set(cls.loc[~cls["classification"].isin(PROTECTED_CLASSES), "column_name"])
    by_name = {c: k for c, k in zip(classified["column_name"], classified["classification"], strict=True)
               if c not in other}
    students = _student_ids(con, lake)
    if students:
        # every weak pseudonym of every student, worked out once for all the marts
        weak_keyed, params = _public_secret_hashes()
        con.execute(f"""
            create or replace temp table weak_keys as
            with ids as (select sid from {students} where sid is not null)
            select sid as k, 'the sourcedId itself' as how from ids
            union all select sha256(sid), 'sha256(sourcedId)' from ids
            union all select md5(sid), 'md5(sourcedId)' from ids
            union all select sha1(sid), 'sha1(sourcedId)' from ids
            {weak_keyed}
        """, params)
    for path in public_marts(lake):
        name = path.stem
        seen = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        columns = [r[0] for r in con.execute(f"describe select * from read_parquet({_q(path)})").fetchall()]
        for col in columns:
            if (name, col) in direct or col in by_name or col.lower() in IDENTIFIER_NAMES:
                why = (f"classified {direct[(name, col)]}" if (name, col) in direct
                       else f"classified {by_name[col]} elsewhere" if col in by_name else "an identifier by name")
                out.append(_finding("identifier_in_public_mart", f"public mart {name}: column {col} is {why}", seen,
                                    f"{name}.{col}"))
        if "student_key" in columns and students:
            hit = con.execute(f"""
                with keys as (select distinct cast(student_key as varchar) as k from read_parquet({_q(path)}))
                select w.how, count(*) from keys join weak_keys as w on w.k = keys.k group by w.how order by 2 desc
            """).fetchall()
            for how, n in hit:
                out.append(_finding("identifier_in_public_mart",
                                    f"public mart {name}: {n} student_key value(s) equal {how} (weak pseudonym)", seen,
                                    f"{name}.student_key:{how}"))
    return out


def _cells(df: pd.DataFrame, size_col: str, flag: str | None, min_cell: int) -> tuple[pd.DataFrame, list[str]]:
    dims = [c for c in df.columns if c != flag and c != size_col
            and (df[c].dtype == object or str(df[c].dtype).startswith(("string", "category")))]
    hidden = df[flag].fillna(False).astype(bool) if flag else pd.Series(False, index=df.index)
    size = pd.to_numeric(df[size_col], errors="coerce")
    small = (size > 0) & (size < min_cell) & ~hidden
    return df.assign(_size=size, _hidden=hidden, _small=small), dims


def _hierarchy_recoverable(con, lake: LakePaths, path: Path, flag: str, dims: list[str]) -> int:
    """Lines of an org-level table (a district row and its schools' rows, a city row and its
    districts' and directly attached schools') holding exactly one hidden row, within the
    same values of the other dimensions (month, segment, population): that row is the
    total minus the rest, or the sum of its parts."""
    hierarchy = lake.restricted / "org_hierarchy.parquet"
    if not hierarchy.exists():
        return 0
    same = " || '|' || ".join(f"coalesce(cast(m.{d} as varchar), '')" for d in dims) or "''"
    return con.execute(f"""
        with m as (select * from read_parquet({_q(path)})),
        h as (select * from read_parquet({_q(hierarchy)})),
        d as (select distinct district_sourced_id, city_sourced_id from h where district_sourced_id is not null),
        members as (
            select {same} as line, coalesce(h.district_sourced_id, h.city_sourced_id) as parent, m.{flag} as hidden
            from m join h on h.school_sourced_id = m.org_sourced_id where m.org_type = 'school'
            union all
            select {same}, d.city_sourced_id, m.{flag} from m join d on d.district_sourced_id = m.org_sourced_id
            where m.org_type = 'district'
            union all
            select {same}, m.org_sourced_id, m.{flag} from m where m.org_type in ('district', 'city')
        )
        select count(*) from (
            select line, parent from members where parent is not null
            group by line, parent having count(*) filter (where hidden) = 1
        )
    """).fetchone()[0]


def _joined(parts: list[pd.Series], index: pd.Index) -> pd.Series:
    """The texts of each row joined by "|", as ``frame.agg("|".join, axis=1)`` joins
    them, column by column rather than row by row."""
    if not parts:
        return pd.Series("", index=index)
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key


def small_cell_findings(con, lake: LakePaths, min_cell: int, strict: bool = False) -> tuple[list[dict], list[str]]:
    """Findings, and the public marts left to downstream suppression (no flag column)."""
    out, downstream = [], []
    for path in public_marts(lake):
        name = path.stem
        seen = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        columns = [r[0] for r in con.execute(f"describe select * from read_parquet({_q(path)})").fetchall()]
        size_col = next((c for c in CELL_SIZE_NAMES if c in columns), None)
        flag = next((c for c in SUPPRESSION_FLAGS if c in columns), None)
        if size_col is None:
            continue
        if flag is None and not strict:
            downstream.append(name)
            continue
        df = con.execute(f"select * from read_parquet({_q(path)})").df()
        cells, dims = _cells(df, size_col, flag, min_cell)
        n_small = int(cells["_small"].sum())
        if n_small:
            example = cells.loc[cells["_small"], dims[:4]].iloc[0].to_dict()
            out.append(_finding("small_cell_published",
                                f"{name}: {n_small} row(s) show {size_col} below {min_cell} unsuppressed, e.g. {example}",
                                seen, f"{name}.{size_col}:unsuppressed"))
        # recoverable: a line (all dims but one fixed) with a shown total and exactly one hidden cell
        recoverable = 0
        # each dimension as text once per mart, not once per line key built from it: a
        # list column's text is numpy's printing of each array (class_term's weak_points)
        text = {c: cells[c].astype(str) for c in dims}
        for d in dims:
            others = [c for c in dims if c != d]
            is_total = cells[d].isna() | text[d].str.lower().isin(TOTAL_MARKERS)
            if not is_total.any():
                continue
            key = _joined([text[c] for c in others], cells.index)
            totals = set(key[is_total & ~cells["_hidden"]])
            hidden_per_line = cells[~is_total & cells["_hidden"]].groupby(key[~is_total & cells["_hidden"]]).size()
            recoverable += int(((hidden_per_line == 1) & hidden_per_line.index.isin(totals)).sum())
        if {"org_type", "org_sourced_id"} <= set(columns) and flag is not None:
            recoverable += _hierarchy_recoverable(con, lake, path, flag,
                                                  [d for d in dims if d not in ("org_type", "org_sourced_id", "org_name")])
        if recoverable:
            out.append(_finding("small_cell_published",
                                f"{name}: {recoverable} suppressed cell(s) recoverable as total minus the other cells",
                                seen, f"{name}:recoverable"))
    return out, downstream


def publication_findings(lake_root: Path, min_cell: int = DEFAULT_MIN_CELL, strict: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """All publication findings as a DataFrame (access_audit_findings columns)."""
    lake = LakePaths(Path(lake_root))
    con = duckdb.connect()
    try:
        rows = identifier_findings(con, lake)
        cells, downstream = small_cell_findings(con, lake, min_cell, strict)
        rows += cells
    finally:
        con.close()
    return pd.DataFrame(rows, columns=FINDING_COLUMNS), downstream
