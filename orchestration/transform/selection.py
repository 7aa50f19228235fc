"""Which dbt nodes each partitioning's ``@dbt_assets`` holds, and where the tests that
span partitionings run.

Partitioned assets select by tag (``tag:partition_daily`` ...). The unpartitioned ones
are every other model, seed and snapshot, listed by name: an ``exclude`` of the tags
would also drop (dbt's eager indirect selection) the tests of an unpartitioned model that
compare it with a partitioned one, and with them their asset checks.

dbt runs a test with the models it builds when its other parents are upstream of them
(``DBT_INDIRECT_SELECTION=buildable``). A test between two models of different
partitionings neither of which reads the other (``student_exam`` ↔ ``student_identity``)
would then never run: it is routed to the definition of the parent built last in the
stage order, and selected explicitly whenever that parent runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
import networkx as nx

from orchestration.ordering import order_in_rounds
from orchestration.transform.translator import EduhouseDbtTranslator, partition_kind

KINDS = ("daily", "monthly", "exam")
ASSET_TYPES = ("model", "seed", "snapshot")


def _asset_nodes(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {uid: n for uid, n in manifest.get("nodes", {}).items() if n.get("resource_type") in ASSET_TYPES}


def partition_kinds(manifest: Mapping[str, Any]) -> set[str]:
    """The partitionings the manifest's models use."""
    return {kind for n in _asset_nodes(manifest).values() if (kind := partition_kind(n))}


def dbt_selection(manifest: Mapping[str, Any], kind: str | None) -> dict[str, str]:
    """``select`` of the dbt assets of one partitioning (None = unpartitioned)."""
    if kind is not None:
        return {"select": f"tag:partition_{kind}"}
    names = sorted(".".join(n["fqn"]) for n in _asset_nodes(manifest).values() if partition_kind(n) is None)
    return {"select": " ".join(names) or "fqn:*"}


def routed_tests(manifest: Mapping[str, Any]) -> dict[str | None, dict[str, frozenset[dg.AssetKey]]]:
    """Per partitioning: test name → the parents in that partitioning whose run runs it."""
    nodes = _asset_nodes(manifest)
    kind = {uid: partition_kind(n) or "none" for uid, n in nodes.items()}
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    for uid, node in nodes.items():
        graph.add_edges_from((p, uid) for p in (node.get("depends_on") or {}).get("nodes", []) if p in nodes)
    by_kind = {k: {u for u in nodes if kind[u] == k} for k in ("none", *KINDS)}
    reach = {k: members | {a for u in members for a in nx.ancestors(graph, u)} for k, members in by_kind.items()}
    rounds = order_in_rounds(nodes, lambda u: graph.predecessors(u), kind.__getitem__)
    position = {u: i for i, (_kind, members) in enumerate(rounds) for u in members}
    translator = EduhouseDbtTranslator()

    out: dict[str | None, dict[str, frozenset[dg.AssetKey]]] = {}
    for test in manifest.get("nodes", {}).values():
        if test.get("resource_type") != "test":
            continue
        parents = [p for p in (test.get("depends_on") or {}).get("nodes", []) if p in nodes]
        if len({kind[p] for p in parents}) < 2:
            continue
        if any(any(p in by_kind[k] for p in parents) and all(p in reach[k] for p in parents) for k in by_kind):
            continue  # dbt's buildable selection runs it with some partitioning's models
        # the parents of the last round: an unpartitioned parent of an earlier round (a
        # staging table) must not select the test before the others exist
        last_round = max(position[p] for p in parents)
        last = kind[next(p for p in parents if position[p] == last_round)]
        keys = frozenset(translator.get_asset_key(nodes[p]) for p in parents if position[p] == last_round)
        out.setdefault(None if last == "none" else last, {})[test["name"]] = keys
    return out


def extra_tests(routed: Mapping[str, frozenset[dg.AssetKey]], selected: set[dg.AssetKey]) -> list[str]:
    """The routed tests to select in a run that builds `selected`."""
    return sorted(name for name, keys in routed.items() if keys & selected)


def tests_reading_partitioned(manifest: Mapping[str, Any]) -> dict[dg.AssetKey, list[str]]:
    """Partitioned model asset key → the names of the tests that read it."""
    nodes = _asset_nodes(manifest)
    translator = EduhouseDbtTranslator()
    keys = {uid: translator.get_asset_key(n) for uid, n in nodes.items() if partition_kind(n)}
    out: dict[dg.AssetKey, list[str]] = {}
    for test in manifest.get("nodes", {}).values():
        if test.get("resource_type") != "test":
            continue
        for parent in (test.get("depends_on") or {}).get("nodes", []):
            if parent in keys:
                out.setdefault(keys[parent], []).append(test["name"])
    return out


def tests_on_unbuilt(instance: dg.DagsterInstance, reading: Mapping[dg.AssetKey, list[str]]) -> list[str]:
    """Tests to leave out of an unpartitioned run because a partitioned model they read
    was never built (a fresh lake: dbt's indirect selection would pick a test between a
    staging table built now and an exam table whose first partition comes later)."""
    unbuilt = [key for key in reading if instance.get_latest_materialization_event(key) is None]
    return sorted({name for key in unbuilt for name in reading[key]})
