"""Execute one stage run in this process against the instance, and what came of it.

Shared by `eduhouse run` and `eduhouse backfill`: runs go through the Dagster instance,
so they show in the UI and the failure sensor sees them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.runner.progress import counted
from orchestration.runner.recovery import PID_TAG

LABEL_TAG = "eduhouse/label"
RANGE_START = ASSET_PARTITION_RANGE_START_TAG
RANGE_END = ASSET_PARTITION_RANGE_END_TAG


@dataclass
class RunOutcome:
    label: str
    run_id: str
    success: bool
    seconds: float
    log_path: Path | None = None
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    checks_passed: int = 0
    # not run: blocking checks of an earlier run still fail on what it reads (run.held_by)
    held_by: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.success and not self.failed_checks


def range_tags(start: str, end: str) -> dict[str, str]:
    return {RANGE_START: start, RANGE_END: end}


def execute(job: dg.JobDefinition, instance: dg.DagsterInstance, label: str, keys, tags: dict,
            log_path: Path | None = None, run_config: dict | None = None) -> RunOutcome:
    """One run of `keys` with `tags` (partition tags included); tool output to `log_path`."""
    print(f"▶ {label}: {counted(len(keys), 'asset')}", file=sys.stderr, flush=True)
    started = time.monotonic()
    # Who runs it: a later `eduhouse run` tells a dead run (its process gone) from a live one.
    tags = {**tags, PID_TAG: str(os.getpid()), LABEL_TAG: label}
    # Tools inside the run (dbt above all) write their own logs to stdout: keep them in
    # a file so the terminal shows one line per step and the summary.
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    with (open(log_path, "a", encoding="utf-8") if log_path else contextlib.nullcontext(sys.stdout)) as log, \
            contextlib.redirect_stdout(log):
        result = job.execute_in_process(
            instance=instance,
            asset_selection=list(keys),
            tags=tags,
            raise_on_error=False,
            run_config=run_config or {},
        )
    outcome = RunOutcome(label, result.run_id, result.success, time.monotonic() - started, log_path)
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    outcome.failed_steps = [e.step_key for e in failures]
    if failures and log_path is not None:
        # The terminal has one line per failed step; the log the summary points to has
        # the whole error, cause and traceback, for whoever fixes it.
        with open(log_path, "a", encoding="utf-8") as log:
            for event in failures:
                error = event.event_specific_data.error
                log.write(f"\n== {label}: step {event.step_key} failed (run {result.run_id})\n"
                          f"{error.to_string() if error else ''}\n")
    for evaluation in result.get_asset_check_evaluations():
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        if evaluation.passed:
            outcome.checks_passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            outcome.failed_checks.append(name)
        else:
            outcome.warned_checks.append(name)
    return outcome
