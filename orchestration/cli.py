"""The `eduhouse` command line: simulate | run | status | backfill | report | audit | serve | token | cluster.

Each part adds its own subcommands through `<part>/commands.py: register(subparsers)`;
this module only assembles them, so a command lives beside the code it drives. Packages
outside the code location (the development tools: `simulate`, `sample-marts`) add theirs
through the `eduhouse.commands` entry-point group, so this package never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import signal
import sys

from orchestration.errors import UserError
from orchestration.settings import SettingError

COMMAND_PARTS = ("runner", "automation", "reporting", "governance", "serve", "cluster")


class OneLineParser(argparse.ArgumentParser):
    """Argument mistakes in one line (exit 2), not a usage block: `--help` shows usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="eduhouse", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for part in COMMAND_PARTS:
        importlib.import_module(f"orchestration.{part}.commands").register(subparsers)
    for entry in sorted(importlib.metadata.entry_points(group="eduhouse.commands"), key=lambda e: e.name):
        entry.load()(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, SettingError) as exc:
        print(f"eduhouse {args.command}: {exc}", file=sys.stderr)
        return 2


def console_main() -> None:
    """Console entry point. Exits without interpreter teardown: DuckDB 2.0's bindings
    print spurious 'leaked instance' lines at shutdown, which would bury the summary."""
    try:
        code = main()
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        # the reader went away (`eduhouse status | head -1`): stop quietly, with the
        # shell's code for a process ended by SIGPIPE, not 1 (status's ATTENTION)
        os._exit(128 + signal.SIGPIPE)
    os._exit(code)


if __name__ == "__main__":
    console_main()
