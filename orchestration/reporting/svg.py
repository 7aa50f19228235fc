"""Tiny SVG chart renderer: bars, lines, radar and heat maps as inline SVG strings.

Reports must open offline straight from disk, so charts are drawn at build time into
the HTML. Every chart has a viewBox and scales to its container (never wider than the
page), a <title> for screen readers, and its unit in the axis label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#718096", "#b7791f", "#319795")
MUTED = "#cbd5e0"  # too little evidence: no level's colour
FONT = 'font-family="sans-serif"'


def _signless_zero(text: str) -> str:
    """'-0' (a rounding of -1e-16) reads as a negative: a zero is '0'."""
    return "0" if text in ("-0", "") else text


def _signed(v: float) -> str:
    """A z-score as the tables show it: two decimals with a sign, zero without a minus."""
    v = round(v, 2) + 0.0
    return f"{v:+.2f}"


def _num(v: float) -> str:
    return _signless_zero(f"{v:.1f}".rstrip("0").rstrip(".")) if not float(v).is_integer() else str(int(v))


def _fmt_tick(v: float) -> str:
    if abs(v) >= 100 or float(v).is_integer():
        return _signless_zero(f"{v:,.0f}")
    return _signless_zero(f"{v:.2f}".rstrip("0").rstrip("."))


def _clean(values):
    """None for missing values (None or NaN), floats otherwise."""
    out = []
    for v in values:
        try:
            f = None if v is None else float(v)
        except (TypeError, ValueError):
            f = None
        out.append(None if f is None or math.isnan(f) else f)
    return out


def _text_width(text: str, size: int) -> float:
    """Rendered width estimate: a CJK character is about one em, other characters about 0.6."""
    return sum(size if ord(ch) > 0x2E80 else 0.6 * size for ch in text)


def _axis_labels(labels: Sequence[tuple[float, str]], y: float, spacing: float, size: int,
                 above: bool = False) -> tuple[list[str], float, float]:
    """Axis labels at (x, text) on the line ``y``: horizontal when each fits its spacing,
    else turned 40° so neighbours never overlap: hanging down-left from their point under a
    chart, rising up-right from it above a grid (``above``). Returns the SVG text elements,
    the height they take (below ``y``, or above it) and the width they reach past the last
    point on the right."""
    widest = max((_text_width(t, size) for _, t in labels), default=0.0)
    if widest <= spacing - 4:
        return ([f'<text x="{x:.1f}" y="{y}" text-anchor="middle" font-size="{size}" {FONT}>{escape(t)}</text>'
                 for x, t in labels], size + 4, 0.0)
    anchor = "start" if above else "end"
    out = [f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" font-size="{size}" transform="rotate(-40 {x:.1f} {y})" '
           f'{FONT}>{escape(t)}</text>' for x, t in labels]
    return out, widest * 0.65 + size + 4, (widest * 0.77 if above else 0.0)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" preserveAspectRatio="xMidYMid meet" style="max-width:{width * 1.25:.0f}px">',
        f"<title>{escape(title)}</title>",
    ]


def _empty(title: str, message: str) -> str:
    parts = _open(400, 60, title)
    parts.append(f'<text x="200" y="35" text-anchor="middle" font-size="13" fill="#718096" {FONT}>{escape(message)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    unit: str = "",
    max_value: float | None = None,
    highlight: Sequence[bool] | None = None,
    empty_message: str = "—",
    reference: float | None = None,
    reference_label: str = "",
    muted: Sequence[bool] | None = None,
) -> str:
    """Horizontal bars, one per label; None values (suppressed) are drawn as a dash.
    ``highlight`` bars are orange (weak), ``muted`` ones grey (too little evidence:
    shown, but never in the colour of a level it has not earned)."""
    if not labels:
        return _empty(title, empty_message)
    values = _clean(values)
    shown = [v for v in values if v is not None]
    top = max_value if max_value is not None else _nice_max(max(shown + [reference or 0]) if shown else 1)
    label_w, bar_w, row_h = 150, 300, 22
    width, height = label_w + bar_w + 70, 30 + row_h * len(labels) + 10
    parts = _open(width, height, title)
    parts.append(f'<text x="{label_w}" y="16" font-size="11" fill="#4a5568" {FONT}>{escape(unit)}</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 26 + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12" {FONT}>{escape(str(label)[:22])}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 14}" font-size="12" fill="#718096" {FONT}>—</text>')
            continue
        w = max(0.0, min(1.0, value / top if top else 0)) * bar_w
        color = MUTED if muted and muted[i] else PALETTE[1] if highlight and highlight[i] else PALETTE[0]
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11" {FONT}>{escape(_fmt_tick(value))}</text>')
    if reference is not None and top:
        x = label_w + min(1.0, reference / top) * bar_w
        parts.append(f'<line x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="{height - 8}" stroke="#e53e3e" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 1}" font-size="10" fill="#e53e3e" text-anchor="middle" {FONT}>{escape(reference_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(bins: Sequence[str], counts: Sequence[int | None], title: str, unit: str = "", empty_message: str = "—") -> str:
    """Vertical columns for a score distribution; None (suppressed) bins show a dash."""
    if not bins:
        return _empty(title, empty_message)
    counts = _clean(counts)
    shown = [c for c in counts if c is not None]
    top = _nice_max(max(shown) if shown else 1)
    left, plot_w, plot_h = 40, 420, 150
    width, height = left + plot_w + 10, plot_h + 50
    col_w = plot_w / len(bins)
    parts = _open(width, height, title)
    parts.append(f'<text x="4" y="12" font-size="11" fill="#4a5568" {FONT}>{escape(unit)}</text>')
    for frac in (0, 0.5, 1):
        y = 20 + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" {FONT}>{_fmt_tick(top * frac)}</text>')
    for i, (b, c) in enumerate(zip(bins, counts, strict=True)):
        x = left + i * col_w
        if c is None:
            parts.append(f'<text x="{x + col_w / 2:.1f}" y="{20 + plot_h - 4}" text-anchor="middle" font-size="11" {FONT}>—</text>')
        else:
            h = plot_h * (c / top if top else 0)
            parts.append(
                f'<rect x="{x + 2:.1f}" y="{20 + plot_h - h:.1f}" width="{col_w - 4:.1f}" height="{h:.1f}" fill="{PALETTE[0]}"/>'
            )
        parts.append(
            f'<text x="{x + col_w / 2:.1f}" y="{20 + plot_h + 14}" text-anchor="middle" font-size="10" {FONT}>{escape(str(b))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    unit: str = "",
    y_min: float | None = None,
    y_max: float | None = None,
    empty_message: str = "—",
) -> str:
    """One line per series over shared x labels (e.g. exams or months); gaps at None."""
    series = [(name, _clean(vs)) for name, vs in series]
    values = [v for _, vs in series for v in vs if v is not None]
    if not x_labels or not values:
        return _empty(title, empty_message)
    lo = min(values) if y_min is None else y_min
    hi = max(values) if y_max is None else y_max
    if hi - lo < 1e-9:  # one value (or sums differing in the last bits): a flat line mid-chart
        hi, lo = hi + 1, lo - 1
    tick = _nice_max((hi - lo) / 4)  # round ticks: 0.5, 1, 2, 2.5, 5, 10, …
    lo = math.floor(lo / tick) * tick if y_min is None else lo
    hi = math.ceil(hi / tick) * tick if y_max is None else hi
    left, plot_w, plot_h, top_pad = 46, 440, 160, 24
    legend_h = 18 * math.ceil(len(series) / 3)
    n = len(x_labels)
    step = plot_w / max(1, n - 1) if n > 1 else 0
    label_every = max(1, math.ceil(n / 8))
    shown = [(i, str(lab)[:14]) for i, lab in enumerate(x_labels) if i % label_every == 0]
    # x labels: horizontal when each fits between its neighbours, else turned (never overlapping)
    ticks_x, labels_h, _ = _axis_labels([(left + (i * step if n > 1 else plot_w / 2), lab) for i, lab in shown],
                                     top_pad + plot_h + 14, step * label_every if n > 1 else plot_w, 10)
    # room on the right for the last label, centred on the plot's edge (never cut off)
    last_half = _text_width(shown[-1][1], 10) / 2 if shown and n > 1 and labels_h <= 14 else 0.0
    width, height = int(left + plot_w + max(20.0, last_half + 4)), int(top_pad + plot_h + 26 + labels_h + legend_h)

    def px(i: int) -> float:
        return left + (i * step if n > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top_pad + plot_h * (1 - (v - lo) / (hi - lo))

    parts = _open(width, height, title)
    parts.append(f'<text x="4" y="14" font-size="11" fill="#4a5568" {FONT}>{escape(unit)}</text>')
    ticks = max(1, int(round((hi - lo) / tick))) if y_min is None and y_max is None else 4
    for k in range(ticks + 1):
        v = lo + (hi - lo) * k / ticks
        y = py(v)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" {FONT}>{_fmt_tick(v)}</text>')
    parts += ticks_x
    for k, (name, vs) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        segment: list[str] = []
        for i, v in enumerate(vs):
            if v is None:
                if len(segment) > 1:
                    parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(segment)}"/>')
                segment = []
                continue
            segment.append(f"{px(i):.1f},{py(v):.1f}")
            parts.append(f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="3" fill="{color}"><title>{escape(name)}: {_fmt_tick(v)}</title></circle>')
        if len(segment) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(segment)}"/>')
        lx = left + (k % 3) * 150
        ly = top_pad + plot_h + 16 + labels_h + 18 * (k // 3)
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{lx + 14}" y="{ly}" font-size="11" {FONT}>{escape(str(name)[:20])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def radar_chart(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    max_value: float = 1.0,
    empty_message: str = "—",
) -> str:
    """A radar (spider) chart over fixed axes (e.g. the nine abilities A1..C3).

    A missing value (no items of that ability) is not a score of 0: the series' outline
    joins the axes it has, each value is marked by a dot, and an axis no series has is
    labelled grey with a dash. Labels are anchored away from the centre (left of it they
    end at their point, right of it they start there), so long English labels neither run
    into the chart nor into each other (the reports probe: "B3 integrate & applyB2 infer
    & predict")."""
    series = [(name, _clean(vs)) for name, vs in series]
    if not axes or not any(v is not None for _, vs in series for v in vs):
        return _empty(title, empty_message)
    width, size, cx, cy, r = 600, 340, 300, 165, 115
    parts = _open(width, size + 20 * len(series), title)
    n = len(axes)

    def point(i: int, frac: float) -> tuple[float, float]:
        a = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * frac * math.cos(a), cy + r * frac * math.sin(a)

    for frac in (0.25, 0.5, 0.75, 1.0):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, frac) for i in range(n)))
        parts.append(f'<polygon points="{ring}" fill="none" stroke="#cbd5e0"/>')
    for i, axis in enumerate(axes):
        x, y = point(i, 1.0)
        lx, ly = point(i, 1.1)
        dx = lx - cx
        anchor = "start" if dx > 1 else "end" if dx < -1 else "middle"
        ly += 4 if abs(dx) > 1 else (-2 if ly < cy else 10)
        missing = all(vs[i] is None for _, vs in series if i < len(vs))
        label = f"{axis} —" if missing else axis
        fill = ' fill="#718096"' if missing else ""
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#cbd5e0"/>')
        parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="11"{fill} {FONT}>'
                     f"{escape(label)}</text>")
    for k, (name, vs) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        pts = [point(i, max(0.0, min(1.0, v / max_value))) for i, v in enumerate(vs) if v is not None]
        poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(f'<polygon points="{poly}" fill="{color}" fill-opacity="0.25" stroke="{color}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in pts)
        ly = size + 20 * k
        parts.append(f'<rect x="20" y="{ly - 10}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="36" y="{ly}" font-size="11" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _heat_color(frac: float) -> str:
    """White→blue for 0..1 (sequential); good in print and for colour-blind readers."""
    frac = max(0.0, min(1.0, frac))
    r = int(247 - (247 - 43) * frac)
    g = int(251 - (251 - 108) * frac)
    b = int(255 - (255 - 176) * frac)
    return f"rgb({r},{g},{b})"


def heat_map(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    cells: Sequence[Sequence[float | None]],
    title: str,
    unit: str = "",
    lo: float | None = None,
    hi: float | None = None,
    empty_message: str = "—",
    signed: bool = False,
) -> str:
    """A grid of coloured cells with their value; None cells (suppressed/missing) are grey
    dashes. ``signed``: values are z-scores, written as the tables write them (+0.12)."""
    cells = [_clean(row) for row in cells]
    values = [v for row in cells for v in row if v is not None]
    if not row_labels or not col_labels:
        return _empty(title, empty_message)
    lo = min(values) if (lo is None and values) else (lo or 0.0)
    hi = max(values) if (hi is None and values) else (hi if hi is not None else 1.0)
    span = (hi - lo) or 1.0
    label_w, cell_w, cell_h = 150, max(40, min(80, 480 // max(1, len(col_labels)))), 22
    # column labels above the grid, turned when wider than a cell (they would overlap)
    heads, head_h, reach = _axis_labels(
        [(label_w + j * cell_w + cell_w / 2, str(col)[:22]) for j, col in enumerate(col_labels)], 0, cell_w, 11, above=True)
    grid_top = 20 + head_h
    width = int(label_w + cell_w * len(col_labels) + max(10.0, reach - cell_w / 2 + 10))
    height = int(grid_top + cell_h * len(row_labels) + 10)
    parts = _open(width, height, title)
    parts.append(f'<text x="4" y="12" font-size="11" fill="#4a5568" {FONT}>{escape(unit)}</text>')
    parts.append(f'<g transform="translate(0 {grid_top - 6:.1f})">' + "".join(heads) + "</g>")
    for i, row_label in enumerate(row_labels):
        y = grid_top + i * cell_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="11" {FONT}>{escape(str(row_label)[:22])}</text>'
        )
        for j, v in enumerate(cells[i]):
            x = label_w + j * cell_w
            if v is None:
                parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" fill="#edf2f7"/>')
                parts.append(f'<text x="{x + cell_w / 2:.1f}" y="{y + 15}" text-anchor="middle" font-size="11" fill="#718096" {FONT}>—</text>')
                continue
            frac = (v - lo) / span
            fill = _heat_color(frac)
            ink = "#ffffff" if frac > 0.6 else "#1a202c"
            parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" fill="{fill}"/>')
            parts.append(
                f'<text x="{x + cell_w / 2:.1f}" y="{y + 15}" text-anchor="middle" font-size="11" fill="{ink}" {FONT}>'
                f'{_signed(v) if signed else _fmt_tick(v)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
