"""The `eduhouse` command line: simulate | run | status | backfill | report | audit.

Each part adds its own subcommands through `<part>/commands.py: register(subparsers)`;
this module only assembles them, so a command lives beside the code it drives.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMAND_PARTS = ("simulate", "runner", "automation", "reporting", "governance")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eduhouse", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for part in COMMAND_PARTS:
        try:
            module = importlib.import_module(f"orchestration.{part}.commands")
        except ModuleNotFoundError as exc:
            if exc.name != f"orchestration.{part}.commands":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


def console_main() -> None:
    """Console entry point. Exits without interpreter teardown: DuckDB 2.0's bindings
    print spurious 'leaked instance' lines at shutdown, which would bury the summary."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console_main()
