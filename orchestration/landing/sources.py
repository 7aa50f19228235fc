"""Each source's plain-Python landing function, by source name.

``land_<source>(lake_root, timezone, **landing)``: ``landing`` are ``core.land_source``'s
keywords (``rebuild``, ``options``, ``only``, ``ledger_rows``)."""

from __future__ import annotations

from collections.abc import Callable

from orchestration.landing.access import land_access
from orchestration.landing.catalog import land_catalog
from orchestration.landing.core import LandingSummary
from orchestration.landing.exams import land_exams
from orchestration.landing.governance import land_governance
from orchestration.landing.oneroster import land_roster
from orchestration.landing.surveys import land_fitness, land_psych
from orchestration.landing.xapi import land_xapi, voided_dates_of_batch

LANDERS: dict[str, Callable[..., LandingSummary]] = {
    "roster": land_roster,
    "xapi": land_xapi,
    "exams": land_exams,
    "catalog": land_catalog,
    "fitness": land_fitness,
    "psych": land_psych,
    "governance": land_governance,
    "access": land_access,
}
# Sources checked against the roster's users: the roster must land first.
NEEDS_ROSTER = ("xapi", "exams", "fitness", "psych", "governance", "access")

# Dates a delivery changes through other deliveries (xAPI `voided` statements), looked up
# again after a batch landed side by side: {source: fn(lake_root, delivery_ids) -> {id: dates}}.
BATCH_TOUCHED_DATES: dict[str, Callable[..., dict[str, set[str]]]] = {
    "xapi": voided_dates_of_batch,
}
