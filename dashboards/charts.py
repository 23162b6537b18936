"""Charts drawn as SVG on the server: no JavaScript, no library, nothing to pin or fetch.

Each function returns the geometry a template draws; the same data is always rendered as a table
beside the chart (the accessible reading of it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


@dataclass
class LineChart:
    points: str
    rungs: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)
    x_labels: list[dict[str, Any]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    empty: bool = False


def line_chart(series: list[tuple[str, int]], *, thresholds: list[int]) -> LineChart:
    """A cumulative curve (label, value) with a horizontal line per rung threshold."""
    top = _nice_max(max([v for _l, v in series] + thresholds + [1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    n = max(len(series) - 1, 1)
    coords = [(round(LEFT + plot_w * i / n, 1), y(v)) for i, (_l, v) in enumerate(series)]
    if len(coords) == 1:
        coords = [(LEFT, coords[0][1]), (LEFT + plot_w, coords[0][1])]
    every = max(len(series) // 6, 1)
    return LineChart(
        points=" ".join(f"{a},{b}" for a, b in coords),
        rungs=[{"y": y(t), "label": t, "x1": LEFT, "x2": LEFT + plot_w} for t in thresholds],
        ticks=[{"y": y(top * k / 4), "label": int(top * k / 4)} for k in range(5)],
        x_labels=[
            {"x": coords[i][0], "label": label}
            for i, (label, _v) in enumerate(series)
            if i % every == 0
        ]
        if len(series) > 1
        else [],
        empty=not series,
    )


@dataclass
class BarChart:
    bars: list[dict[str, Any]]
    width: int = WIDTH
    height: int = 0
    max_label: str = ""


def bar_chart(items: list[tuple[str, int | None]], *, unit: str = "") -> BarChart:
    """Horizontal bars; a value of None (a suppressed cell) is drawn as an outline, labelled."""
    bar_h, gap, label_w = 22, 8, 150
    top = _nice_max(max([v or 0 for _l, v in items] + [1]))
    plot_w = WIDTH - label_w - 70
    bars = []
    for i, (label, value) in enumerate(items):
        y = TOP + i * (bar_h + gap)
        bars.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "text_y": y + bar_h - 6,
                "x": label_w,
                "width": round(plot_w * (value or 0) / top, 1) if value is not None else plot_w,
                "height": bar_h,
                "value_x": label_w + (round(plot_w * (value or 0) / top, 1) if value else 0) + 6,
                "suppressed": value is None,
                "unit": unit,
            }
        )
    return BarChart(bars=bars, height=TOP * 2 + len(items) * (bar_h + gap))
