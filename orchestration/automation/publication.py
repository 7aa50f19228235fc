"""The district's monthly usage publication (月度通报) as a monthly-partitioned asset.

The page itself is built by :mod:`orchestration.reporting.publication` from the public,
already suppressed marts; this module only schedules it on the district's calendar.
"""

import dagster as dg

from orchestration.automation.retries import TRANSIENT_RETRY
from orchestration.automation.selections import PUBLICATION_KEY
from orchestration.partitions import monthly_partitions
from orchestration.reporting.publication import MARTS, MissingMart, render_publication
from orchestration.resources import LakeResource


@dg.asset(
    key=PUBLICATION_KEY,
    group_name="reports",
    partitions_def=monthly_partitions,
    deps=[dg.AssetKey(["marts", name]) for name in MARTS],
    retry_policy=TRANSIENT_RETRY,
    description="District monthly usage publication: reports/publication/<YYYY-MM>.html",
)
def monthly_publication(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    month = context.partition_key[:7]
    try:
        target = render_publication(lake.root, month, lake.min_cell)
    except MissingMart as exc:
        # Not transient: retrying will not make the mart appear.
        raise dg.Failure(str(exc), allow_retries=False) from exc
    if target is None:
        context.log.warning(f"nothing published for {month}: the usage mart holds no such month")
        return dg.MaterializeResult(metadata={"month": month, "published": False})
    return dg.MaterializeResult(metadata={"path": str(target), "month": month, "published": True})
