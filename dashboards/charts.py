"""Charts drawn as SVG on the server: no JavaScript, no library, nothing to pin or fetch.

Each function returns the geometry a template draws; the same data is always rendered as a table
beside the chart (the accessible reading of it). Honest charts (docs DESIGN.md): the axis fits the
data (a threshold far above the curve is named, not drawn at the scale of 4,500 for values near
40), a small value stays visible (0.83 % is a sliver, never nothing), labels never overlap, and
every figure is written in the reader's language."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
# A rung line is drawn when it is at most this far above the data: the next goal in view, while
# far rungs are listed beside the chart instead of flattening the curve.
NEXT_RUNG_SPAN = 4.0
LABEL_GAP = 14  # px between two horizontal labels (12 px text)
MIN_BAR = 2.0  # px: the width of the smallest non-zero bar
CHAR_WIDTH = 7  # px, a generous average for 12 px text
BAR_LABEL_WIDTH = 150


def nice_scale(value: float, *, intervals: int = 4) -> tuple[float, float]:
    """The axis top and tick step covering `value` in at most `intervals` steps of 1, 2, 2.5 or 5
    times a power of ten: 40 -> 0 to 40 by 10; 0.83 -> 0 to 1 by 0.25; 4,321 -> 0 to 6,000 by 2,000."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / intervals
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * power
        if step * intervals >= value:
            return step * math.ceil(value / step), step
    return 10 * power * intervals, 10 * power  # pragma: no cover - the loop always returns


def figure(value: float | int | None, *, unit: str = "") -> str:
    """A number as the reader writes it (1 234 ; 0,83), at most two decimals, no trailing zeros."""
    if value is None:
        return ""
    if float(value).is_integer():
        text = number_format(int(value), 0, force_grouping=True)
    else:
        text = number_format(round(float(value), 2), 2, force_grouping=True).rstrip("0")
        text = text.rstrip(",.")
    return f"{text}\u00a0{unit}" if unit == "%" else f"{text}{unit}"


def spaced(ys: list[float], *, gap: float = LABEL_GAP) -> list[bool]:
    """Which labels at heights `ys` to write so that no two overlap: walking from the lowest on the
    page up, a label is kept only if it is at least `gap` away from the last one kept."""
    keep = [False] * len(ys)
    last: float | None = None
    for i in sorted(range(len(ys)), key=lambda i: -ys[i]):
        if last is None or last - ys[i] >= gap:
            keep[i] = True
            last = ys[i]
    return keep


def short(label: str, *, width: int) -> str:
    most = max(4, width // CHAR_WIDTH)
    return label if len(label) <= most else label[: most - 1] + "…"


@dataclass
class LineChart:
    points: str
    rungs: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)
    x_labels: list[dict[str, Any]] = field(default_factory=list)
    # Rungs above the axis: named beside the chart, not drawn.
    beyond: list[str] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    empty: bool = False


def line_chart(series: list[tuple[str, int]], *, thresholds: list[int]) -> LineChart:
    """A cumulative curve (label, value) with a horizontal line per rung threshold in view."""
    highest = max([v for _l, v in series] + [0])
    shown = [t for t in thresholds if t <= max(highest, 1) * NEXT_RUNG_SPAN]
    top, step = nice_scale(max([highest, *shown, 1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    n = max(len(series) - 1, 1)
    coords = [(round(LEFT + plot_w * i / n, 1), y(v)) for i, (_l, v) in enumerate(series)]
    if len(coords) == 1:
        coords = [(LEFT, coords[0][1]), (LEFT + plot_w, coords[0][1])]
    rung_ys = [y(t) for t in shown]
    labelled = spaced(rung_ys)
    # At most one x label per 80 px (a short date is about 60 px wide).
    every = max(math.ceil(len(series) / (plot_w // 80)), 1)
    return LineChart(
        points=" ".join(f"{a},{b}" for a, b in coords),
        rungs=[
            {"y": ry, "label": figure(t) if keep else "", "x1": LEFT, "x2": LEFT + plot_w}
            for t, ry, keep in zip(shown, rung_ys, labelled, strict=True)
        ],
        ticks=[{"y": y(step * k), "label": figure(step * k)} for k in range(round(top / step) + 1)],
        x_labels=[
            {"x": coords[i][0], "label": label}
            for i, (label, _v) in enumerate(series)
            if i % every == 0
        ]
        if len(series) > 1
        else [],
        beyond=[figure(t) for t in thresholds if t not in shown],
        empty=not series,
    )


@dataclass
class BarChart:
    bars: list[dict[str, Any]]
    width: int = WIDTH
    height: int = 0
    max_label: str = ""


def _bar_width(value: float | None, *, top: float, plot_w: float) -> float:
    if value is None:
        return plot_w
    if value <= 0:
        return 0.0
    return max(MIN_BAR, round(plot_w * value / top, 1))


def bar_chart(items: list[tuple[str, float | int | None]], *, unit: str = "") -> BarChart:
    """Horizontal bars; a value of None (a suppressed cell) is drawn as an outline, labelled.
    A percentage is drawn against 100 %; a count against an axis that fits the largest."""
    bar_h, gap, label_w = 22, 8, BAR_LABEL_WIDTH
    largest = max([v or 0 for _l, v in items] + [0])
    top = 100.0 if unit == "%" else nice_scale(largest)[0]
    plot_w = WIDTH - label_w - 70
    bars = []
    for i, (label, value) in enumerate(items):
        y = TOP + i * (bar_h + gap)
        width = _bar_width(value, top=top, plot_w=plot_w)
        text = figure(value, unit=unit)
        # A value that would run off the right edge is written inside its bar.
        inside = label_w + width + 6 + len(text) * CHAR_WIDTH > WIDTH
        bars.append(
            {
                "label": label,
                "short_label": short(label, width=label_w - 8),
                "value": value,
                "text": text,
                "y": y,
                "text_y": y + bar_h - 6,
                "x": label_w,
                "width": width,
                "height": bar_h,
                "value_x": label_w + width - 6 if inside else label_w + width + 6,
                "inside": inside,
                "suppressed": value is None,
                "unit": unit,
            }
        )
    return BarChart(bars=bars, height=TOP * 2 + len(items) * (bar_h + gap))
