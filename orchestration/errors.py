"""Mistakes a user can fix, and how the command line reports them.

A command raises :class:`UserError` for a wrong argument or a lake that is not there;
``eduhouse`` prints its message as one line on stderr and exits 2. Anything else is a
bug or an outage and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path


class UserError(Exception):
    """A wrong argument, a missing lake, a lake in use: one line, exit 2."""


def lake_from(arg: str | Path | None) -> Path:
    """The lake a command works on: `--lake`, else $EDUHOUSE_LAKE, else ./lake."""
    return Path(arg or os.environ.get("EDUHOUSE_LAKE") or "lake").resolve()


# The folders that make a directory a lake: deliveries, what the pipeline (or
# `eduhouse sample-marts`) wrote, or its run history and alerts (LakePaths' folders).
LAKE_FOLDERS = ("inbox", "ledger", "bronze", "quarantine", "warehouse", "marts", "restricted", "quality", "reports",
                "alerts", "ops")


def existing_lake(arg: str | Path | None) -> Path:
    """The lake, which must exist: reading a lake that is not there is a mistake, never an
    empty "all is well"."""
    lake = lake_from(arg)
    if not lake.is_dir():
        raise UserError(f"no lake at {lake} (make one with `eduhouse simulate --lake {lake}`, "
                        "or point --lake / EDUHOUSE_LAKE at an existing one)")
    # a folder with none of a lake's own folders is a mistyped --lake, not an empty lake:
    # `status` said OK there, and `backfill` made a lake in it (the faults probe)
    if not any((lake / name).is_dir() for name in LAKE_FOLDERS):
        raise UserError(f"{lake} is not a lake: it holds none of a lake's folders (inbox/, marts/, ops/ ...); "
                        "point --lake / EDUHOUSE_LAKE at a lake")
    return lake


def whole_number(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number in ``least``..``most``: argparse prints one
    line for anything else (``--port 99999``, ``--days -3``)."""
    bounds = f"{least}..{most}" if most is not None else f"{least} or more"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"give {bounds}, not {value}")
        return value

    return parse
