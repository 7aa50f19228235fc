"""The knowledge-point catalogue: units (chapters) and their knowledge points per subject x grade.

Exam items and micro-test items point at leaf knowledge points; resources carry them in
their xAPI context. One delivery `inbox/catalog/<date>-knowledge-points/knowledge_points.csv`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from eduhouse_dev.simulate.csvio import write_csv
from eduhouse_dev.simulate.world import GRADE_CN, SEGMENT_GRADES, SEGMENT_SUBJECTS, SUBJECT_CN

UNITS = 4
POINTS_PER_UNIT = 5


@dataclass
class Catalog:
    """Leaf knowledge points as arrays, grouped by (subject, grade)."""

    leaves: dict[tuple[str, int], np.ndarray]  # (subject, grade) -> leaf kp ids
    rows: dict[str, list]

    def leaf_ids(self, subject: str, grade: int) -> np.ndarray:
        return self.leaves[(subject, grade)]


def build_catalog() -> Catalog:
    """Every subject x grade taught anywhere: 4 units of 5 points each."""
    pairs = sorted({(s, g) for seg, grades in SEGMENT_GRADES.items() for g in grades
                    for s in SEGMENT_SUBJECTS[seg]}, key=lambda p: (p[1], p[0]))
    rows: dict[str, list] = {k: [] for k in ("kp_id", "subject", "grade", "name", "parent_kp_id")}
    leaves = {}
    for subj, g in pairs:
        ids = []
        for u in range(1, UNITS + 1):
            unit = f"kp-{subj}-{g:02d}-{u:02d}"
            for k, v in (("kp_id", unit), ("subject", subj), ("grade", f"{g:02d}"),
                         ("name", f"{SUBJECT_CN[subj]}{GRADE_CN[g]}第{u}单元"), ("parent_kp_id", None)):
                rows[k].append(v)
            for p in range(1, POINTS_PER_UNIT + 1):
                leaf = f"{unit}-{p:02d}"
                ids.append(leaf)
                for k, v in (("kp_id", leaf), ("subject", subj), ("grade", f"{g:02d}"),
                             ("name", f"{SUBJECT_CN[subj]}{GRADE_CN[g]}第{u}单元知识点{p}"),
                             ("parent_kp_id", unit)):
                    rows[k].append(v)
        leaves[(subj, g)] = np.array(ids, dtype=object)
    return Catalog(leaves=leaves, rows=rows)


def catalog_delivery_name(day: date) -> str:
    return f"{day.isoformat()}-knowledge-points"


def write_catalog(catalog: Catalog, inbox: Path, day: date) -> dict:
    folder = inbox / "catalog" / catalog_delivery_name(day)
    n = write_csv(folder / "knowledge_points.csv", catalog.rows)
    return {"delivery": folder.name, "rows": n}
