"""Order a graph's nodes into runs of one kind each (one partitioning per Dagster run).

Greedy rounds: each round takes, kind by kind, every node whose parents are all built
(or built in the same round). The runner plans `eduhouse run` with it and the dbt
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

    def closure(kind: str, deferred: bool) -> set:
        batch: set = set()
        grew = True
        while grew:
            grew = False
            for key in remaining - batch:
                if kind_of(key) != kind or last(key) != deferred:
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
