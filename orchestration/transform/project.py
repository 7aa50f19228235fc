"""The dbt project as Dagster sees it: where it lives, its manifest, and the lake folders
dbt needs before it runs.

dbt is run from the venv (``dbt`` next to ``sys.executable``) with ``--profiles-dir
dbt_project``; the profile reads the lake from ``EDUHOUSE_LAKE``.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from orchestration.lake import LakePaths
from orchestration.settings import DBT_PROJECT_DIR, get_settings
from orchestration.worker import dbt_executable

# The profile's target of each engine. A manifest is parsed per target: a test's unique id
# hashes its rendered arguments (a quoted column is "check" on DuckDB, `check` on Spark),
# so the assets must come from the manifest of the target dbt runs on.
DBT_TARGETS = {"duckdb": "dev", "spark": "spark"}
# Files whose change makes the manifest stale.
_SOURCE_GLOBS = ("dbt_project.yml", "profiles.yml", "models/**/*", "macros/**/*", "tests/**/*", "seeds/**/*")




def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for pattern in _SOURCE_GLOBS:
        for path in project_dir.glob(pattern):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


PARSED_MARK = ".eduhouse_parsed"  # beside the manifest: the target it was parsed for and its mtime


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR, manifest: Path | None = None,
                      target: str | None = None) -> bool:
    """Missing, older than a project file, or not the one eduhouse parsed (for `target`):
    a `dbt run --target spark` by hand in the project folder rewrites its manifest with
    the other engine's tests, and the code location would load that graph."""
    manifest = manifest or project_dir / "target" / "manifest.json"
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project_dir):
        return True
    if target is None:
        return False
    mark = manifest.with_name(PARSED_MARK)
    try:
        return mark.read_text().split() != [target, str(manifest.stat().st_mtime_ns)]
    except OSError:
        return True


def _mark_parsed(manifest: Path, target: str) -> None:
    tmp = manifest.with_name(f"{PARSED_MARK}.{os.getpid()}.tmp")
    tmp.write_text(f"{target} {manifest.stat().st_mtime_ns}\n")
    os.replace(tmp, manifest.with_name(PARSED_MARK))


def _parse_if_stale(project: DbtProject) -> None:
    """Parse when the manifest is missing or older than any project file, never otherwise.
    Two processes loading at once (the UI and a CLI run, or two test workers) would both
    parse into the same target folder: the second waits on a file lock and then finds the
    manifest fresh. Parsing needs no data and no warehouse.

    A whole parse, not a partial one: after a change to a yml of singular tests, dbt
    1.11's partial parse kept the changed test's config and dropped the `meta` of the
    file's other tests, so their asset checks (`meta.dagster.ref`) vanished from the code
    location (five integrity checks, seen after moving one test's ref). 6 s once per
    change of the project; a run's dbt still parses partially from the state this writes."""
    project_dir, manifest = Path(project.project_dir), Path(project.manifest_path)
    target = str(project.target)
    if not manifest_is_stale(project_dir, manifest, target):
        return
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale(project_dir, manifest, target):
            env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
            subprocess.run(
                [dbt_executable(), "parse", "--quiet", "--no-partial-parse", "--project-dir", str(project_dir),
                 "--profiles-dir", str(project.profiles_dir), "--target", str(project.target),
                 "--target-path", str(manifest.parent)],
                check=True, env=env, cwd=project_dir, capture_output=True, text=True,
            )
            manifest.touch()
            _mark_parsed(manifest, target)


def prepare_lake(lake: LakePaths) -> None:
    """Create the folders dbt writes into (DuckDB's COPY does not create folders)."""
    for folder in (lake.warehouse.parent, lake.marts_staging, lake.restricted / ".staging"):
        folder.mkdir(parents=True, exist_ok=True)
    # names, birth dates, psych screenings: readable by the service's user only, as the
    # rendered reports are (reporting/render.py); read through `eduhouse serve`
    os.chmod(lake.restricted, 0o700)


def dbt_env(lake_root: str | Path, timezone: str, min_cell: int, top_n: int) -> dict[str, str]:
    """Environment of one dbt invocation: the lake and conventions of the LakeResource."""
    return {
        "EDUHOUSE_LAKE": str(Path(lake_root).resolve()),
        "EDUHOUSE_TZ": timezone,
        "EDUHOUSE_MIN_CELL": str(min_cell),
        "EDUHOUSE_TOP_N": str(top_n),
        # Run a test once its parents all ran or are upstream of what ran: a relationship
        # test between a partitioned model and an upstream unpartitioned one runs with the
        # partitioned model, never before a parent is built (dagster-dbt overrides this when
        # it selects checks itself).
        "DBT_INDIRECT_SELECTION": "buildable",
    }


def dbt_project_for(engine: str) -> DbtProject:
    target = DBT_TARGETS[engine]
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=target,
                      target_path=Path("target") if target == "dev" else Path("target") / target)


eduhouse_dbt_project = dbt_project_for(get_settings().engine)
MANIFEST_PATH = Path(eduhouse_dbt_project.manifest_path)


def ensure_manifest() -> Path:
    """The project's manifest, ready to load.

    Under `dagster dev`, dagster-dbt's own ``prepare_if_dev`` prepares it (deps and parse,
    guarded against concurrent updates). Everywhere else dagster-dbt expects a manifest
    made at deploy time (``dagster-dbt project prepare-and-package``); eduhouse runs from
    its checkout (`eduhouse run`, the tests), so it parses there only when the manifest is
    stale, which keeps start-up free when nothing changed."""
    if using_dagster_dev():
        eduhouse_dbt_project.prepare_if_dev()
    else:
        _parse_if_stale(eduhouse_dbt_project)
    return Path(eduhouse_dbt_project.manifest_path)
