"""Landing on the Spark cluster: a batch's deliveries spread over the executors in tasks
of a few deliveries each, running the same landing code (issue: scale-out;
docs/scaleout.md).

Deliveries are independent: each becomes its own bronze files, quarantine file and ledger
row. Only three decisions need the whole batch, and they stay here, in the driver:

1. **Duplicates.** A resend is judged by content hash against the ledger and the batch's
   earlier deliveries, in inbox order, as ``core.land_source`` does; the hashes themselves
   are computed on the executors (reading every file is the cluster's work).
2. **Cross-delivery dates.** A delivery that voids statements of another one landed side
   by side could not see them from its task; ``sources.BATCH_TOUCHED_DATES`` looks them up
   once the batch is in bronze, so the ledger lists every date to rebuild.
3. **The ledger.** Tasks write bronze and quarantine only (``ledger_rows=False``); the
   driver writes each delivery's ledger row afterwards, in inbox order, through
   ``core.commit``. A crash anywhere before a row leaves that delivery pending, and
   landing it again overwrites exactly its own files: conservation holds as before.

Why tasks on the cluster that builds the models, rather than a Dagster executor spread over
machines: one cluster serves both stages, deliveries need no shared state but the lake,
and a multi-machine Dagster executor (Celery, Kubernetes) needs services this deployment
does not have.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.cluster.tasks import ClusterTasks, balanced_groups
from orchestration.landing import ledger
from orchestration.landing.core import (
    DeliveryResult,
    EngineOptions,
    LandingSummary,
    commit,
    duplicate_of,
    first_landings,
    known_hashes,
    to_land,
    write_ledger,
)
from orchestration.landing.deliveries import Delivery
from orchestration.landing.sources import BATCH_TOUCHED_DATES, LANDERS

# A task holds one of its executor's cores (spark.task.cpus = 1): DuckDB gets one thread.
TASK_OPTIONS = EngineOptions(threads=1)
# Deliveries are grouped into about this many tasks per core of the application, of about
# equal bytes: enough to even out unequal deliveries, few enough that each task's fixed
# cost (a DuckDB connection, the roster's users read once for the sources checked
# against them) is paid per group, not per delivery (840 fitness files are 840 deliveries).
TASKS_PER_CORE = 3


def _contents(deliveries: list[Delivery]) -> list[tuple[str, int]]:
    """Task: each delivery's content hash and size."""
    return [d.content_sha256() for d in deliveries]


def _land(job: tuple[str, str, str, list[tuple[Delivery, tuple[str, int]]]]) -> list[DeliveryResult]:
    """Task: land a group of deliveries with their source's own landing code, without
    their ledger rows."""
    lake_root, source, timezone, given, landed_at = job
    summary = LANDERS[source](Path(lake_root), timezone, given=given, ledger_rows=False, options=TASK_OPTIONS,
                              landed_at=landed_at)
    return summary.deliveries


def land_on_cluster(tasks: ClusterTasks, lake_root: Path, source: str, timezone: str, *,
                    rebuild=()) -> LandingSummary:
    """Land every not-yet-ledgered delivery of ``source`` (and re-land ``rebuild`` ids) as
    tasks on ``tasks``' cluster; the summary is ``land_source``'s, in inbox order."""
    lake_root = Path(lake_root)
    summary = LandingSummary(source)
    rows = ledger.read_ledger(lake_root, source)
    todo = to_land(lake_root, source, rebuild, rows)
    if not todo:
        return summary
    known = known_hashes(rows)
    n_tasks = tasks.parallelism * TASKS_PER_CORE
    chunks = [todo[k::n_tasks] for k in range(min(n_tasks, len(todo)))]
    hashed: dict[str, tuple[str, int]] = {}
    for chunk, got in zip(chunks, tasks.map(_contents, chunks, job=f"eduhouse landing {source}: hash "
                                            f"{len(todo)} deliveries"), strict=True):
        hashed.update(zip((d.delivery_id for d in chunk), got, strict=True))
    contents = [hashed[d.delivery_id] for d in todo]
    results: dict[str, DeliveryResult] = {}
    landing: list[int] = []
    for i, (delivery, (sha, _size)) in enumerate(zip(todo, contents, strict=True)):
        first = known.get(sha)
        if first is not None and first != delivery.delivery_id:
            results[delivery.delivery_id] = duplicate_of(delivery.delivery_id, first, datetime.now(UTC))
        else:
            known[sha] = delivery.delivery_id
            landing.append(i)
    groups = [[landing[k] for k in group] for group in balanced_groups(
        [contents[i][1] for i in landing], n_tasks)] if landing else []
    # Landing times in inbox order, given here: tasks side by side would stamp a delivery
    # and its correction in whichever order they ran (the latest of a key wins downstream);
    # a delivery landed again keeps its first landing's (core.land_source).
    now = datetime.now(UTC)
    times = {d.delivery_id: now + timedelta(microseconds=i) for i, d in enumerate(todo)}
    times.update(first_landings(rows, rebuild))
    jobs = [(str(lake_root), source, timezone, [(todo[i], contents[i]) for i in group],
             {todo[i].delivery_id: times[todo[i].delivery_id] for i in group}) for group in groups]
    landed = [r for rs in tasks.map(_land, jobs, job=f"eduhouse landing {source}: {len(landing)} deliveries "
                                    f"in {len(jobs)} tasks") for r in rs]
    for result in landed:
        results[result.delivery_id] = result
    touched = BATCH_TOUCHED_DATES.get(source)
    if touched is not None and landed:
        for delivery_id, dates in touched(lake_root, [r.delivery_id for r in landed]).items():
            results[delivery_id].touched_dates |= dates
    for delivery, (sha, size) in zip(todo, contents, strict=True):
        result = results[delivery.delivery_id]
        if result.status == "duplicate":
            write_ledger(lake_root, source, delivery, sha, size, result)
        else:
            commit(lake_root, source, delivery, sha, size, result)
        summary.deliveries.append(result)
    return summary
