"""privacy: the per-lake pseudonym key and the HMAC that turns a sourcedId into a key.

A leaf package (standard library only): dbt's DuckDB plugin, the governance audit and
the tests all import it, so it must not pull in Dagster.
"""
