"""Retry policy for transient failures (a locked file, a slow disk, a flaky webhook).

Parts attach it to their assets: `@dg.asset(retry_policy=TRANSIENT_RETRY)`; jobs built
here use it as their default op retry policy. Three tries in all: after 10 s, then 20 s.
"""

import dagster as dg

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)
