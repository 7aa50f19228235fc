"""Expectation suites as reviewable YAML files under ``expectations/``.

A suite file names the Dagster asset it guards, the Parquet it reads (as DuckDB views),
the dataset (view) validated, and GX 1.x expectations in GX's own ``type`` / ``kwargs``
shape plus a ``severity`` (``error`` blocks downstream assets, ``warn`` is shown and
passes). Loading a suite needs no GX import, so building Definitions stays fast.

Shape (see any file under ``expectations/`` for a real one)::

    name: xapi_statements            # check name; also the results folder
    asset: [bronze, xapi]            # the asset key the check is attached to
    severity: error                  # default for expectations without their own
    partitioned: daily               # validate only the local dates of the checked run
    views:                           # DuckDB views over lake Parquet (paths lake-relative)
      statements: {parquet: bronze/xapi/statements, partitioned_by: local_date}
      recent: {parquet: bronze/xapi/statements, partitioned_by: local_date, last_days: 8}
      roster_users: {parquet: bronze/roster/users, optional: true}   # empty view when absent
      users: {parquet: bronze/roster/users, per_delivery: true}   # only the deliveries the run landed
      per_school: {sql: "SELECT ... FROM recent ..."}   # views over views
      daily: {sql: "SELECT ...", materialized: true}     # computed once, a table (read often)
    dataset: statements              # the view GX validates (its ``{batch}``)
    columns: {statement_id: VARCHAR, ts: TIMESTAMPTZ}   # type contract, one expectation
    expectations:
      - type: expect_column_values_to_not_be_null
        kwargs: {column: [statement_id, verb_id]}       # a list expands to one each
      - type: unexpected_rows_expectation               # custom SQL: rows returned fail
        kwargs: {unexpected_rows_query: "SELECT ... FROM {batch} WHERE ..."}
        severity: warn

String kwargs may use ``${partitions_start}`` (Settings.partitions_start),
``${partition_start}`` / ``${partition_end}`` (the checked local dates) and
``${timezone}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from orchestration.settings import EXPECTATIONS_DIR

SEVERITIES = ("error", "warn")
TYPE_ALIASES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE", "INT64": "BIGINT", "FLOAT64": "DOUBLE"}
# Lake paths whose rows are minors' health or psych data, or the pseudonyms' key map: a suite
# reading one must be `sensitive` (see Suite.sensitive).
SENSITIVE_DATA = ("bronze/psych", "bronze/fitness", "restricted/")


@dataclass(frozen=True)
class ViewSpec:
    """One DuckDB view: over Parquet under the lake, or SQL over other views."""

    name: str
    parquet: str | None = None
    sql: str | None = None
    partitioned_by: str | None = None
    last_days: int | None = None
    optional: bool = False
    per_delivery: bool = False
    # an sql view computed once into a table: what several expectations, or one query in
    # several places, read (a view is computed again at each reference)
    materialized: bool = False
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpectationSpec:
    type: str
    kwargs: dict
    severity: str
    notes: str | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    layer: str
    asset: tuple[str, ...]
    severity: str
    dataset: str
    views: tuple[ViewSpec, ...]
    expectations: tuple[ExpectationSpec, ...]
    columns: dict[str, str]
    partitioned: str | None = None
    description: str = ""
    path: Path | None = None
    # A suite over minors' health or psych data: its failures' samples say where a row is
    # (delivery, position), never what it holds. Samples reach the Dagster UI's check
    # metadata and the data-docs page, which engineers read without a sensitive grant.
    sensitive: bool = False

    @property
    def blocking(self) -> bool:
        """A check blocks downstream assets only if an expectation in it may fail as ERROR."""
        return any(e.severity == "error" for e in self.expectations)


def _severity(value: str | None, default: str, where: str) -> str:
    value = (value or default).lower()
    if value not in SEVERITIES:
        raise ValueError(f"{where}: severity must be one of {SEVERITIES}, not {value!r}")
    return value


def _expand(entry: dict, default: str, where: str) -> list[ExpectationSpec]:
    """One YAML entry → expectations; a list under ``column`` gives one per column."""
    kind = entry["type"]
    kwargs = dict(entry.get("kwargs") or {})
    severity = _severity(entry.get("severity"), default, f"{where} {kind}")
    columns = kwargs.get("column")
    if isinstance(columns, list):
        return [
            ExpectationSpec(kind, {**kwargs, "column": c}, severity, entry.get("notes")) for c in columns
        ]
    return [ExpectationSpec(kind, kwargs, severity, entry.get("notes"))]


def normalize_type(name: str) -> str:
    name = str(name).strip().upper()
    return TYPE_ALIASES.get(name, name)


def load_suite(path: Path) -> Suite:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    where = str(path)
    severity = _severity(raw.get("severity"), "error", where)
    views = tuple(
        ViewSpec(
            name=view_name,
            parquet=spec.get("parquet"),
            sql=spec.get("sql"),
            partitioned_by=spec.get("partitioned_by"),
            last_days=spec.get("last_days"),
            optional=bool(spec.get("optional", False)),
            per_delivery=bool(spec.get("per_delivery", False)),
            materialized=bool(spec.get("materialized", False)),
            columns={k: normalize_type(v) for k, v in (spec.get("columns") or {}).items()},
        )
        for view_name, spec in (raw.get("views") or {}).items()
    )
    if not views:
        raise ValueError(f"{where}: a suite needs at least one view")
    for view in views:
        if bool(view.parquet) == bool(view.sql):
            raise ValueError(f"{where}: view {view.name} needs exactly one of parquet / sql")
        if view.materialized and not view.sql:
            raise ValueError(f"{where}: view {view.name}: only an sql view can be materialized")
    sensitive = bool(raw.get("sensitive", False))
    reads = [v.parquet for v in views if v.parquet and v.parquet.startswith(SENSITIVE_DATA)]
    if reads and not sensitive:
        raise ValueError(f"{where}: reads {reads[0]} (minors' health, psych or identity data): "
                         "declare `sensitive: true` so its samples name no row's values")
    dataset = raw.get("dataset") or views[0].name
    if dataset not in {v.name for v in views}:
        raise ValueError(f"{where}: dataset {dataset!r} is not one of its views")
    expectations = tuple(e for entry in raw.get("expectations") or [] for e in _expand(entry, severity, where))
    return Suite(
        name=raw.get("name") or Path(path).stem,
        layer=Path(path).parent.name,
        asset=tuple(raw["asset"]),
        severity=severity,
        dataset=dataset,
        views=views,
        expectations=expectations,
        columns={k: normalize_type(v) for k, v in (raw.get("columns") or {}).items()},
        partitioned=raw.get("partitioned"),
        description=(raw.get("description") or "").strip(),
        path=Path(path),
        sensitive=sensitive,
    )


def load_suites(root: Path = EXPECTATIONS_DIR) -> list[Suite]:
    """Every suite under ``root`` (``<layer>/<dataset>.yaml``), in a stable order."""
    paths = sorted(p for p in Path(root).glob("*/*.y*ml"))
    suites = [load_suite(p) for p in paths]
    seen: dict[tuple, Path | None] = {}
    for suite in suites:
        key = (suite.asset, suite.name)
        if key in seen:
            raise ValueError(f"two suites named {suite.name} on {suite.asset}: {seen[key]}, {suite.path}")
        seen[key] = suite.path
    return suites
