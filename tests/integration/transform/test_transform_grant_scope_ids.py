"""Grant scope ids in the forms a bureau may write them (the contract leaves a grade's or
a subject's id open): '<school>:<grade>' and '<district>:<subject>' as staff_scope has
them, or a bare '07' / 'math' read in the principal's own staff assignments."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "transform"))
from bronze_fixture import _lineage, _write  # noqa: E402
from dbt_runner import run_dbt  # noqa: E402

T = datetime(2021, 9, 1, tzinfo=UTC)
GRANT = ("grant_id VARCHAR, principal_id VARCHAR, principal_type VARCHAR, role VARCHAR, scope_type VARCHAR, "
         "scope_ids VARCHAR[], resource VARCHAR, columns VARCHAR[], actions VARCHAR[], purposes VARCHAR[], "
         "sensitive BOOLEAN, granted_by VARCHAR, approved_by VARCHAR, valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ, "
         "revoked_at TIMESTAMPTZ")
STAFF = ("sourcedId VARCHAR, userSourcedId VARCHAR, role VARCHAR, orgSourcedId VARCHAR, grade VARCHAR, "
         "subject VARCHAR, beginDate DATE, endDate DATE")


def _grant(gid, principal, role, scope_type, ids, position):
    return (gid, principal, "user", role, scope_type, ids, "class_term", ["*"], ["read"], ["management"], False,
            "dpo", "board", T, None, None, *_lineage("g1", "grants.csv", position))


def test_bare_grade_and_subject_ids_are_read_in_the_principals_assignments(tmp_path):
    lake, target = tmp_path / "lake", tmp_path / "target"
    bronze = lake / "bronze"
    con = duckdb.connect()
    _write(con, bronze / "roster" / "staff_assignments" / "r1.parquet", STAFF, [
        ("sa-1", "gl-1", "grade_leader", "S1", "07", None, None, None, *_lineage("r1", "x.csv", 2)),
        ("sa-2", "gl-1", "grade_leader", "S2", "7", None, None, None, *_lineage("r1", "x.csv", 3)),
        ("sa-3", "sr-1", "subject_researcher", "D1", None, "math", None, None, *_lineage("r1", "x.csv", 4)),
    ])
    _write(con, bronze / "governance" / "grants" / "g1.parquet", GRANT, [
        _grant("g-bare-grade", "gl-1", "grade_leader", "grade", ["07"], 2),       # both schools he leads 07 in
        _grant("g-full-grade", "gl-1", "grade_leader", "grade", ["S1:07"], 3),    # as staff_scope writes it
        _grant("g-bare-subject", "sr-1", "subject_researcher", "subject", ["Math"], 4),
        _grant("g-unknown", "sr-1", "subject_researcher", "subject", ["physics"], 5),  # no assignment: as it came
        _grant("g-class", "gl-1", "teacher", "class", ["c-1", "c-2"], 6),          # other scopes untouched
    ])
    run_dbt(lake, ["run", "--select", "stg_roster__staff_assignments", "stg_governance__grants"], target)
    wh = duckdb.connect(str(lake / "warehouse" / "eduhouse.duckdb"), read_only=True)
    got = dict(wh.execute("select grant_id, scope_ids from staging.stg_governance__grants").fetchall())
    assert got == {"g-bare-grade": ["S1:07", "S2:07"], "g-full-grade": ["S1:07"], "g-bare-subject": ["D1:math"],
                   "g-unknown": ["physics"], "g-class": ["c-1", "c-2"]}
