"""Each source's plain-Python landing function, by source name."""

from __future__ import annotations

from collections.abc import Callable

from orchestration.landing.access import land_access
from orchestration.landing.catalog import land_catalog
from orchestration.landing.core import LandingSummary
from orchestration.landing.exams import land_exams
from orchestration.landing.governance import land_governance
from orchestration.landing.oneroster import land_roster
from orchestration.landing.surveys import land_fitness, land_psych
from orchestration.landing.xapi import land_xapi

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
