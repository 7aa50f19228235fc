"""Where a test that spans partitionings runs (orchestration.transform.selection)."""

from orchestration.transform.selection import routed_tests


def _model(name: str, deps: list[str], tags: list[str] | None = None) -> tuple[str, dict]:
    uid = f"model.eduhouse.{name}"
    return uid, {"resource_type": "model", "name": name, "fqn": ["eduhouse", "marts", name], "tags": tags or [],
                 "config": {"tags": tags or []}, "depends_on": {"nodes": deps},
                 "meta": {}, "schema": "marts", "original_file_path": f"models/{name}.sql"}


def test_a_test_runs_with_its_last_built_parent_not_an_early_one():
    """A check over a staging table (unpartitioned, built before the partitions), a monthly
    mart and a late unpartitioned mart (built after the exam partitions) is routed to the
    late mart only: run with the staging table, it would read a table not built yet."""
    nodes = dict([
        _model("stg_orgs", []),
        _model("usage_monthly", ["model.eduhouse.stg_orgs"], ["partition_monthly"]),
        _model("exam_scores", ["model.eduhouse.stg_orgs"], ["partition_exam"]),
        _model("class_exam", ["model.eduhouse.exam_scores"]),
    ])
    nodes["test.eduhouse.assert_cells"] = {
        "resource_type": "test", "name": "assert_cells",
        "depends_on": {"nodes": ["model.eduhouse.stg_orgs", "model.eduhouse.usage_monthly", "model.eduhouse.class_exam"]}}
    routed = routed_tests({"nodes": nodes})
    assert set(routed) == {None}
    (keys,) = routed[None].values()
    assert [k.path[-1] for k in keys] == ["class_exam"]
