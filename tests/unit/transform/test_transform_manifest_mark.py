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
