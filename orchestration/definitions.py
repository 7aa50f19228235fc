"""The one Definitions of the eduhouse code location, merged from each part."""

from __future__ import annotations

import importlib
import warnings

import dagster as dg

from orchestration.resources import default_resources

# Each part owns its assets, checks, sensors and schedules in <part>/definitions.py.
PARTS = ("landing", "transform", "quality", "reporting", "governance", "automation")


def _part_defs(part: str) -> dg.Definitions:
    with warnings.catch_warnings():
        # The parts use Dagster parameters still marked beta or preview (backfill_policy of
        # the partitioned assets): a notice for us, not for whoever runs `eduhouse run`.
        warnings.simplefilter("ignore", dg.BetaWarning)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return importlib.import_module(f"orchestration.{part}.definitions").defs


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        *(_part_defs(part) for part in PARTS),
        # Steps run in the run's own process: a process per step costs ~20 s of start-up
        # each on 2 cores (measured), far more than the parallelism it buys.
        dg.Definitions(resources=default_resources(), executor=dg.in_process_executor),
    )
