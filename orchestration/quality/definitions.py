"""quality: Great Expectations suites (``expectations/``) as Dagster asset checks.

See ``orchestration/quality/__init__.py`` for how data reaches GX and what it costs.
"""

import dagster as dg

from orchestration.quality.checks import build_quality_checks

defs = dg.Definitions(asset_checks=build_quality_checks())
