"""The landing part of the code location: bronze assets and their conservation checks."""

import dagster as dg

from orchestration.landing.assets import landing_assets, landing_checks
from orchestration.resources import engine_resource

# The engine decides where deliveries land: in the run's process, or as tasks on the cluster.
defs = dg.Definitions(assets=landing_assets, asset_checks=landing_checks, resources={"engine": engine_resource()})
