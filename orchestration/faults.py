"""Named kill points, for the crash tests only.

`EDUHOUSE_FAULT_AT=<text>` makes the process kill itself (SIGKILL: no cleanup, no
`finally`) at the first fault point whose name contains <text>, so a test can stop
`eduhouse run` at an exact moment — mid-landing, between a Parquet write and its rename,
at the start of any Dagster step — and check that the next run finishes the work with
nothing lost or doubled. Unset (always, outside tests), a fault point costs one
dictionary lookup.

Points: `step:<step key>` (every Dagster step, as it starts), `dbt:<asset key>` (dbt has
reported that model or test and is still running), `landing:<source>:<delivery>`
(a delivery's bronze written, its ledger row not yet), `parquet:<file name>` (a Parquet
file written to its temp name, not yet renamed into place).
"""

from __future__ import annotations

import os
import signal

ENV = "EDUHOUSE_FAULT_AT"


def fault_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if wanted and wanted in name:
        os.kill(os.getpid(), signal.SIGKILL)
