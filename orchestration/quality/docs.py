"""A static data-docs page over every kept validation result.

GX's own Data Docs need a file-backed GX project; ours are generated from the result
Parquet instead (one Jinja2 page, ``<lake>/reports/quality/index.html``, under the lake's
reports as issue 4 asks, so readable by the service's user only like every page there:
a failure's sample can name a student): the latest run of each check with every
expectation, and a strip of past outcomes per check.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import jinja2

from orchestration.lake import LakePaths

TEMPLATES = Path(__file__).parent / "templates"
HISTORY = 30


def docs_path(lake: Path) -> Path:
    return LakePaths(Path(lake)).reports / "quality" / "index.html"


def _status(passed: bool, severity: str) -> str:
    return "ok" if passed else ("warn" if severity == "warn" else "error")


def _readable(row: dict) -> dict:
    """Split a custom SQL expectation's kwargs into its description and its query."""
    try:
        kwargs = json.loads(row.get("kwargs") or "{}")
    except ValueError:
        kwargs = {}
    row["description"] = kwargs.pop("description", None)
    row["sql"] = kwargs.pop("unexpected_rows_query", None)
    row["args"] = json.dumps(kwargs, ensure_ascii=False) if kwargs else ""
    return row


def build_data_docs(lake: Path) -> Path:
    """Render the page from ``<lake>/quality/results``; written to a temp name, then renamed."""
    root = LakePaths(Path(lake)).quality / "results"
    target = docs_path(lake)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent.parent, 0o700)  # the lake's reports, as the render leaves them
    checks: list[dict] = []
    # A check run is one file, named by its run's time (results.write_results), and the
    # page shows each check's last HISTORY runs: only those files are read. Every run of
    # every check adds a file and the page is rebuilt after every check, so reading them
    # all made each rebuild grow with the lake's age (a year of nightly runs: some 7,000
    # files read after each of a night's checks).
    total_runs = 0
    files: list[str] = []
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        names = sorted(p.name for p in folder.glob("*.parquet"))
        total_runs += len(names)
        files += [str(folder / name) for name in names[-HISTORY:]]
    if files:
        con = duckdb.connect()
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        # Read once: every check of every run adds a file, and the page is rebuilt after
        # every check, so one scan per dataset made a district month's exam checks cost
        # checks x files.
        con.execute(f"CREATE TEMP TABLE r AS SELECT * FROM read_parquet([{listing}], union_by_name = true, file_row_number = true)")
        runs = con.execute(
            """SELECT dataset, run_id, run_ts, any_value(asset_key), any_value(layer), any_value(partition),
                      any_value(check_passed), any_value(check_severity), any_value(seconds),
                      any_value(suite_file), count(*), count(*) FILTER (WHERE NOT success)
               FROM r GROUP BY dataset, run_id, run_ts ORDER BY dataset, run_ts, run_id"""
        ).fetchall()
        by_dataset: dict[str, list] = {}
        for row in runs:
            by_dataset.setdefault(row[0], []).append(row)
        latest = [(dataset, history[-1][1], history[-1][2]) for dataset, history in by_dataset.items()]
        con.execute("CREATE TEMP TABLE latest (dataset VARCHAR, run_id VARCHAR, run_ts TIMESTAMPTZ)")
        con.executemany("INSERT INTO latest VALUES (?, ?, ?)", latest)
        cur = con.execute(
            """SELECT r.* FROM r JOIN latest AS l
                   ON r.dataset = l.dataset AND r.run_id = l.run_id AND r.run_ts = l.run_ts
               ORDER BY r.dataset, r.success, r.severity, r.file_row_number"""
        )
        names = [d[0] for d in cur.description]
        expectations: dict[str, list[dict]] = {}
        for row in cur.fetchall():
            record = _readable(dict(zip(names, row, strict=True)))
            expectations.setdefault(record["dataset"], []).append(record)
        for dataset, history in sorted(by_dataset.items()):
            last = history[-1]
            checks.append({
                "dataset": dataset, "run_id": last[1], "run_ts": f"{last[2]:%Y-%m-%d %H:%M:%S}",
                "asset_key": last[3], "layer": last[4], "partition": last[5],
                "status": _status(last[6], last[7]), "seconds": last[8], "suite_file": last[9],
                "total": last[10], "failed": last[11], "expectations": expectations.get(dataset, []),
                "history": [
                    {"status": _status(h[6], h[7]), "run_ts": f"{h[2]:%Y-%m-%d %H:%M}", "partition": h[5]}
                    for h in history[-HISTORY:]
                ],
            })
        con.close()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    html = env.get_template("data_docs.html.j2").render(
        checks=checks, total_runs=total_runs, results_root=str(root),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    tmp = target.with_name(f".index.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
