"""Publishing mart exports: dbt's post-hook writes ``<area>/.staging/<name>.parquet``;
once the model has finished, this renames the file into ``<area>/<name>.parquet``.
``os.replace`` is atomic on one filesystem, so readers never see a half-written mart.

On Spark the post-hook writes a folder ``<name>.parquet/`` holding one part file (the
export coalesces to one partition); the part file is what moves into place, so readers
get the same single file from either engine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.lake import LakePaths
from orchestration.transform.translator import EduhouseDbtTranslator, export_area


def exports_by_asset_key(manifest: Mapping[str, Any]) -> dict[dg.AssetKey, tuple[str, str]]:
    """Asset key → (area, model name) for every model exported to Parquet (its meta.exposure)."""
    translator = EduhouseDbtTranslator()
    out: dict[dg.AssetKey, tuple[str, str]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        area = export_area(node)
        if area:
            out[translator.get_asset_key(node)] = (area, node["name"])
    return out


def area_folder(lake: LakePaths, area: str) -> Path:
    return lake.marts if area == "marts" else lake.restricted


def publish_export(lake: LakePaths, area: str, name: str) -> Path | None:
    """Move one finished export into place; None when dbt wrote nothing for it."""
    folder = area_folder(lake, area)
    staged = folder / ".staging" / f"{name}.parquet"
    if not staged.exists():
        return None
    final = folder / f"{name}.parquet"
    if staged.is_dir():
        parts = sorted(staged.glob("part-*.parquet"))
        if len(parts) != 1:
            raise RuntimeError(f"{staged}: expected one part file from the Spark export, found {len(parts)}")
        os.replace(parts[0], final)
        shutil.rmtree(staged, ignore_errors=True)
        return final
    os.replace(staged, final)
    return final


def publish_all(lake: LakePaths, since: float = 0.0) -> list[Path]:
    """Move every export written since ``since`` (a time.time()) into place. Call only
    after dbt exited successfully; older leftovers (a killed run's) are not published."""
    published = []
    for area in ("marts", "restricted"):
        staging = area_folder(lake, area) / ".staging"
        for staged in sorted(staging.glob("*.parquet")) if staging.exists() else []:  # files or Spark folders
            if staged.stat().st_mtime < since:
                continue
            final = publish_export(lake, area, staged.stem)
            if final:
                published.append(final)
    return published
