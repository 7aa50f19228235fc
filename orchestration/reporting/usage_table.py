"""The monthly usage table, shared by the district and city reports and the publication."""

from __future__ import annotations

import pandas as pd

from orchestration.pages.i18n import Translator
from orchestration.reporting.components import Table, cell
from orchestration.reporting.store import records


def usage_table(t: Translator, min_cell: int, u: pd.DataFrame, m: pd.DataFrame | None, month: str) -> Table:
    """The seed's monthly usage table (Fangshan): one row per org and segment, teachers and
    students side by side, as the marts publish it (suppressed cells come as `is_suppressed`).
    Without ``m`` (a role the policy does not let read micro-tests) the micro-test columns
    are left out."""
    u = u[u.month.astype(str) == month]
    micro = m is not None
    m = m[m.month.astype(str) == month] if micro else u.iloc[0:0]
    rows, classes = [], []
    orgs = u[["org_sourced_id", "org_name", "segment", "org_type"]].drop_duplicates().sort_values(["org_type", "segment", "org_name"], ascending=[False, True, True])
    for o in records(orgs):
        def pick(pop, o=o):
            r = u[(u.org_sourced_id == o.org_sourced_id) & (u.segment == o.segment) & (u.population == pop)]
            return r.iloc[0] if len(r) else None
        tr, sr = pick("teacher"), pick("student")
        mr = m[(m.org_sourced_id == o.org_sourced_id) & (m.segment == o.segment)]
        mr = mr.iloc[0] if len(mr) else None

        def c(r, col, kind, unit=""):
            if r is None:
                return cell(None)
            return cell(r[col], kind, unit, bool(r.get("is_suppressed", False)))
        rows.append([cell(o.org_name), cell(t(f"segment.{o.segment}")),
                     c(tr, "on_roster", "int"), c(tr, "online", "int"), c(tr, "online_rate", "pct"),
                     c(sr, "on_roster", "int"), c(sr, "online", "int"), c(sr, "online_rate", "pct"),
                     c(sr, "logins_per_online", "num1"),
                     *([c(mr, "answer_rate", "pct"), c(mr, "answers", "int")] if micro else []),
                     c(tr, "resource_view_rate", "pct"), c(sr, "resource_view_rate", "pct")])
        classes.append("total" if o.org_type != "school" else "")
    return Table([t("col.org"), t("col.segment"), t("col.teachers_roster"), t("col.teachers_online"), t("col.teacher_online_rate"),
                  t("col.students_roster"), t("col.students_online"), t("col.student_online_rate"), t("col.logins_per_capita"),
                  *([t("col.micro_answer_rate"), t("col.micro_answers")] if micro else []),
                  t("col.teacher_view_rate"), t("col.student_view_rate")],
                 rows, caption=t("caption.usage", month=month), footnote=t("note.usage" if micro else "note.usage_no_micro") + " " + t("note.suppressed", n=min_cell),
                 row_classes=classes)
