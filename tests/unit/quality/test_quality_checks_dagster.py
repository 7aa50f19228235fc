"""The suites as Dagster asset checks: ERROR blocks downstream assets, WARN does not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.partitions import daily_partitions
from orchestration.quality.checks import _suite_check, build_quality_checks
from orchestration.quality.suites import load_suites
from orchestration.resources import LakeResource

SUITES = {s.name: s for s in load_suites()}
FITNESS = dg.AssetKey(["bronze", "fitness"])
FITNESS_FILE = "bronze/fitness/fitness_results/d1.parquet"


def _fitness_defs(lake: Path):
    @dg.asset(key=FITNESS)
    def fitness() -> None:
        """Stands in for landing: the Parquet is already in the lake."""

    @dg.asset(deps=[FITNESS])
    def fitness_report() -> None:
        """Stands in for a report built on the checked data."""

    return [fitness, fitness_report, _suite_check(SUITES["fitness_results"])], {"lake": LakeResource(root=str(lake))}


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_error_failure_blocks_downstream(good_lake, lakekit):
    lakekit.break_table(good_lake, FITNESS_FILE, "SELECT * REPLACE ('good' AS grade) FROM t")
    assets, resources = _fitness_defs(good_lake)
    result = dg.materialize(assets, resources=resources, raise_on_error=False)
    evaluation = result.get_asset_check_evaluations()[0]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "fitness_report" not in _materialized(result)
    assert "fitness_report" not in {e.step_key for e in result.get_step_success_events()}
    md = evaluation.metadata
    assert md["failed_errors"].value == 1
    # a fitness suite is sensitive: the UI is told how many, never the values (nor whose)
    assert "expect_column_values_to_be_in_set" in md["failures"].value and "3 unexpected" in md["failures"].value
    assert "good" not in md["failures"].value
    assert Path(md["results_file"].value).exists()
    docs = Path(md["data_docs"].value)
    assert docs == good_lake / "reports" / "quality" / "index.html" and "fitness_results" in docs.read_text()


def test_warn_failure_is_shown_and_passes(good_lake, lakekit):
    lakekit.break_table(good_lake, FITNESS_FILE, "SELECT * REPLACE (CAST(300 AS DOUBLE) AS height_cm) FROM t")
    assets, resources = _fitness_defs(good_lake)
    result = dg.materialize(assets, resources=resources, raise_on_error=False)
    evaluation = result.get_asset_check_evaluations()[0]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert result.success and "fitness_report" in _materialized(result)
    assert evaluation.metadata["unexpected_rows"].value == 3


def test_clean_data_passes_and_history_is_kept(good_lake):
    assets, resources = _fitness_defs(good_lake)
    for _ in range(2):
        result = dg.materialize(assets, resources=resources)
        assert result.get_asset_check_evaluations()[0].passed
    files = sorted((good_lake / "quality" / "results" / "fitness_results").glob("*.parquet"))
    assert len(files) == 2
    rows = duckdb.execute(
        "SELECT count(DISTINCT run_id), bool_and(success), any_value(severity) IS NOT NULL "
        "FROM read_parquet(?)", [[str(f) for f in files]]
    ).fetchone()
    assert rows == (2, True, True)


def test_partitioned_check_validates_the_run_partition(good_lake, lakekit):
    bad_day = "bronze/xapi/statements/local_date=2021-10-05/x-2021-10-05.parquet"
    lakekit.write_parquet(good_lake, bad_day, lakekit.xapi_sql("2021-10-05"))
    lakekit.break_table(good_lake, bad_day, "SELECT * REPLACE (CAST(9 AS DOUBLE) AS result_score_raw) FROM t")

    @dg.asset(key=["bronze", "xapi"], partitions_def=daily_partitions)
    def xapi() -> None: ...

    defs = [xapi, _suite_check(SUITES["xapi_statements"])]
    resources = {"lake": LakeResource(root=str(good_lake))}
    ok = dg.materialize(defs, resources=resources, partition_key="2021-10-04")
    assert ok.get_asset_check_evaluations()[0].passed
    assert ok.get_asset_check_evaluations()[0].metadata["partition"].value == "2021-10-04"
    bad = dg.materialize(defs, resources=resources, partition_key="2021-10-05", raise_on_error=False)
    assert not bad.get_asset_check_evaluations()[0].passed


def test_partitioned_check_validates_the_deliveries_the_run_landed(good_lake, lakekit):
    """A day's partition holds the deliveries of earlier runs too (late statements reach
    back): the run's check reads only its own, so an old bad delivery is not judged again,
    and a check with no landing in its run still reads them all."""
    old = "bronze/xapi/statements/local_date=2021-10-04/x-old.parquet"
    lakekit.write_parquet(good_lake, old, lakekit.xapi_sql("2021-10-04").replace("'x-2021-10-04' AS _delivery",
                                                                                    "'x-old' AS _delivery"))
    lakekit.break_table(good_lake, old, "SELECT * REPLACE (CAST(9 AS DOUBLE) AS result_score_raw) FROM t")

    def landing(ids):
        @dg.asset(key=["bronze", "xapi"], partitions_def=daily_partitions)
        def xapi():
            return dg.MaterializeResult(metadata={"delivery_ids": dg.MetadataValue.json(ids)})

        return xapi

    resources = {"lake": LakeResource(root=str(good_lake))}
    check = _suite_check(SUITES["xapi_statements"])

    def evaluate(*defs):
        result = dg.materialize([*defs, check], resources=resources, partition_key="2021-10-04",
                                selection=None, raise_on_error=False)
        return result.get_asset_check_evaluations()[0]

    only_new = evaluate(landing(["x-2021-10-04"]))
    assert only_new.passed and only_new.metadata["files_read"].value == 1
    assert not evaluate(landing(["x-old", "x-2021-10-04"])).passed

    @dg.asset(key=["bronze", "xapi"], partitions_def=daily_partitions)
    def xapi_said_nothing() -> None: ...

    every_file = evaluate(xapi_said_nothing)
    assert not every_file.passed and every_file.metadata["files_read"].value == 2


def test_definitions_target_only_contract_keys():
    """Every checked key is one docs/interfaces.md names: bronze/<source> or marts/<mart>."""
    from orchestration.lake import SOURCES

    marts = {"usage_monthly", "microtest_monthly", "exam_summary", "student_exam", "top_students",
             "student_knowledge", "student_ability", "student_term_profile", "class_term", "school_term",
             "district_term", "quality_map", "item_analysis", "class_weak_points", "student_identity",
             "staff_scope", "student_psych", "student_fitness", "entitlements", "access_audit_findings"}
    allowed = {("bronze", s) for s in SOURCES} | {("marts", m) for m in marts}
    keys = {tuple(k.asset_key.path) for c in build_quality_checks() for k in c.check_keys}
    assert keys <= allowed, keys - allowed
    from orchestration.quality.definitions import defs

    assert len(list(defs.asset_checks)) == len(build_quality_checks())


@pytest.fixture
def ledger(tmp_path):
    def write(source: str, delivery: str, finished: str, dates: list[str], status: str = "landed"):
        path = tmp_path / "ledger" / source / f"{delivery}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.execute(
            f"COPY (SELECT '{source}' AS source, '{delivery}' AS delivery_id, '{status}' AS status, "
            f"CAST(? AS VARCHAR[]) AS local_dates, TIMESTAMPTZ '{finished}' AS finished_at) TO '{path}' (FORMAT parquet)",
            [dates],
        )
    return tmp_path, write


def test_freshness_from_the_ledger(ledger):
    from orchestration.quality.freshness import FreshnessRule, evaluate, parse_duration

    lake, write = ledger
    write("xapi", "x1", "2021-10-05 00:00:00+00", ["2021-10-03", "2021-10-04"])
    write("access", "a1", "2021-10-05 00:00:00+00", ["2021-10-08"])
    write("roster", "r1", "2021-09-01 00:00:00+00", [])
    rules = [FreshnessRule("xapi", parse_duration("36h"), parse_duration("2d"), "warn"),
             FreshnessRule("access", parse_duration("36h"), parse_duration("2d"), "warn"),
             FreshnessRule("roster", parse_duration("8d"), None, "error"),
             FreshnessRule("psych", parse_duration("400d"), None, "warn")]
    out = evaluate(lake, rules, now=datetime(2021, 10, 5, 12, tzinfo=UTC))
    assert [o.success for o in out["access"]] == [True, True]
    # xapi arrived in time, but its logs stop 4 days before access's: stale data
    assert [o.success for o in out["xapi"]] == [True, False] and "4 d behind" in out["xapi"][1].observed
    assert not out["roster"][0].success and "h ago" in out["roster"][0].observed
    assert not out["psych"][0].success and out["psych"][0].observed == "no delivery landed yet"


def test_stale_source_is_a_failed_freshness_check(ledger, tmp_path):
    lake, write = ledger
    write("roster", "r1", "2020-01-01 00:00:00+00", [])
    write("fitness", "f1", datetime.now(UTC).isoformat(), [])
    freshness = tmp_path / "freshness.yaml"
    freshness.write_text("severity: warn\nsources:\n  roster: {max_age: 8d, severity: error}\n  fitness: {max_age: 400d}\n")
    empty = tmp_path / "no_suites"
    empty.mkdir()
    [check] = build_quality_checks(empty, freshness)
    assets = [dg.AssetSpec(["bronze", "roster"]), dg.AssetSpec(["bronze", "fitness"])]
    result = dg.materialize([*assets, check], resources={"lake": LakeResource(root=str(lake))},
                            selection=dg.AssetSelection.checks(check), raise_on_error=False)
    by_asset = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    assert not by_asset["roster"].passed and by_asset["roster"].severity == dg.AssetCheckSeverity.ERROR
    assert by_asset["fitness"].passed
    assert any((lake / "quality" / "results" / "freshness_roster").glob("*.parquet"))


def test_bronze_check_validates_the_deliveries_the_run_landed(good_lake, lakekit):
    """Landing reports `delivery_ids`; an old bad delivery is not re-judged by later runs."""
    lakekit.break_table(good_lake, FITNESS_FILE, "SELECT * REPLACE ('good' AS grade) FROM t")  # d1: bad
    lakekit.write_parquet(good_lake, "bronze/fitness/fitness_results/d2.parquet",
                          lakekit.GOOD[FITNESS_FILE].replace("'d1' AS _delivery", "'d2' AS _delivery"))

    def landing(ids):
        @dg.asset(key=FITNESS)
        def fitness():
            return dg.MaterializeResult(metadata={"delivery_ids": dg.MetadataValue.json(ids)})

        return fitness

    resources = {"lake": LakeResource(root=str(good_lake))}
    check = _suite_check(SUITES["fitness_results"])
    only_new = dg.materialize([landing(["d2"]), check], resources=resources).get_asset_check_evaluations()[0]
    assert only_new.passed and only_new.metadata["files_read"].value == 1
    nothing_new = dg.materialize([landing([]), check], resources=resources).get_asset_check_evaluations()[0]
    [(expectation, observed)] = duckdb.execute(
        "SELECT expectation, observed FROM read_parquet(?)", [nothing_new.metadata["results_file"].value]
    ).fetchall()
    assert nothing_new.passed and expectation == "new_deliveries_validated" and "no new delivery" in observed
    both = dg.materialize([landing(["d1", "d2"]), check], resources=resources, raise_on_error=False)
    assert not both.get_asset_check_evaluations()[0].passed
