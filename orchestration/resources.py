"""Dagster resources shared by every part of the code location."""

from __future__ import annotations

import functools
from pathlib import Path

import dagster as dg

from orchestration.lake import LakePaths
from orchestration.settings import (
    DEFAULT_ENGINE,
    DEFAULT_MIN_CELL,
    DEFAULT_TIMEZONE,
    DEFAULT_TOP_N,
    Settings,
    get_settings,
)


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


class EngineResource(dg.ConfigurableResource):
    """The engine the models build on and landing runs on: ``duckdb`` (the lake's warehouse
    file; landing in the run's process) or ``spark`` (a cluster: ``spark_master``, else the
    lake's own from `eduhouse cluster up`; dbt builds there and landing runs one task per
    delivery there). Chosen
    by configuration (EDUHOUSE_ENGINE, `eduhouse run --engine`); the assets, partitions,
    checks and sensors are the same either way, and every run carries the tag
    ``eduhouse/engine``."""

    name: str = DEFAULT_ENGINE
    spark_master: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineResource:
        return cls(name=settings.engine, spark_master=settings.spark_master)


ENGINE_TAG = "eduhouse/engine"


@functools.cache
def engine_resource() -> EngineResource:
    """The process's engine, provided by each part whose assets use it (landing,
    transform): ``Definitions.merge`` accepts a resource key twice only when it is the
    same object, so there is exactly one."""
    return EngineResource.from_settings(get_settings())


def default_resources(settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    return {"lake": LakeResource.from_settings(settings)}
