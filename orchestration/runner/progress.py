"""A Dagster logger that prints one short line per step, for people at a terminal."""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg

from orchestration.faults import fault_point


def counted(n: int, word: str) -> str:
    """"1 day", "3 days": the counts in the lines people read."""
    return f"{n} {word}{'' if n == 1 else 's'}"


_SHOWN = {
    "STEP_START": "…",
    "STEP_SUCCESS": "✓",
    "STEP_FAILURE": "✗",
    "STEP_SKIPPED": "-",
    "STEP_UP_FOR_RETRY": "↻",
}


class _StepLineHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self._started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", {}) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        step = event.step_key or ""
        if kind == "STEP_START":
            fault_point(f"step:{step}")
            self._started[step] = time.monotonic()
            return  # the finishing line says enough; a start line per step is noise
        if kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            mark = "✓" if evaluation.passed else ("✗" if evaluation.severity.value == "ERROR" else "!")
            print(f"    {mark} check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}", file=sys.stderr)
            return
        if kind not in _SHOWN:
            return
        took = time.monotonic() - self._started.pop(step, time.monotonic())
        line = f"  {_SHOWN[kind]} {step} ({took:.1f}s)"
        if kind == "STEP_FAILURE":
            line += f": {failure_reason(event.event_specific_data.error)}"
        print(line, file=sys.stderr, flush=True)


def failure_reason(error) -> str:
    """The first line of what went wrong: the innermost cause, not Dagster's wrapper
    ("Error occurred while executing op ...") that says only where."""
    if error is None:
        return ""
    while error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name


@dg.logger(description="One line per finished step and per asset check, on stderr.")
def step_lines(_init_context) -> logging.Logger:
    logger = logging.Logger("eduhouse.progress", level=logging.DEBUG)
    logger.addHandler(_StepLineHandler())
    return logger
