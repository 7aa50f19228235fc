"""Dagster resources shared by every part of the code location."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.lake import LakePaths
from orchestration.settings import Settings, get_settings


class LakeResource(dg.ConfigurableResource):
    """The lake root and the district's conventions, handed to every asset."""

    root: str
    timezone: str = "Asia/Shanghai"
    min_cell: int = 10
    top_n: int = 200

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
