"""Page building blocks shared by every role: sections, sortable tables, formatted
cells. Numbers are formatted here once, each with its unit, so templates stay dumb."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape

DASH = "—"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (hasattr(v, "__class__") and str(v) in ("<NA>", "NaT"))


# the English catalogue's count units and their singulars (reports/i18n/en.yaml unit.*)
_SINGULAR = {"people": "person", "items": "item", "days": "day", "times": "time", "micro-tests": "micro-test",
             "exams": "exam", "schools": "school", "points": "point", "pages": "page", "classes": "class"}


@dataclass
class Cell:
    text: str
    sort: float | str | None = None
    cls: str = ""


def cell(value, kind: str = "text", unit: str = "", suppressed: bool = False) -> Cell:
    """One table cell: kinds text, int, num, pct (fraction → %), pp (a change of a
    fraction, in signed percentage points: the unit says so), z (signed), num1."""
    if suppressed:
        return Cell(DASH + "*", None, "suppressed")
    if _missing(value):
        return Cell(DASH, None, "na")
    if kind == "text":
        return Cell(str(value), str(value), "txt")
    v = float(value)
    if kind == "int":
        text = f"{v:,.0f}"
    elif kind == "pct":
        text = f"{v * 100:.1f}%"
    elif kind == "pp":
        text = f"{v * 100:+.1f}"
    elif kind == "z":
        v = round(v, 2) + 0.0  # as shown: -1e-16 is 0.00, never a red "-0.00"
        text = f"{v:+.2f}"
    elif kind == "num1":
        text = f"{v:,.1f}"
    else:
        text = f"{v:,.2f}"
    if unit:
        # one of an English count unit is said in the singular ("1 item", not "1 items");
        # the catalogues give the plural, and Chinese units have no number
        text = f"{text} {_SINGULAR.get(unit, unit) if kind == 'int' and v == 1 else unit}"
    cls = "neg" if kind == "z" and v < 0 else ""
    return Cell(text, v, cls)


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    footnote: str = ""
    row_classes: list[str] = field(default_factory=list)
    sortable: bool = True

    def body_html(self) -> Markup:
        """The <tbody> rows, built here rather than cell by cell in Jinja: tables are
        most of a page and this is the render hot path."""
        out = []
        for i, row in enumerate(self.rows):
            cls = self.row_classes[i] if self.row_classes and i < len(self.row_classes) else ""
            out.append(f'<tr class="{cls}">' if cls else "<tr>")
            for c in row:
                attrs = f' class="{c.cls}"' if c.cls else ""
                if c.sort is not None:
                    attrs += f' data-sort="{escape(c.sort)}"'
                out.append(f"<td{attrs}>{escape(c.text)}</td>")
            out.append("</tr>\n")
        return Markup("".join(out))


@dataclass
class Section:
    title: str
    period: str = ""
    paragraphs: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    note: str = ""
    anchor: str = ""
