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


def test_every_test_across_partitionings_is_a_check_of_a_definition_that_runs_it():
    """A test between two partitionings runs in the runs whose dbt build selects it: where
    all its parents are built or upstream (dbt's buildable selection), or where it is
    routed (extra_tests). Its asset check must belong to one of those definitions, or
    Dagster plans it in another's runs, where it is never evaluated: the UI probe found
    student_exam's relationships test to student_identity skipped in every run, and
    exam_top_students_counts_consistent was no check at all (its results only
    observations)."""
    import networkx as nx
    from dagster_dbt.asset_utils import get_asset_check_key_for_test

    from orchestration.transform.assets import OP_NAMES, build_dbt_assets, load_manifest
    from orchestration.transform.translator import EduhouseDbtTranslator, partition_kind

    manifest = load_manifest()
    checks = {a.op.name: {k.name for k in a.check_keys} for a in build_dbt_assets(manifest)}
    models = {u: n for u, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed", "snapshot")}
    kind = {u: partition_kind(n) for u, n in models.items()}
    graph = nx.DiGraph()
    graph.add_nodes_from(models)
    deps = {u: (n.get("depends_on") or {}).get("nodes", []) for u, n in manifest["nodes"].items()}
    graph.add_edges_from((p, u) for u in models for p in deps[u] if p in models)
    reach = {k: {u for u in models if kind[u] == k} for k in OP_NAMES}
    reach = {k: members | {a for u in members for a in nx.ancestors(graph, u)} for k, members in reach.items()}
    routed = routed_tests(manifest)
    spanning = 0
    for uid, test in manifest["nodes"].items():
        parents = [p for p in deps[uid] if p in models] if test["resource_type"] == "test" else []
        if len({kind[p] for p in parents}) < 2:
            continue
        spanning += 1
        running = {k for k in OP_NAMES if any(kind[p] == k for p in parents) and all(p in reach[k] for p in parents)}
        running |= {k for k, tests in routed.items() if test["name"] in tests}
        key = get_asset_check_key_for_test(manifest, EduhouseDbtTranslator(), uid, project=None)
        assert key is not None, f"{test['name']}: no asset check (meta dagster.ref names none of its parents)"
        assert any(test["name"] in checks[OP_NAMES[k]] for k in running), (test["name"], running, key)
    assert spanning, "the project has tests across partitionings"
