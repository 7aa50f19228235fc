"""The landing part of the code location: bronze assets and their conservation checks."""

import dagster as dg

from orchestration.landing.assets import landing_assets, landing_checks

defs = dg.Definitions(assets=landing_assets, asset_checks=landing_checks)
