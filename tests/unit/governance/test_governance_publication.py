"""Publication checks over hand-built public mart Parquet: each finds its case and spares
the near miss."""

from __future__ import annotations

import hashlib

import pandas as pd

from orchestration.governance.publication import publication_findings


def _lake(tmp_path, marts: dict[str, pd.DataFrame], classification=None, students=("stu-1", "stu-2")):
    (tmp_path / "marts").mkdir(parents=True)
    (tmp_path / "restricted").mkdir()
    for name, df in marts.items():
        df.to_parquet(tmp_path / "marts" / f"{name}.parquet")
    pd.DataFrame({"student_sourced_id": list(students)}).to_parquet(tmp_path / "restricted" / "student_identity.parquet")
    cls = classification or []
    pd.DataFrame(cls, columns=["model_name", "column_name", "classification", "exposure"]).to_parquet(
        tmp_path / "restricted" / "column_classification.parquet")
    return tmp_path


def _evidence(findings, check):
    return " | ".join(findings.loc[findings["check"] == check, "evidence"])


def test_direct_identifier_column_found_and_attribute_spared(tmp_path):
    lake = _lake(tmp_path, {"student_exam": pd.DataFrame({"student_key": ["k1"], "nickname": ["x"], "score": [1.0]})},
                 [("student_exam", "nickname", "direct_identifier", "public"),
                  ("student_exam", "score", "attribute", "public")])
    f, _ = publication_findings(lake)
    ev = _evidence(f, "identifier_in_public_mart")
    assert "column nickname" in ev and "score" not in ev


def test_weak_pseudonym_found_and_keyed_hash_spared(tmp_path):
    weak = hashlib.sha256(b"stu-1").hexdigest()
    keyed = hashlib.sha256(b"secret:stu-2").hexdigest()
    lake = _lake(tmp_path, {"student_exam": pd.DataFrame({"student_key": [weak]}),
                            "student_knowledge": pd.DataFrame({"student_key": [keyed]})})
    f, _ = publication_findings(lake)
    ev = _evidence(f, "identifier_in_public_mart")
    assert "student_exam: 1 student_key value(s) equal sha256(sourcedId)" in ev
    assert "student_knowledge" not in ev


def test_keys_under_the_old_public_secret_found_and_lake_hmac_spared(tmp_path):
    """Keys made with the secret older versions shipped are as good as unkeyed: the audit
    finds both the old sha256(secret:id) and an HMAC under it; an HMAC under a real key
    passes."""
    import hmac

    old = "eduhouse-dev-secret-not-for-production"
    legacy = hashlib.sha256(f"{old}:stu-1".encode()).hexdigest()
    hmac_old = hmac.new(old.encode(), b"stu-1", hashlib.sha256).hexdigest()
    real = hmac.new(b"0123456789abcdef-a-real-lake-key", b"stu-1", hashlib.sha256).hexdigest()
    lake = _lake(tmp_path, {"student_exam": pd.DataFrame({"student_key": [legacy]}),
                            "student_ability": pd.DataFrame({"student_key": [hmac_old]}),
                            "student_knowledge": pd.DataFrame({"student_key": [real]})})
    f, _ = publication_findings(lake)
    ev = _evidence(f, "identifier_in_public_mart")
    assert "student_exam: 1 student_key value(s) equal sha256 under public secret #1" in ev
    assert "student_ability: 1 student_key value(s) equal HMAC under public secret #1" in ev
    assert "student_knowledge" not in ev


def test_unsuppressed_small_cell_found_and_suppressed_spared(tmp_path):
    shown = pd.DataFrame({"school": ["a", "b"], "students": [4, 40], "mean": [70.0, 71.0], "_suppressed": [False, False]})
    hidden = pd.DataFrame({"school": ["a", "b"], "students": [4, 40], "mean": [None, 71.0], "_suppressed": [True, False]})
    lake = _lake(tmp_path, {"school_term": shown, "class_term": hidden})
    f, _ = publication_findings(lake, min_cell=10)
    ev = _evidence(f, "small_cell_published")
    assert "school_term: 1 row(s)" in ev and "class_term: 1 row(s)" not in ev


