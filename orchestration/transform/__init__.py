"""transform: dbt models as Dagster assets, marts exported to Parquet."""
