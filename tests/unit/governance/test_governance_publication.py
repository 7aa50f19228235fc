"""Publication checks over hand-built public mart Parquet: each finds its case and spares
the near miss."""

from __future__ import annotations

import hashlib

import pandas as pd

from orchestration.governance.publication import publication_findings


def _lake(tmp_path, marts: dict[str, pd.DataFrame], classification=None, students=("stu-1", "stu-2")):
    (tmp_path / "marts").mkdir()
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