def test_recoverable_cell_found_and_complementary_suppression_spared(tmp_path):
    def table(hidden):
        return pd.DataFrame({"school": ["a", "b", "c", "all"], "students": [4, 30, 40, 74],
                             "_suppressed": hidden + [False]})
    lake = _lake(tmp_path, {"usage_monthly": table([True, False, False]),
                            "district_term": table([True, True, False])})
    f, _ = publication_findings(lake, min_cell=10)
    ev = _evidence(f, "small_cell_published")
    assert "usage_monthly: 1 suppressed cell(s) recoverable" in ev
    assert "district_term" not in ev


def test_marts_without_flag_are_left_to_report_suppression_unless_strict(tmp_path):
    lake = _lake(tmp_path, {"school_term": pd.DataFrame({"school": ["a"], "students": [3]})})
    f, downstream = publication_findings(lake)
    assert f.empty and downstream == ["school_term"]
    strict, _ = publication_findings(lake, strict=True)
    assert "school_term: 1 row(s)" in _evidence(strict, "small_cell_published")


def _usage(hidden_j2: bool, shown_j3: bool = False) -> pd.DataFrame:
    """A district D with schools J1, J2, J3 and its row, junior teachers, one month."""
    rows = [("J1", "school", 1000, False), ("J2", "school", 655, hidden_j2), ("J3", "school", 7, not shown_j3),
            ("D", "district", 1662, False)]
    return pd.DataFrame({
        "month": "2021-09", "org_sourced_id": [r[0] for r in rows], "org_type": [r[1] for r in rows],
        "org_name": [r[0] for r in rows], "segment": "junior", "population": "teacher",
        "on_roster": [None if r[3] else r[2] for r in rows], "suppressed": [r[3] for r in rows]})


def _with_hierarchy(lake):
    pd.DataFrame({"school_sourced_id": ["J1", "J2", "J3"], "district_sourced_id": "D", "city_sourced_id": "C"}).to_parquet(
        lake / "restricted" / "org_hierarchy.parquet")
    return lake


def test_hidden_school_recoverable_from_its_district_row_found(tmp_path):
    """The mart's `suppressed` flag is read; a district line with one hidden school is a
    finding, a line with two hidden schools (complementary suppression) is not."""
    leaky = _with_hierarchy(_lake(tmp_path / "a", {"usage_monthly": _usage(hidden_j2=False)}))
    ev = _evidence(publication_findings(leaky)[0], "small_cell_published")
    assert "usage_monthly: 1 suppressed cell(s) recoverable" in ev
    safe = _with_hierarchy(_lake(tmp_path / "b", {"usage_monthly": _usage(hidden_j2=True)}))
    assert _evidence(publication_findings(safe)[0], "small_cell_published") == ""
    shown = _with_hierarchy(_lake(tmp_path / "c", {"usage_monthly": _usage(hidden_j2=True, shown_j3=True)}))
    assert "usage_monthly: 1 row(s) show on_roster below 10" in _evidence(publication_findings(shown)[0],
                                                                        "small_cell_published")


def test_sensitive_column_in_a_public_mart_found(tmp_path):
    """fitness_grade is classified sensitive_health in student_fitness: put back into a
    public mart, the audit finds it even where the public mart's own classification is
    missing; `score`, protected in student_psych but an attribute in student_exam, is not."""
    cls = [("student_fitness", "fitness_grade", "sensitive_health", "restricted"),
           ("student_psych", "score", "sensitive_psych", "restricted"),
           ("student_exam", "score", "attribute", "public")]
    lake = _lake(tmp_path, {"student_term_profile": pd.DataFrame({"student_key": ["k"], "fitness_grade": ["良好"]}),
                            "student_exam": pd.DataFrame({"student_key": ["k"], "score": [1.0]})}, cls)
    ev = _evidence(publication_findings(lake)[0], "identifier_in_public_mart")
    assert "student_term_profile: column fitness_grade is classified sensitive_health elsewhere" in ev
    assert "student_exam" not in ev
