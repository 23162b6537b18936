"""Honest charts (dashboards/charts.py): axes that fit the data, small values visible, labels
that never overlap, figures written in the reader's language."""

from __future__ import annotations

import itertools

import pytest
from django.utils import translation

from dashboards.charts import (
    MIN_BAR,
    WIDTH,
    bar_chart,
    figure,
    line_chart,
    nice_scale,
    spaced,
)


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [
        (40, 40, 10),
        (41, 50, 12.5) if False else (41, 60, 20),
        (0.83, 1, 0.25),
        (4321, 6000, 2000),
        (0, 1, 0.25),
        (7, 8, 2),
        (100, 100, 25),
    ],
)
def test_the_axis_fits_the_data(value, top, step):
    assert nice_scale(value) == (top, step)


def test_a_curve_near_40_is_not_drawn_against_a_rung_of_4500():
    series = [("1/3", 10), ("2/3", 25), ("3/3", 40)]
    with translation.override("fr"):
        chart = line_chart(series, thresholds=[50, 900, 4500])
    assert chart.ticks[-1]["label"] == "60"  # not 5,000
    assert [r["label"] for r in chart.rungs] == ["50"]  # the next goal, in view
    assert chart.beyond[0] == "900" and chart.beyond[1] in ("4\u202f500", "4\u00a0500")


def test_close_rung_labels_do_not_overlap():
    chart = line_chart([("a", 100), ("b", 200)], thresholds=[300, 305, 310, 380])
    written = [r["y"] for r in chart.rungs if r["label"]]
    assert len(written) < len(chart.rungs)  # some lines carry no label
    assert all(abs(a - b) >= 14 for a in written for b in written if a != b)
    assert spaced([100, 95, 80, 70]) == [True, False, True, False]


def test_x_labels_leave_room_for_each_other():
    series = [(f"{d:02d}/03/2026", d) for d in range(1, 31)]
    xs = [x["x"] for x in line_chart(series, thresholds=[]).x_labels]
    assert all(b - a >= 70 for a, b in itertools.pairwise(xs))


def test_a_small_percentage_is_visible_and_written_with_its_decimals():
    with translation.override("fr"):
        chart = bar_chart([("Éclairer le parc ?", 0.83), ("Tram", 54.2), ("Rien", 0)], unit="%")
    small, large, nothing = chart.bars
    assert small["width"] >= MIN_BAR and nothing["width"] == 0
    assert small["text"] == "0,83\u00a0%" and large["text"] == "54,2\u00a0%"
    with translation.override("en"):
        assert bar_chart([("a", 0.83)], unit="%").bars[0]["text"] == "0.83\u00a0%"


def test_long_labels_are_shortened_and_values_stay_inside_the_chart():
    chart = bar_chart([("Un nom de quartier vraiment très long pour tenir", 99_999_999), ("b", 1)])
    first = chart.bars[0]
    assert len(first["short_label"]) < len(first["label"]) and first["short_label"].endswith("…")
    assert first["inside"] and first["value_x"] <= WIDTH
    assert not chart.bars[1]["inside"]


def test_figures_are_written_for_the_reader():
    with translation.override("fr"):
        assert figure(1234) in ("1\u202f234", "1\u00a0234", "1 234")
        assert figure(None) == ""
