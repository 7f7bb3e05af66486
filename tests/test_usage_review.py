"""The staff usage page: every number, the CSV, the links, the chart and the balance, on data
whose totals are known. Credits follow the studio's one rule: what Apiframe billed, else what is
reserved while it may still bill (Alice's running clip)."""

import csv
import io
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation
from generations.usage import Period, PeriodError

DAY = timezone.make_aware(datetime(2026, 11, 10, 12, 0))


@pytest.fixture
def known_month(alice, bob, make_generation):
    """Alice: 3 clips done (5+10+10 credits, 6+10+6 s, 20/30/40 s to clip), 1 failed, 1 running.
    Bob: 1 clip done (5 credits, 6 s, 60 s to clip), 1 failed. One of Bob's clips from October."""

    def done(owner, credits, duration, seconds_to_clip, day):
        created = DAY + timedelta(days=day)
        make_generation(owner, f"{owner} {credits} {day}", "completed", created_at=created,
                        credit_cost=credits, duration=duration,
                        submitted_at=created + timedelta(seconds=1),
                        stored_at=created + timedelta(seconds=1 + seconds_to_clip))  # fmt: skip

    done(alice, 5, 6, 20, 0)
    done(alice, 10, 10, 30, 1)
    done(alice, 10, 6, 40, 1)
    make_generation(alice, "alice fails", "failed", created_at=DAY, credit_cost=0)
    make_generation(alice, "alice runs", "processing", created_at=DAY, estimated_credits=5)
    done(bob, 5, 6, 60, 2)
    make_generation(bob, "bob fails", "failed", created_at=DAY)
    done(bob, 10, 10, 99, -20)  # October: outside the period


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: DAY.date() + timedelta(days=5))


def page(client, **params):
    return client.get(reverse("usage_review"), params)


def rows(response) -> dict[str, list]:
    report = response.context["report"]
    return {row.name: [row.submitted, row.completed, row.failed, row.credits, row.video_seconds,
                       row.median_seconds_to_clip] for row in [*report.rows, report.totals]}  # fmt: skip


def test_every_number_matches_the_data(staff_client, known_month, frozen_today):
    assert rows(page(staff_client)) == {
        "alice": [5, 3, 1, 30, 22, 30.0],
        "bob": [2, 1, 1, 5, 6, 60.0],
        "sam": [0, 0, 0, 0, 0, None],  # staff, active, made nothing: still a row
        "Total": [7, 4, 2, 35, 28, 35.0],
    }


def test_the_numbers_are_on_the_page(staff_client, known_month, frozen_today):
    html = page(staff_client).content.decode()
    for text in ("November 2026", ">30</a>", ">22</a>", "30.0 s", "60.0 s", ">35</a>", "35.0 s"):
        assert text in html


def test_a_chosen_range_includes_both_ends(staff_client, known_month, frozen_today):
    response = page(staff_client, period="range", start="2026-10-20", end="2026-11-10")
    assert rows(response)["bob"][:4] == [2, 1, 1, 10]  # October's clip and the 10 Nov failure
    assert rows(response)["alice"][:2] == [3, 1]  # 10 Nov only


def test_last_30_days(staff_client, known_month, frozen_today):
    assert rows(page(staff_client, period="30d"))["Total"][0] == 8


@pytest.mark.parametrize(
    "params, message",
    [
        ({"period": "range", "start": "2026-11-01"}, "Choose both a first and a last day"),
        (
            {"period": "range", "start": "2026-11-09", "end": "2026-11-01"},
            "comes after its last day",
        ),
        ({"period": "range", "start": "2024-01-01", "end": "2026-11-01"}, "at most 366 days"),
    ],
)
def test_a_bad_range_is_explained(staff_client, known_month, frozen_today, params, message):
    response = page(staff_client, **params)
    assert message in response.content.decode()
    assert "Showing this month instead" in response.content.decode()


def test_the_csv_has_exactly_the_rows_on_screen(staff_client, known_month, frozen_today):
    on_screen = page(staff_client, period="30d")
    link = on_screen.context["csv_query"]
    response = staff_client.get(reverse("usage_csv") + "?" + link)
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][0] == "Member"
    body = {line[0]: line[1:7] for line in table[1:]}
    shown = {int: str, float: lambda v: f"{v:.1f}", type(None): lambda v: ""}
    expected = {name: [shown[type(v)](v) for v in values]
                for name, values in rows(on_screen).items()}  # fmt: skip
    assert body == expected


def test_each_number_links_to_the_matching_generations(
    staff_client, known_month, frozen_today, alice
):
    report = page(staff_client).context["report"]
    alice_row = next(row for row in report.rows if row.member == alice)
    for key, expected in (("submitted", 5), ("completed", 3), ("failed", 1)):
        url = alice_row.links[key]
        listing = staff_client.get(url)
        assert listing.status_code == 200, url
        assert listing.context["cl"].result_count == expected, (key, parse_qs(urlsplit(url).query))


def test_the_chart_stacks_credits_by_member_per_day(staff_client, known_month, frozen_today):
    response = page(staff_client)
    chart = response.context["chart"]
    titles = sorted(bar.title for bar in chart.bars)
    assert titles == [
        "alice, 10 Nov: 10 credits",
        "alice, 11 Nov: 20 credits",
        "bob, 12 Nov: 5 credits",
    ]
    assert "<svg" in response.content.decode() and "<rect" in response.content.decode()


def test_the_balance_note_says_why_it_is_missing_on_the_simulator(staff_client, settings):
    settings.APIFRAME_SIMULATED = True
    assert "there is no Apiframe balance to show" in page(staff_client).content.decode()


def test_the_balance_is_read_from_apiframe_with_its_time(staff_client, settings, simulator):
    from django.core.cache import cache

    from tests.conftest import SIMULATOR_KEY

    cache.clear()
    settings.APIFRAME_SIMULATED = False
    settings.APIFRAME_BASE_URL, settings.APIFRAME_API_KEY = simulator.url, SIMULATOR_KEY
    html = page(staff_client).content.decode()
    assert "Apiframe balance: <strong>10000 credits</strong>, read" in html


def test_an_outage_is_a_note_not_an_error(staff_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.APIFRAME_SIMULATED = False
    settings.APIFRAME_BASE_URL, settings.APIFRAME_TIMEOUT_SECONDS = "http://127.0.0.1:9", 1
    response = page(staff_client)
    assert response.status_code == 200
    assert "The balance could not be read from Apiframe just now" in response.content.decode()


def test_members_cannot_see_it(alice_client, db):
    for name in ("usage_review", "usage_csv"):
        response = alice_client.get(reverse(name))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Client().get(reverse("usage_review")).status_code == 302


def test_deleted_clips_still_count(staff_client, known_month, frozen_today):
    Generation.objects.filter(prompt__text="alice 5 0").get().soft_delete()
    assert rows(page(staff_client))["alice"][3] == 30


def test_period_parsing_defaults_to_this_month():
    period = Period.from_params({}, today=DAY.date())
    assert (period.first_day.day, period.last_day) == (1, DAY.date())
    with pytest.raises(PeriodError):
        Period.from_params({"period": "range", "start": "nonsense", "end": "2026-01-01"})
