"""Partition definitions shared by landing, transforms, reports and automation.

Three partitionings, each a unit someone asks to rebuild: a district-local day (time-based
sources and the event models), a month (usage marts, the publication) and an exam (exam
marts, keyed by exam_id; exams are registered as they land).
"""

from __future__ import annotations

import dagster as dg

from orchestration.settings import get_settings

_settings = get_settings()

# Days and months are the district's, not UTC's (docs/inputs.md, Time: 16:30Z is the next day).
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=_settings.partitions_start, timezone=_settings.timezone, end_offset=1
)
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=_settings.partitions_start[:8] + "01", timezone=_settings.timezone, end_offset=1
)
# One partition per exam_id, added when an exam delivery lands
# (orchestration/landing/exam_partitions.py).
EXAM_PARTITIONS_NAME = "exam"
exam_partitions = dg.DynamicPartitionsDefinition(name=EXAM_PARTITIONS_NAME)
# Before a lake's first exam (September: rosters and learning logs only) the exam models
# are built once on this placeholder partition, empty and typed, so the unpartitioned
# models that read them (term profiles, knowledge, the reports) can be built, as the daily
# and monthly models are built empty on their first partition. No exam row carries it;
# the first real exam's registration removes it.
NO_EXAM_YET = "no-exam-yet"

# Run tag: replace the run's partitions from all upstream data (a backfill, a repair)
# instead of catching up on what is new. Landing re-lands deliveries; dbt gets `rebuild`.
REBUILD_TAG = "eduhouse/rebuild"


def is_rebuild(tags: dict[str, str]) -> bool:
    return str(tags.get(REBUILD_TAG, "")).lower() == "true"
