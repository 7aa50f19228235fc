"""Retry policy for transient failures (a locked file, a slow disk, a flaky webhook).

Attach it to assets whose failures can be transient (file locks, network, a webhook):
`@dg.asset(retry_policy=TRANSIENT_RETRY)`. Not to a dbt build or a data validation:
those fail the same way again. For a permanent error inside such an asset raise
`dg.Failure(..., allow_retries=False)`. Three tries in all: after 10 s, then 20 s.
"""

import dagster as dg

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)
