"""Landing: inbox deliveries -> ledger -> bronze Parquet / quarantine (docs/inputs.md, docs/architecture.md).

Plain-Python entry points per source are in ``orchestration.landing.sources.LANDERS``
(``land_<source>(lake_root, timezone, ...) -> LandingSummary``); ``pending_dates`` tells
the runner and the inbox sensor which local dates new deliveries hold.
"""

from orchestration.landing.pending import pending_dates

__all__ = ["pending_dates"]
