"""The usage chart's credit axis reads in round steps (1, 2 or 5 times a power of ten from 0 to
the first round value at or above the busiest day), never 0/12/25/38/50."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User

from generations.usage import Period
from generations.usage_chart import BOTTOM, HEIGHT, TOP, axis_ticks, daily_chart


@pytest.mark.parametrize(
    ("busiest_day", "ticks"),
    [
        (50, [0, 10, 20, 30, 40, 50]),
        (37, [0, 10, 20, 30, 40]),
        (61, [0, 20, 40, 60, 80]),
        (120, [0, 20, 40, 60, 80, 100, 120]),
        (1234, [0, 500, 1000, 1500]),
        (7, [0, 2, 4, 6, 8]),
        (3, [0, 1, 2, 3]),  # whole credits: never a step below 1
        (1, [0, 1]),
        (0, [0, 2, 4, 6, 8, 10]),  # nothing spent: an axis all the same
    ],
)
def test_the_axis_steps_are_round(busiest_day, ticks):
    assert axis_ticks(busiest_day) == ticks


def test_the_chart_labels_its_axis_in_round_steps_from_the_baseline_to_the_top():
    alice, bob = User(pk=1, username="alice"), User(pk=2, username="bob")
    report = SimpleNamespace(
        period=Period("range", date(2026, 11, 1), date(2026, 11, 3)),
        rows=[SimpleNamespace(member=alice, credits=45), SimpleNamespace(member=bob, credits=5)],
        daily={date(2026, 11, 2): {alice.pk: 45, bob.pk: 5}},  # the busiest day: 50 credits
    )
    chart = daily_chart(report)
    assert [tick.label for tick in chart.ticks] == ["0", "10", "20", "30", "40", "50"]
    assert chart.ticks[0].y == pytest.approx(HEIGHT - BOTTOM)
    assert chart.ticks[-1].y == pytest.approx(TOP)
    assert sum(bar.height for bar in chart.bars) == pytest.approx(HEIGHT - BOTTOM - TOP)
