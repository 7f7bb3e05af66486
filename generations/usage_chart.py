"""The usage page's daily chart: credits per day, stacked by member, as plain SVG geometry."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .usage import UsageReport

WIDTH, HEIGHT = 760, 240
LEFT, BOTTOM, TOP = 44, 28, 10
PALETTE = ["#5b5bf0", "#e0862a", "#1d9a6c", "#d0455b", "#8a5cd6", "#2f8fd0", "#b0a020", "#6b6b7b"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    day_labels: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    baseline: float
    left: int

    @property
    def is_empty(self) -> bool:
        return not self.bars


# At most this many steps up the axis: labels 30 px or more apart on the chart's 200 px.
MOST_STEPS = 6


def round_step(at_least: float) -> int:
    """The smallest step of 1, 2 or 5 times a power of ten (1 at least) that is `at_least`."""
    if at_least <= 1:
        return 1
    power = 10 ** math.floor(math.log10(at_least))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= at_least)


def axis_ticks(highest: int) -> list[int]:
    """Round credit values from 0 up to the first round one at or above `highest` (10 for an
    empty chart), a step of 1, 2 or 5 times a power of ten apart: 50 reads 0, 10, 20, 30, 40, 50."""
    highest = highest or 10
    step = round_step(highest / MOST_STEPS)
    steps = math.ceil(highest / step)
    return [step * n for n in range(steps + 1)]


def daily_chart(report: UsageReport) -> Chart:
    days = report.period.days
    members = [row.member for row in report.rows if row.credits]
    colors = {member.pk: PALETTE[i % len(PALETTE)] for i, member in enumerate(members)}
    axis = axis_ticks(max((sum(day.values()) for day in report.daily.values()), default=0))
    top = axis[-1]
    plot_width, plot_height = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_width / len(days)
    scale = plot_height / top
    bars = []
    for index, day in enumerate(days):
        stacked = 0
        for member in members:
            credits = report.daily.get(day, {}).get(member.pk, 0)
            if not credits:
                continue
            height = credits * scale
            y = TOP + plot_height - (stacked + credits) * scale
            bars.append(Bar(LEFT + index * slot + slot * 0.15, y, slot * 0.7, height,
                            colors[member.pk], f"{member.get_username()}, {day:%-d %b}: {credits} credits"))  # fmt: skip
            stacked += credits
    ticks = [Tick(TOP + plot_height - credits * scale, f"{credits}") for credits in axis]
    every = max(1, math.ceil(len(days) / 10))
    day_labels = [
        (LEFT + i * slot + slot / 2, f"{d:%-d %b}") for i, d in enumerate(days) if i % every == 0
    ]
    legend = [(member.get_username(), colors[member.pk]) for member in members]
    return Chart(WIDTH, HEIGHT, bars, ticks, day_labels, legend, TOP + plot_height, LEFT)
