"""Privacy by construction, tried as an attacker would on the shared tiny district run
(docs/privacy.md): keys cannot be recomputed without the lake's key, the key is nowhere
but its file, nothing published shows or lets one recover a small cell, no public
output maps keys to names, and the audit's CSV holds no formula."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re

import duckdb
import pytest
from dagster._serdes import serialize_value

from orchestration.governance.publication import publication_findings
from orchestration.lake import LakePaths
from orchestration.privacy.pseudonym import hmac_pads, load_key, pseudonym
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e

OLD_DEFAULT_SECRET = "eduhouse-dev-secret-not-for-production"


def _sourced_ids(lake) -> list[str]:
    users = LakePaths(lake).bronze_table("roster", "users")
    with duckdb.connect() as con:
        return [r[0] for r in con.execute(
            f"select distinct \"sourcedId\" from read_parquet('{users}/*.parquet', union_by_name = true)").fetchall()]


def _public_keys(lake) -> dict[str, set[str]]:
    out = {}
    with duckdb.connect() as con:
        for path in sorted(LakePaths(lake).marts.glob("*.parquet")):
            cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{path}')").fetchall()]
            if "student_key" in cols:
                out[path.stem] = {r[0] for r in con.execute(
                    f"select distinct student_key from read_parquet('{path}') where student_key is not null").fetchall()}
    return out


def test_the_key_is_the_lakes_own_and_owner_only(pipeline):
    key_file = pipeline.lake / "ops" / "secrets" / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o777 == 0o700
    assert len(key_file.read_text().strip()) == 64  # 32 random bytes, hex


def test_identities_and_pages_are_the_service_users_only(pipeline):
    """The restricted marts (names, birth dates, psych screenings), the rendered pages and
    the data docs are read through `eduhouse serve`, never as shared folders."""
    paths = LakePaths(pipeline.lake)
    for folder in (paths.restricted, paths.reports):
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_no_public_key_is_recomputable_from_a_sourced_id(pipeline):
    """Every known sourcedId hashed every way an attacker would try: unkeyed sha256, md5,
    sha1, the id itself, and the old default secret (sha256 and HMAC). No public key
    matches; the keys are the HMAC under the lake's key (checked with Python's hmac)."""
    ids = _sourced_ids(pipeline.lake)
    assert len(ids) > 50
    guesses = set(ids)
    for sid in ids:
        b = sid.encode()
        guesses |= {hashlib.sha256(b).hexdigest(), hashlib.md5(b).hexdigest(), hashlib.sha1(b).hexdigest(),
                    hashlib.sha256(f"{OLD_DEFAULT_SECRET}:{sid}".encode()).hexdigest(),
                    hmac.new(OLD_DEFAULT_SECRET.encode(), b, hashlib.sha256).hexdigest()}
    keys = _public_keys(pipeline.lake)
    assert {"student_exam", "student_knowledge", "top_students"} <= set(keys)
    for mart, values in keys.items():
        assert not values & guesses, mart
    lake_key = load_key(pipeline.lake, create=False)
    expected = {pseudonym(lake_key, sid) for sid in ids}
    for mart, values in keys.items():
        assert values and values <= expected, mart


def test_the_key_is_in_no_artifact_log_or_event(pipeline):
    """The key, its hex form and its HMAC pads appear in no file of the lake but the key
    file (dbt's target and logs, Dagster storage, the warehouse, the marts), not in the
    project's own dbt target, and not in any Dagster event of the runs."""
    lake = pipeline.lake
    key = load_key(lake, create=False)
    ipad, opad = hmac_pads(key)
    needles = [key, key.hex().encode(), ipad, opad, ipad.hex().encode(), opad.hex().encode()]
    key_file = lake / "ops" / "secrets" / "pseudonym.key"
    scanned = 0
    roots = [lake, DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"]
    for root in roots:
        for path in root.rglob("*") if root.exists() else ():
            if path.is_file() and path != key_file and "inbox" not in path.parts:
                data = path.read_bytes()
                scanned += 1
                assert not any(n in data for n in needles), path
    assert scanned > 100
    assert (lake / "ops" / "dbt" / "target").exists()
    runs = pipeline.instance.get_run_records()
    assert runs
    for record in runs:
        for entry in pipeline.instance.all_logs(record.dagster_run.run_id):
            text = serialize_value(entry).encode()
            assert not any(n in text for n in needles)


def test_nothing_published_shows_or_gives_away_a_small_cell(pipeline):
    """The audit's publication checks over every public mart (small cells shown, hidden
    cells recoverable from a total, identifiers, weak keys, classified columns) find
    nothing, and the public aggregates carry their `suppressed` flag."""
    findings, downstream = publication_findings(pipeline.lake, min_cell=10)
    assert findings.empty, findings[["check", "evidence"]].to_string()
    flagged = {"usage_monthly", "microtest_monthly", "class_term", "school_term", "district_term", "quality_map",
               "exam_summary", "item_analysis", "class_weak_points"}
    with duckdb.connect() as con:
        for name in flagged:
            path = LakePaths(pipeline.lake).marts / f"{name}.parquet"
            cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{path}')").fetchall()]
            assert "suppressed" in cols, name
    assert not set(downstream) & flagged


def test_no_public_output_maps_a_key_to_a_name(pipeline):
    reports = pipeline.lake / "reports"
    with duckdb.connect() as con:
        names = {r[0] for r in con.execute(
            f"select family_name || given_name from read_parquet('{LakePaths(pipeline.lake).restricted}/student_identity.parquet')"
        ).fetchall() if r[0]}
    assert names
    pages = json.loads((reports / "pages.json").read_text(encoding="utf-8"))
    texts = [json.dumps(pages, ensure_ascii=False)]
    texts += [p.read_text(encoding="utf-8") for p in (reports / "publication").glob("*.html")]
    texts += [p.read_text(encoding="utf-8") for p in [reports / "index.html", *(reports / "student").glob("index.html")]]
    for text in texts:
        assert not [n for n in names if n in text]


def test_the_audit_csv_holds_no_formula(pipeline):
    path = next(pipeline.lake.rglob("access_audit_findings.csv"))
    with open(path, encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert cells
    assert not [c for c in cells if re.match(r"[=+\-@\t\r]", c)]


def test_status_notices_marts_built_under_another_key(pipeline, tmp_path):
    """After a key is rotated (or lost) and before the rebuild, `eduhouse status` says so."""
    import os
    import shutil

    from orchestration.automation.status import pseudonym_key_problem

    (tmp_path / "restricted").mkdir()
    shutil.copy(LakePaths(pipeline.lake).restricted / "student_identity.parquet", tmp_path / "restricted")
    secrets = tmp_path / "ops" / "secrets"
    secrets.mkdir(parents=True, mode=0o700)
    key_file = secrets / "pseudonym.key"
    shutil.copy(pipeline.lake / "ops" / "secrets" / "pseudonym.key", key_file)
    os.chmod(key_file, 0o600)
    saved = os.environ.pop("EDUHOUSE_PSEUDONYM_SECRET", None)
    try:
        assert pseudonym_key_problem(tmp_path) is None
        key_file.write_text("another-key-0123456789abcdef\n")
        assert "built under another pseudonym key" in pseudonym_key_problem(tmp_path)
        os.chmod(key_file, 0o644)
        assert "readable by others" in pseudonym_key_problem(tmp_path)
        key_file.unlink()
        assert "no pseudonym key" in pseudonym_key_problem(tmp_path)
    finally:
        if saved is not None:
            os.environ["EDUHOUSE_PSEUDONYM_SECRET"] = saved
