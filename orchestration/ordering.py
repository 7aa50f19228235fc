"""Order a graph's nodes into runs of one kind each (one partitioning per Dagster run).

Greedy rounds: each round takes, kind by kind, every node whose parents are all built
(or built in the same round). An unpartitioned node that no partitioned node reads
(directly or not) waits until the partitioned work is done, so it joins the last
unpartitioned round instead of opening a run of its own before the partitioned ones: on
a new day the governance models that read the access log share the marts' run (one dbt
start-up and one Dagster run fewer). The runner plans `eduhouse run` with it and the dbt
selection orders dbt's own nodes with it, so it lives below both.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

KIND_ORDER = ("none", "daily", "exam", "monthly")


def order_in_rounds(keys: Iterable[Hashable], parents_of: Callable[[Hashable], Iterable[Hashable]],
                    kind_of: Callable[[Hashable], str],
                    last: Callable[[Hashable], bool] = lambda _k: False) -> list[tuple[str, list]]:
    """Greedy rounds (see the module docstring): [(kind, keys)] in execution order.

    Parents outside `keys` count as built. Keys for which `last` is true run only when
    nothing else can (after everything they do not feed)."""
    remaining = set(keys)
    done: set = set()
    out: list[tuple[str, list]] = []
    late = _feeding_no_partitioned(remaining, parents_of, kind_of, last)

    def closure(kind: str, deferred: bool) -> set:
        batch: set = set()
        grew = True
        while grew:
            grew = False
            for key in remaining - batch:
                if kind_of(key) != kind or last(key) != deferred:
                    continue
                if key in late and any(kind_of(k) != "none" and not last(k) for k in remaining):
                    continue
                if all(p in done or p in batch or p not in remaining for p in parents_of(key)):
                    batch.add(key)
                    grew = True
        return batch

    while remaining:
        progressed = False
        for deferred in (False, True):
            for kind in KIND_ORDER:
                batch = closure(kind, deferred)
                if batch:
                    out.append((kind, sorted(batch, key=str)))
                    done |= batch
                    remaining -= batch
                    progressed = True
            if progressed:
                break
        if not progressed:
            raise ValueError(f"cannot order these assets into runs: {sorted(map(str, remaining))}")
    return out


def _feeding_no_partitioned(keys: set, parents_of: Callable[[Hashable], Iterable[Hashable]],
                            kind_of: Callable[[Hashable], str], last: Callable[[Hashable], bool]) -> set:
    """The unpartitioned keys from which no partitioned key (of the ones not run `last`)
    can be reached: nothing waits for them until the partitioned work is done."""
    feeding: set = set()  # ancestors of a partitioned key
    stack = [k for k in keys if kind_of(k) != "none" and not last(k)]
    while stack:
        for parent in parents_of(stack.pop()):
            if parent in keys and parent not in feeding:
                feeding.add(parent)
                stack.append(parent)
    return {k for k in keys if kind_of(k) == "none" and not last(k) and k not in feeding}
