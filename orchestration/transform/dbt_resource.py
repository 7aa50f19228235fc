"""The dbt CLI resource without two costs dagster-dbt pays before every invocation.

Profiled on a new day (`bench/e2e.py`), each dbt step spent 4.5 s in Dagster before dbt
started: ``DbtCliResource`` runs ``dbt --version`` in a subprocess to learn the version
(1.8 s; cached on the resource instance, and Dagster makes a new instance per run), and
builds a dbt-core adapter in the Dagster process (2.7 s: profile, project and the base
macros loaded) that it uses only to fetch column metadata or row counts for the
materialization events. eduhouse asks for neither, and three dbt steps ran on a new day:
13 s of its wall.

- The version: dbt is the venv's own (``dbt_executable``), so it is the installed
  dbt-core's, read from the package metadata.
- The adapter: none. ``DbtCliInvocation`` takes ``adapter=None`` (the Fusion engine has
  none either); a call that would need it (``fetch_row_counts``, ``fetch_column_metadata``)
  then fails loudly rather than quietly reading the warehouse from a second process.

Both override private members of dagster-dbt (pinned in pyproject.toml with dagster);
tests/unit/transform/test_transform_dbt_resource.py fails if they stop being called.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as package_version

from dagster_dbt import DbtCliResource
from packaging import version


class EduhouseDbtCliResource(DbtCliResource):
    """``DbtCliResource`` that neither asks dbt its version nor builds an adapter."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):  # noqa: ARG002 - the parent's signature
        return None
