"""Plain Python work spread over a Spark cluster: one Spark task per item.

Landing scales by delivery (docs/scaleout.md): deliveries are independent, so the same
landing code runs on the cluster's executors, a few deliveries per task, and only the
decisions that need every delivery (duplicates, the ledger) stay with the caller. This
module is the cluster side of that, and knows nothing of landing.

The driver runs in the calling process (pyspark starts its JVM); the executors run this
project's Python (the same interpreter path, with this checkout first on PYTHONPATH), so a
task calls exactly the code the caller has. On several machines that path must be the
same on every host, as the lake's is (docs/scaleout.md, "On several machines").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from orchestration.cluster.standalone import LOG4J2, resolve_master

T = TypeVar("T")
R = TypeVar("R")

# The folder holding the `orchestration` package: executors import it from there.
CODE_ROOT = Path(__file__).resolve().parents[2]
# A task that fails is tried once more (a lost executor), not Spark's default four times:
# a landing bug should fail the step quickly, with its traceback.
TASK_ATTEMPTS = 2


class ClusterTasks:
    """A Spark application on ``master`` that maps a Python function over items.

    ``with ClusterTasks(master, "eduhouse landing") as tasks: tasks.map(fn, items)`` returns
    ``[fn(item) for item in items]`` in order, each call a task on some executor. ``fn``
    must be importable there (a module-level function), its items and results picklable.
    """

    def __init__(self, master: str, app: str, *, executor_memory: str = "1g"):
        self.master = master
        self.app = app
        self.executor_memory = executor_memory
        self._sc = None

    @classmethod
    def for_lake(cls, lake: Path, configured_master: str | None, app: str) -> ClusterTasks:
        """On the configured master, else the lake's running cluster (its executors take
        what a worker offers); ``UserError`` when there is neither."""
        master, cluster = resolve_master(lake, configured_master)
        return cls(master, app, executor_memory=cluster.memory_per_worker if cluster else "1g")

    def __enter__(self) -> ClusterTasks:
        from pyspark import SparkConf, SparkContext

        python_path = os.pathsep.join(p for p in (str(CODE_ROOT), os.environ.get("PYTHONPATH")) if p)
        conf = (
            SparkConf()
            .setMaster(self.master)
            .setAppName(self.app)
            .set("spark.executorEnv.PYTHONPATH", python_path)
            .set("spark.executor.memory", self.executor_memory)
            .set("spark.task.maxFailures", str(TASK_ATTEMPTS))
            .set("spark.driver.host", os.environ.get("EDUHOUSE_SPARK_DRIVER_HOST", "127.0.0.1"))
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
            .set("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{LOG4J2}")
        )
        # pyspark takes the executors' interpreter from this variable when the context is
        # made (the spark.pyspark.python setting does not reach RDD tasks), so it is set
        # for that moment only.
        saved = os.environ.get("PYSPARK_PYTHON")
        os.environ["PYSPARK_PYTHON"] = sys.executable
        try:
            self._sc = SparkContext.getOrCreate(conf)
        finally:
            if saved is None:
                os.environ.pop("PYSPARK_PYTHON", None)
            else:
                os.environ["PYSPARK_PYTHON"] = saved
        self._sc.setLogLevel("WARN")
        return self

    def __exit__(self, *exc) -> None:
        if self._sc is not None:
            self._sc.stop()
            self._sc = None

    @property
    def parallelism(self) -> int:
        """Cores the application holds (its tasks that run at once)."""
        return int(self._sc.defaultParallelism)

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, job: str = "") -> list[R]:
        """``fn`` over ``items``, one task each, results in the items' order."""
        if not items:
            return []
        if job:
            self._sc.setJobDescription(job)
        return self._sc.parallelize(list(items), len(items)).map(fn).collect()


def balanced_groups(sizes: Sequence[int], groups: int) -> list[list[int]]:
    """Indices ``0..len(sizes)-1`` in at most ``groups`` groups of about equal total size:
    each item, largest first, joins the lightest group (LPT). The groups come heaviest
    first, since tasks are handed out in order and a heavy one should not start last."""
    bins: list[tuple[int, list[int]]] = [(0, []) for _ in range(max(1, min(groups, len(sizes))))]
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        k = min(range(len(bins)), key=lambda k: bins[k][0])
        bins[k] = (bins[k][0] + sizes[i], [*bins[k][1], i])
    return [members for _, members in sorted(bins, key=lambda b: -b[0]) if members]
