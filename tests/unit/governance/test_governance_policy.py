"""The role policy: default-deny decisions, consent rules, and seeds in step with the YAML."""

from __future__ import annotations

from pathlib import Path

from orchestration.governance import policy
from orchestration.settings import DBT_PROJECT_DIR


def test_allows_is_default_deny():
    assert policy.allows("head_teacher", "student_psych", "pastoral_care")
    assert not policy.allows("teacher", "student_psych", "teaching")
    assert not policy.allows("head_teacher", "student_psych", "research")
    assert not policy.allows("janitor", "usage_monthly", "statistics")
    assert not policy.allows("city_admin", "student_exam", "statistics")


def test_every_role_has_a_template():
    roles = policy.load_policy()["roles"]
    # the nine report roles of the mission, plus the apps; reporting derives its roles from here
    assert policy.REPORT_ROLES == ("student", "parent", "teacher", "head_teacher", "grade_leader", "principal",
                                   "subject_researcher", "district_admin", "city_admin")
    assert policy.ROLES == (*policy.REPORT_ROLES, "downstream_app")
    for name, t in roles.items():
        assert t["scope_types"] and t["resources"] and t["purposes"] and t["columns"], name
        assert set(t["resources"]) <= set(policy.load_policy()["resources"]), name


def test_consent_rules():
    assert policy.needs_consent("subject_researcher", "research", "learning", under_14=False)
    assert policy.needs_consent("head_teacher", "pastoral_care", "sensitive_psych", under_14=True)
    assert not policy.needs_consent("teacher", "teaching", "sensitive_health", under_14=True)
    assert not policy.needs_consent("parent", "guardianship", "sensitive_health", under_14=True)
    assert not policy.needs_consent("head_teacher", "pastoral_care", "sensitive_psych", under_14=False)


def test_committed_seeds_match_the_yaml():
    """Edit role_policy.yaml, then run `python -m orchestration.governance.policy`."""
    for name, rows in policy.seed_tables().items():
        committed = (policy.SEEDS_DIR / f"{name}.csv").read_text(encoding="utf-8")
        assert committed == policy.seed_csv(rows), f"{name}.csv is stale"


def test_every_check_has_a_model_or_a_publication_check():
    models = {p.stem.replace("int_governance__check_", "")
              for p in (DBT_PROJECT_DIR / "models" / "intermediate" / "governance").glob("int_governance__check_*.sql")}
    log_checks = {"log_sequence_gap", "log_missing_fields", "log_duplicate_event"}
    publication = {"small_cell_published", "identifier_in_public_mart"}
    for check, meta in policy.checks().items():
        assert meta["severity"] in ("critical", "high", "medium", "low")
        assert check in models or check in log_checks | publication, check
    assert Path(policy.POLICY_PATH).exists()


def test_a_read_returns_only_columns_both_the_grant_and_the_role_template_open():
    from orchestration.serve.catalog import Column, Mart
    from orchestration.serve.enforce import readable_columns

    cols = (Column("class_sourced_id", "VARCHAR", "attribute", ""), Column("mean_score", "DOUBLE", "aggregate", ""),
            Column("student_key", "VARCHAR", "pseudonymous", ""), Column("risk_level", "VARCHAR", "sensitive_psych", ""))
    mart = Mart("m", "", "public", "learning", False, ("class_sourced_id",), cols, Path("m.parquet"))
    sensitive = {"sensitive_psych", "sensitive_health", "minor"}
    every = {"columns": ["*"], "sensitive": True}
    assert readable_columns(mart, every, ["*"], sensitive, "pastoral_care") == [c.name for c in cols]
    assert readable_columns(mart, every, None, sensitive, "pastoral_care") == [c.name for c in cols]
    # psych serves pastoral care (category_purposes): read for teaching, its column is not returned
    assert readable_columns(mart, every, ["*"], sensitive, "teaching") == [c.name for c in cols[:3]]
    # a template that lists its columns bounds a grant of every column, and of a list
    assert readable_columns(mart, every, ["class_sourced_id", "mean_score"], sensitive, "teaching") == \
        ["class_sourced_id", "mean_score"]
    assert readable_columns(mart, {"columns": [], "sensitive": False}, ["mean_score", "risk_level"], sensitive,
                            "pastoral_care") == \
        ["mean_score"]
    assert readable_columns(mart, {"columns": ["student_key", "mean_score"], "sensitive": False}, ["mean_score"],
                            sensitive, "teaching") == ["mean_score"]
