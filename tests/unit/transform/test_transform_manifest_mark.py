"""The code location reloads the manifest eduhouse parsed, not one a hand-run dbt left."""

import os

from orchestration.transform.project import _mark_parsed, manifest_is_stale


def test_a_manifest_rewritten_by_another_dbt_run_is_stale(tmp_path):
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    assert manifest_is_stale(tmp_path, manifest, "dev")  # never marked: parse again
    assert not manifest_is_stale(tmp_path, manifest)  # the mtime rule alone
    _mark_parsed(manifest, "dev")
    assert not manifest_is_stale(tmp_path, manifest, "dev")
    assert manifest_is_stale(tmp_path, manifest, "spark")  # parsed for the other engine
    # `dbt run --target spark` by hand in the project folder writes the same file anew
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert manifest_is_stale(tmp_path, manifest, "dev")


def test_a_changed_tests_yml_keeps_every_singular_tests_meta(tmp_path):
    """The project's manifest is parsed whole: dbt's partial parse, after one singular
    test's config changed in a yml, dropped the meta of the file's other tests, and with
    it their asset checks."""
    import json
    import shutil

    from dagster_dbt import DbtProject

    from orchestration.settings import DBT_PROJECT_DIR
    from orchestration.transform.project import _parse_if_stale

    project_dir = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project_dir, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir, target="dev")
    _parse_if_stale(project)
    tests_yml = project_dir / "tests" / "integrity" / "_integrity__tests.yml"
    text = tests_yml.read_text()
    changed = text.replace("meta: {dagster: {ref: {name: quality_map}}}", "meta: {dagster: {ref: {name: class_exam}}}")
    assert changed != text
    tests_yml.write_text(changed)
    # with a macro changed in the same step (as an upgrade brings): the partial parse
    # re-parsed the tests and lost their yml config
    for macro in ("dedupe.sql", "suppression.sql"):
        path = project_dir / "macros" / macro
        path.write_text(path.read_text() + "\n{#- changed -#}\n")
    _parse_if_stale(project)
    nodes = json.loads((project_dir / "target" / "manifest.json").read_text())["nodes"]
    refs = {n["name"]: n["config"]["meta"].get("dagster", {}).get("ref", {}).get("name")
            for n in nodes.values() if n["resource_type"] == "test" and n["original_file_path"].startswith("tests/integrity")}
    assert refs["assert_no_recoverable_exam_cells"] == "class_exam"
    assert refs["assert_mart_grains_unique"] == "usage_monthly"
    assert refs["assert_no_recoverable_wellbeing_cells"] == "scope_psych"


def test_a_lakes_partial_parse_older_than_the_project_manifest_is_dropped(tmp_path):
    """After the project changed, a lake's first dbt step parses whole, as the manifest
    was, instead of partially from the lake's state of the old project."""
    from orchestration.transform.assets import PARTIAL_PARSE, drop_outdated_partial_parse

    manifest, lake_target = tmp_path / "manifest.json", tmp_path / "lake_target"
    lake_target.mkdir()
    kept = lake_target / PARTIAL_PARSE
    kept.write_bytes(b"state")
    manifest.write_text("{}")
    os.utime(kept, (1_000, 1_000))  # the lake's last dbt step ran before the project changed
    drop_outdated_partial_parse(lake_target, manifest)
    assert not kept.exists()
    kept.write_bytes(b"state")  # the step after: newer than the manifest, kept
    drop_outdated_partial_parse(lake_target, manifest)
    assert kept.exists()
    drop_outdated_partial_parse(tmp_path / "nowhere", manifest)  # a lake with no state yet
