"""Deliveries that landed outside `eduhouse run`'s own plans, and what they still feed.

`eduhouse run` builds what its own landing brought, and what a run of its own that died
left in the work journal (recovery.py). The daemon lands too (`make ui`): when it dies
after landing and before the models below ran (killed with the UI, a reboot), the inbox
holds nothing new, there is no journal, and `eduhouse run` said "every asset is up to
date" while `eduhouse status` listed two dozen stale assets (the daemon probe).

So, with no journal to finish, a source whose landing asset was materialized after one
of the models that read it counts as behind, whatever else the run builds (the second
daemon probe: beside a mart never built, the run rebuilt the months from days whose
models had not read the landed day): the deliveries its ledger finished
after that model was last built are treated as new, exactly as a dead run's are (the
ledger as it was then is the plan's `ledger_before`), and what reads the source is built
over their days, months and exams.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dagster as dg

from orchestration.lake import SOURCES
from orchestration.runner.recovery import WorkJournal
from orchestration.runner.scope import ledger_ids

BY = "the daemon or a run that died"


def _finished(row: dict) -> float | None:
    value = row.get("finished_at")
    return value.timestamp() if isinstance(value, datetime) else None


def landed_since_built(lake: Path, instance: dg.DagsterInstance, graph) -> WorkJournal | None:
    """The plan that builds what reads the sources behind (see the module docstring), or
    None when every source's readers were built after its last landing."""
    from orchestration.landing.ledger import read_ledger

    landing = {s: dg.AssetKey(["bronze", s]) for s in SOURCES if graph.has(dg.AssetKey(["bronze", s]))}
    readers = {s: [k for k in graph.get(key).child_keys if graph.get(k).group_name != "landing"]
               for s, key in landing.items()}
    keys = set(landing.values()) | {k for ks in readers.values() for k in ks}
    last = {}
    for record in instance.get_asset_records(list(keys)):
        event = record.asset_entry.last_materialization
        if event is not None:
            last[record.asset_entry.asset_key] = event.timestamp
    before = ledger_ids(lake)
    behind: list[str] = []
    for source, key in landing.items():
        built = [last.get(k) for k in readers[source]]
        if key not in last or not built or None in built:  # never built: `eduhouse run` builds it anyway
            continue
        since = min(built)
        if last[key] <= since:
            continue
        # a delivery refused whole or sent again changed no table: nothing to build for it
        later = {r["delivery_id"] for r in read_ledger(lake, source)
                 if (_finished(r) or 0) > since and (r.get("landed") or 0) > 0}
        if later:
            behind.append(source)
            before[source] = before.get(source, set()) - later
    if not behind:
        return None
    downstream = dg.AssetSelection.assets(*(landing[s] for s in behind)).downstream().resolve(graph)
    plan = WorkJournal.new({k.to_user_string() for k in downstream if k not in landing.values()}, before, False)
    plan.deferred_by = f"{BY} ({', '.join(behind)})"
    return plan
