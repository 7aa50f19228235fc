import dagster as dg

# Filled in by this part: its assets, checks, sensors and schedules.
defs = dg.Definitions()
