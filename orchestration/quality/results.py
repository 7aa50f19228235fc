"""Keep every validation result and turn it into a Dagster asset check result.

Each check run writes ``<lake>/quality/results/<dataset>/<run_ts>.parquet``: one row per
expectation (suite, expectation, success, observed, unexpected counts, severity, run id,
partition), so a check's history is a ``read_parquet`` away and feeds the data docs.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lake import LakePaths
from orchestration.quality.validate import Outcome, SuiteRun

RESULT_SCHEMA = pa.schema([
    ("run_ts", pa.timestamp("us", tz="UTC")),
    ("run_id", pa.string()),
    ("dataset", pa.string()),
    ("layer", pa.string()),
    ("asset_key", pa.string()),
    ("check_name", pa.string()),
    ("suite_file", pa.string()),
    ("partition", pa.string()),
    ("expectation", pa.string()),
    ("column", pa.string()),
    ("kwargs", pa.string()),
    ("severity", pa.string()),
    ("success", pa.bool_()),
    ("observed", pa.string()),
    ("element_count", pa.int64()),
    ("unexpected_count", pa.int64()),
    ("unexpected_percent", pa.float64()),
    ("sample", pa.string()),
    ("exception", pa.string()),
    ("notes", pa.string()),
    ("check_passed", pa.bool_()),
    ("check_severity", pa.string()),
    ("seconds", pa.float64()),
])


def results_dir(lake: Path, dataset: str) -> Path:
    return LakePaths(Path(lake)).quality / "results" / dataset


def write_results(
    lake: Path,
    *,
    dataset: str,
    layer: str,
    asset_key: str,
    check_name: str,
    outcomes: list[Outcome],
    partition: str | None,
    run_id: str,
    seconds: float,
    suite_file: str | None = None,
    passed: bool | None = None,
    severity: str | None = None,
    run_ts: datetime | None = None,
) -> Path:
    """Write one check run's rows (temp name, then rename) and return the file."""
    run_ts = run_ts or datetime.now(UTC)
    failures = [o for o in outcomes if not o.success]
    if passed is None:
        passed = not failures
    if severity is None:
        severity = "warn" if failures and all(o.severity == "warn" for o in failures) else "error"
    rows = []
    for o in outcomes:
        row = asdict(o)
        row.update(
            run_ts=run_ts, run_id=run_id, dataset=dataset, layer=layer, asset_key=asset_key,
            check_name=check_name, suite_file=suite_file, partition=partition,
            check_passed=passed, check_severity=severity, seconds=seconds,
        )
        rows.append(row)
    table = pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)
    folder = results_dir(lake, dataset)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = run_ts.strftime("%Y%m%dT%H%M%S_%fZ")
    target = folder / f"{stamp}_{uuid.uuid4().hex[:6]}.parquet"
    tmp = folder / f".{target.name}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, target)
    return target


def write_suite_run(lake: Path, run: SuiteRun, run_id: str) -> Path:
    suite = run.suite
    return write_results(
        lake,
        dataset=suite.name,
        layer=suite.layer,
        asset_key="/".join(suite.asset),
        check_name=suite.name,
        outcomes=run.outcomes,
        partition=run.partition,
        run_id=run_id,
        seconds=run.seconds,
        suite_file=str(suite.path.name) if suite.path else None,
        passed=run.passed,
        severity=run.severity,
    )


def _failure_line(o: Outcome) -> str:
    target = f"`{o.column}`" if o.column else ""
    counts = f"{o.unexpected_count} unexpected" if o.unexpected_count is not None else ""
    if o.unexpected_percent is not None and o.unexpected_count is not None:
        counts += f" ({o.unexpected_percent:.3g} %)"
    observed = f"observed {o.observed}" if o.observed not in (None, "null") else ""
    detail = "; ".join(x for x in (counts, observed, o.exception and f"error: {o.exception}") if x)
    sample = f" — e.g. {o.sample[:200]}" if o.sample else ""
    return f"| {o.severity} | {o.expectation} {target} | {detail}{sample} |".replace("\n", " ")


def failures_markdown(outcomes: list[Outcome]) -> str:
    failures = [o for o in outcomes if not o.success]
    if not failures:
        return "All expectations met."
    lines = ["| severity | expectation | what was found |", "| --- | --- | --- |"]
    lines += [_failure_line(o) for o in failures]
    return "\n".join(lines)


def to_check_result(
    *,
    outcomes: list[Outcome],
    passed: bool,
    severity: str,
    partition: str | None,
    results_file: Path,
    docs_file: Path | None,
    seconds: float,
    asset_key: dg.AssetKey | None = None,
    check_name: str | None = None,
    extra: dict | None = None,
) -> dg.AssetCheckResult:
    """GX outcomes → ``AssetCheckResult``: failing expectations, observed values, counts."""
    failures = [o for o in outcomes if not o.success]
    metadata = {
        "expectations": dg.MetadataValue.int(len(outcomes)),
        "failed_expectations": dg.MetadataValue.int(len(failures)),
        "failed_errors": dg.MetadataValue.int(sum(o.severity == "error" for o in failures)),
        "failed_warnings": dg.MetadataValue.int(sum(o.severity == "warn" for o in failures)),
        "unexpected_rows": dg.MetadataValue.int(sum(o.unexpected_count or 0 for o in failures)),
        "failures": dg.MetadataValue.md(failures_markdown(outcomes)),
        "failing": dg.MetadataValue.json([
            {k: v for k, v in asdict(o).items() if v is not None} for o in failures
        ]),
        "validation_seconds": dg.MetadataValue.float(round(seconds, 3)),
        "results_file": dg.MetadataValue.path(str(results_file)),
        **(extra or {}),
    }
    if partition:
        metadata["partition"] = dg.MetadataValue.text(partition)
    if docs_file is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs_file))
        metadata["data_docs_url"] = dg.MetadataValue.url(Path(docs_file).resolve().as_uri())
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN if severity == "warn" else dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        asset_key=asset_key,
        check_name=check_name,
    )
