"""Partition definitions shared by landing, transforms, reports and automation."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import get_settings

_settings = get_settings()

# Days and months are the district's, not UTC's (SOURCES.md: 16:30Z is the next day).
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=_settings.partitions_start, timezone=_settings.timezone, end_offset=1
)
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=_settings.partitions_start[:8] + "01", timezone=_settings.timezone, end_offset=1
)
