"""One context builder per role, one module per level (student, classroom, school,
district) over shared pieces (common). Each takes the run's ReportData and one Scope and
selects only rows inside that scope (students of the scope's classes, schools of its
district, …) before computing anything, so a page cannot show what its scope excludes.
"""

from __future__ import annotations

from orchestration.pages.i18n import Translator
from orchestration.reporting.contexts.classroom import class_page_title, head_teacher_context, teacher_context
from orchestration.reporting.contexts.district import (
    city_admin_context,
    district_admin_context,
    subject_researcher_context,
)
from orchestration.reporting.contexts.school import grade_leader_context, principal_context, school_page_title
from orchestration.reporting.contexts.student import parent_context, student_context
from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import Scope

BUILDERS = {
    "student": student_context, "parent": parent_context, "teacher": teacher_context,
    "head_teacher": head_teacher_context, "grade_leader": grade_leader_context, "principal": principal_context,
    "subject_researcher": subject_researcher_context, "district_admin": district_admin_context,
    "city_admin": city_admin_context,
}


# The titles of the pages rendered on demand that are not named by key, without a context.
LISTED_TITLES = {"teacher": class_page_title, "head_teacher": class_page_title,
                 "grade_leader": school_page_title, "principal": school_page_title}


def build_context(t: Translator, d: ReportData, s: Scope) -> dict:
    ctx = BUILDERS[s.role](t, d, s)
    ctx["role"] = s.role
    ctx["role_label"] = t(f"role.{s.role}")
    return ctx


__all__ = ["BUILDERS", "LISTED_TITLES", "build_context", "Cell"]
