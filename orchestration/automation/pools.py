"""The warehouse pool: DuckDB allows one writer, so `duckdb_warehouse` has one slot.

dagster.yaml's `pools.default_limit: 1` gives every new pool one slot when a step first
claims it, but two processes claiming a brand-new pool at the same instant can both
initialise it (SQLite storage has no cross-process lock there). Setting the limit once,
before any run (install time, `eduhouse run`, backfill), closes that window.
"""

import dagster as dg

WAREHOUSE_POOL = "duckdb_warehouse"
POOL_LIMITS = {WAREHOUSE_POOL: 1}


def ensure_pools(instance: dg.DagsterInstance) -> None:
    """Give each pool its limit unless someone already set one explicitly."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return
    current = {p.name: p for p in storage.get_pool_limits()}
    for pool, limit in POOL_LIMITS.items():
        existing = current.get(pool)
        if existing is None or existing.from_default:
            storage.set_concurrency_slots(pool, limit)
