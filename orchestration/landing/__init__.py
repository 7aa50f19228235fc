"""Landing: inbox deliveries -> ledger -> bronze Parquet / quarantine (docs/inputs.md, docs/architecture.md).

Plain-Python entry points per source are in ``orchestration.landing.sources.LANDERS``
(``land_<source>(lake_root, timezone, ...) -> LandingSummary``); ``pending_dates`` tells
the inbox sensor which local dates new deliveries hold, ``head_dates`` the runner which
days they are for.
"""

from orchestration.landing.pending import head_dates, pending_dates

__all__ = ["head_dates", "pending_dates"]
