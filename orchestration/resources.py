"""Dagster resources shared by every part of the code location."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.lake import LakePaths
from orchestration.settings import DEFAULT_MIN_CELL, DEFAULT_TIMEZONE, DEFAULT_TOP_N, Settings, get_settings


class LakeResource(dg.ConfigurableResource):
    """The lake root and the district's conventions, handed to every asset."""

    root: str
    timezone: str = DEFAULT_TIMEZONE
    min_cell: int = DEFAULT_MIN_CELL
    top_n: int = DEFAULT_TOP_N

    @property
    def paths(self) -> LakePaths:
        return LakePaths(Path(self.root))

    @classmethod
    def from_settings(cls, settings: Settings) -> LakeResource:
        return cls(
            root=str(settings.lake),
            timezone=settings.timezone,
            min_cell=settings.min_cell,
            top_n=settings.top_n,
        )


def default_resources(settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    return {"lake": LakeResource.from_settings(settings)}
