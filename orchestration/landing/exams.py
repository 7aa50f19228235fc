"""Exam deliveries (one exam: exam.csv, items.csv, scores.csv) -> ``bronze/exams/*``.

Scores are checked against the items of the same delivery (0..max_score on every row
that carries a score, an exempt row's too; outside is ``invalid_value``, as is a score on
an absent row) and students against the landed roster. A missing file or required column makes
the whole delivery unreadable: one exam is useless in part.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.landing.core import LandContext, LandingSummary, land_source
from orchestration.landing.csv_reader import Col, TableSpec, find_member, land_csv_file
from orchestration.landing.references import load_roster_users, student_reference
from orchestration.landing.rules import Rule, show
from orchestration.settings import DEFAULT_TIMEZONE

SOURCE = "exams"
ABILITIES = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3")


def _exam_refs(t: dict[str, str]) -> list[Rule]:
    """Items and scores go with their exam: quarantined with it when its exam.csv row was
    (``missing_required``: the exam they need is missing, and the detail says why), or
    ``unknown_reference`` for an exam_id exam.csv does not hold at all."""
    why = f"(SELECT min(reason) FROM _exam_rejected r WHERE r.exam_id = {t['exam_id']})"
    return [
        Rule(f"{t['exam_id']} IN (SELECT exam_id FROM _exam_rejected)", "missing_required",
             f"'exam ' || {show(t['exam_id'])} || ' was quarantined in exam.csv (' || {why} || ')'"),
        Rule(f"{t['exam_id']} NOT IN (SELECT exam_id FROM _exam_ok)", "unknown_reference",
             f"'exam_id ' || {show(t['exam_id'])} || ' is not the exam in exam.csv'"),
    ]


def _score_rules(t: dict[str, str]) -> list[Rule]:
    item_max = (f"(SELECT max(max_score) FROM _items_ok i WHERE i.exam_id = {t['exam_id']} "
                f"AND i.item_id = {t['item_id']})")
    return [
        *_exam_refs(t),
        # an item quarantined in items.csv takes its scores with it, saying why (they were
        # said to be "not in items.csv": the exams probe)
        Rule(f"EXISTS (SELECT 1 FROM _items_rejected r WHERE r.exam_id = {t['exam_id']} "
             f"AND r.item_id = {t['item_id']})", "missing_required",
             f"'item ' || {show(t['item_id'])} || ' was quarantined in items.csv (' || "
             f"(SELECT min(reason) FROM _items_rejected r WHERE r.exam_id = {t['exam_id']} "
             f"AND r.item_id = {t['item_id']}) || ')'"),
        Rule(f"NOT EXISTS (SELECT 1 FROM _items_ok i WHERE i.exam_id = {t['exam_id']} "
             f"AND i.item_id = {t['item_id']})", "unknown_reference",
             f"'item_id ' || {show(t['item_id'])} || ' is not in items.csv'"),
        *student_reference(t),
        Rule(f"{t['status']} = 'present' AND {t['score']} IS NULL", "missing_required",
             "'a present row needs a score'"),
        # the contract forbids a score on an absent row only; an exempt row's score lands
        # and counts nowhere (statistics read present rows), and the bronze suite warns
        Rule(f"{t['status']} = 'absent' AND {t['score']} IS NOT NULL", "invalid_value",
             "'an absent row carries a score'"),
        Rule(f"{t['score']} < 0 OR {t['score']} > {item_max}", "invalid_value",
             f"'score ' || {t['score']} || ' outside [0, ' || {item_max} || ']'"),
    ]


EXAM = TableSpec("exam.csv", "exams", (
    Col("exam_id", required=True, header=True), Col("name"),
    Col("kind", "enum", required=True, header=True, enum=("term", "entrance", "mock", "unit")),
    # An exam's session, grade and subject place every figure of it (terms, cohorts,
    # subjects): an exam without one cannot be published anywhere, and once landed it broke
    # the marts' build (their contracts hold them not null). So it is quarantined whole,
    # its items and scores with it (unknown exam), with the reason. Its organising org
    # places its sitting's ranking (top students): without one it landed and left every
    # top-students figure unsaid (the exams probe).
    Col("academic_session", required=True, header=True), Col("grade", required=True, header=True),
    Col("subject", required=True, header=True),
    Col("exam_date", "date", required=True, header=True), Col("org_sourcedId", required=True, header=True),
    Col("sitting_id")),  # optional: the exams of one grade taken together (one 统考)
    key=("exam_id",), ok_table="_exam_ok")
ITEMS = TableSpec("items.csv", "exam_items", (
    Col("exam_id", required=True, header=True), Col("item_id", required=True, header=True),
    Col("max_score", "double", required=True, header=True, lo=0),
    Col("knowledge_point_ids", "list"),
    Col("ability", "enum", enum=ABILITIES, upper=True)),
    key=("exam_id", "item_id"), rules=_exam_refs, ok_table="_items_ok")
SCORES = TableSpec("scores.csv", "exam_scores", (
    Col("exam_id", required=True, header=True),
    Col("student_sourcedId", required=True, header=True),
    Col("item_id", required=True, header=True), Col("score", "double", header=True),
    Col("status", "enum", required=True, header=True, enum=("present", "absent", "exempt"))),
    key=("exam_id", "student_sourcedId", "item_id"), rules=_score_rules)


def _handle(ctx: LandContext) -> None:
    land_csv_file(ctx, EXAM, find_member(ctx.members, EXAM.file), whole_delivery=True)
    # rejected and not landed: a duplicate row of a landed exam or item takes nothing with it
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE _exam_rejected AS SELECT exam_id, reason FROM _csv_judged "
                    "WHERE reason IS NOT NULL AND exam_id IS NOT NULL AND exam_id NOT IN (SELECT exam_id FROM _exam_ok)")
    land_csv_file(ctx, ITEMS, find_member(ctx.members, ITEMS.file), whole_delivery=True)
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE _items_rejected AS SELECT exam_id, item_id, reason FROM _csv_judged j "
                    "WHERE reason IS NOT NULL AND exam_id IS NOT NULL AND item_id IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM _items_ok i WHERE i.exam_id = j.exam_id AND i.item_id = j.item_id)")
    land_csv_file(ctx, SCORES, find_member(ctx.members, SCORES.file), whole_delivery=True)


def land_exams(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, SOURCE, timezone, _handle, **landing,
                       prepare=load_roster_users)
