"""quality: Great Expectations 1.x suites, kept as files, run as Dagster asset checks.

dbt tests guard keys and logic inside the warehouse; these suites guard the data itself
where bad data does harm: as it lands (``bronze/<source>``) and before anything leaves
(public marts, and the restricted ``student_identity`` that reports resolve names with).

Where things are
    expectations/bronze/*.yaml, expectations/marts/*.yaml   one suite per dataset (suites.py)
    expectations/freshness.yaml                             how late each source may be
    validate.py    suite → GX validation over DuckDB views of Parquet → outcomes
    checks.py      suites → ``@dg.asset_check`` (blocking when a suite has ``error``
                   expectations) + one multi-asset ``freshness`` check on the ledger
    results.py     outcomes → ``<lake>/quality/results/<dataset>/<run_ts>.parquet`` and
                   ``AssetCheckResult`` metadata (failing expectations, observed values,
                   unexpected counts, samples, links to results and docs)
    docs.py        ``<lake>/reports/quality/index.html``: latest run per check and its history

How data reaches GX
    SQL-backed, no sampling. Each validation opens an in-memory DuckDB, creates views over
    exactly the Parquet files it needs (the checked daily partitions of xapi/access; the
    deliveries the run landed for the other bronze sources, from landing's
    ``delivery_ids`` metadata; the last 8 days for the volume guard; whole marts), and hands GX a SQLAlchemy
    engine over that connection (``duckdb_engine``). GX compiles expectations to
    aggregate SQL (metrics bundled per query) that DuckDB runs straight off Parquet with
    column projection; only failing samples (10 rows) come back to Python. Custom checks
    (z-score per exam, homeroom overlaps, roster head counts, volume drop) are GX
    ``UnexpectedRowsExpectation``s written in SQL in the suite files. The warehouse
    ``.duckdb`` file is never opened.

Speed
    Per check, GX adds a fixed ~0.3-1 s of metric planning; the DuckDB scans are
    column-projected aggregates. The one-off cost is importing GX (~3 s CPU). Under
    `eduhouse run` and `eduhouse backfill` it is paid by the run's worker
    (``orchestration/worker.py``) on the other core while the run starts, and each
    suite is validated in a child forked from it; elsewhere (the daemon, the UI) lazily in
    the first check, never when the code location loads. Partitioned bronze is validated
    one day (or one backfilled range) at a time, so a district month (tens of millions of
    statements) is never rescanned by a daily run: measured 3.7 s CPU for a 3 M-statement
    day (~1.2 s per million, fixed part ~0.5 s). Costly GX forms are replaced by cheaper SQL
    where volume is high (per-delivery uniqueness as one GROUP BY, UUIDs by cast, not
    regex; only the columns a rule needs are read). Bronze deliveries already
    validated are not validated again by later runs.
"""
