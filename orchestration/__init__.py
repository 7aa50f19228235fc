"""eduhouse: the Dagster code location of the regional education lakehouse."""
