"""The district's monthly usage publication (月度通报), one HTML page per month.

Monthly-partitioned on the district's calendar; reads the public Parquet marts
`usage_monthly` and `microtest_monthly` (never the warehouse) and renders
`reports/templates/publication/publication.html.j2` to
`<lake>/reports/publication/<YYYY-MM>.html` (temp file, then rename).
"""


import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import jinja2

from orchestration.automation.retries import TRANSIENT_RETRY
from orchestration.automation.selections import PUBLICATION_KEY
from orchestration.partitions import monthly_partitions
from orchestration.resources import LakeResource
from orchestration.settings import REPORTS_DIR

MARTS = (("usage_monthly", "平台使用 / Platform usage"),
         ("microtest_monthly", "微测作答 / Micro-test answers"))
MONTH_COLUMNS = ("month", "month_start", "year_month", "period", "local_month")
TEMPLATE_DIR = REPORTS_DIR / "templates" / "publication"


def _month_column(con, path: Path) -> str | None:
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
    return next((c for c in MONTH_COLUMNS if c in cols), None)


def month_rows(path: Path, month: str) -> tuple[list[str], list[tuple]]:
    """Columns and rows of one mart for `month` (YYYY-MM), the month column dropped."""
    con = duckdb.connect()
    try:
        column = _month_column(con, path)
        if column is None:
            raise ValueError(f"{path.name} has none of the month columns {MONTH_COLUMNS}")
        rel = con.execute(
            f"SELECT * EXCLUDE ({column}) FROM read_parquet('{path}') "
            f"WHERE left(CAST({column} AS VARCHAR), 7) = ? ORDER BY ALL",
            [month],
        )
        return [d[0] for d in rel.description], rel.fetchall()
    finally:
        con.close()


def render_publication(marts_dir: Path, out_dir: Path, month: str, min_cell: int = 10) -> Path:
    sections = []
    for name, title in MARTS:
        path = Path(marts_dir) / f"{name}.parquet"
        if not path.exists():
            # Not transient: retrying will not make the mart appear.
            raise dg.Failure(f"mart {path} is missing: run the dbt marts first", allow_retries=False)
        columns, rows = month_rows(path, month)
        sections.append({"title": title, "source": name, "columns": columns, "rows": rows})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True)
    html = env.get_template("publication.html.j2").render(
        title="区级平台使用月度通报", month=month, sections=sections, min_cell=min_cell,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{month}.html"
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target


@dg.asset(
    key=PUBLICATION_KEY,
    group_name="reports",
    partitions_def=monthly_partitions,
    deps=[dg.AssetKey(["marts", name]) for name, _ in MARTS],
    retry_policy=TRANSIENT_RETRY,
    description="District monthly usage publication: reports/publication/<YYYY-MM>.html",
)
def monthly_publication(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    month = context.partition_key[:7]
    target = render_publication(lake.paths.marts, lake.paths.reports / "publication", month, lake.min_cell)
    return dg.MaterializeResult(metadata={"path": str(target), "month": month})
