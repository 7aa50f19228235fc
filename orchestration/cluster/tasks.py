"""Plain Python work spread over a Spark cluster: one Spark task per item.

Landing scales by delivery (docs/scaleout.md): deliveries are independent, so the same
landing code runs on the cluster's executors, one task per delivery, and only the
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
from typing import Any, TypeVar

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
            .set("spark.pyspark.python", sys.executable)
            .set("spark.pyspark.driver.python", sys.executable)
            .set("spark.executorEnv.PYTHONPATH", python_path)
            .set("spark.executor.memory", self.executor_memory)
            .set("spark.task.maxFailures", str(TASK_ATTEMPTS))
            .set("spark.driver.host", os.environ.get("EDUHOUSE_SPARK_DRIVER_HOST", "127.0.0.1"))
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
            .set("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{LOG4J2}")
        )
        # pyspark takes the executors' interpreter from this variable when the context is
        # made (the spark.pyspark.python setting does not reach RDD tasks).
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


def largest_first(items: Sequence[Any], size: Callable[[Any], int]) -> list[int]:
    """Indices of ``items`` by decreasing size: tasks are handed out in order, so starting
    the biggest first keeps one large delivery from finishing alone at the end."""
    return sorted(range(len(items)), key=lambda i: -size(items[i]))
