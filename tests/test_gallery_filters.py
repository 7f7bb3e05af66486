"""The gallery's filters beyond whose, status and size: a member, the viewer's stars, a board and
the days a clip was made on, each combined with a search and with one another. A value a filter
can't read narrows nothing (the others still apply), and the page costs the same queries with
every filter on."""

from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from generations.forms import GalleryFilterForm
from generations.models import Board, BoardItem, Generation, Star

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = date(2026, 3, 10)


def card_ids(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('id="gen-')[1:]]


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def gallery(alice, bob, staff, make_generation) -> dict[str, Generation]:
    """Six clips over three days by three members; alice starred two, a board holds three."""
    clips = {
        "alice neon": make_generation(alice, "Neon city in the rain", "completed", created_at=at(DAY - timedelta(days=1))),
        "alice dunes": make_generation(alice, "Sunrise over dunes", "completed", created_at=at(DAY, 0)),
        "bob neon": make_generation(bob, "A neon sign flickering", "completed", created_at=at(DAY, 23)),
        "bob glacier": make_generation(bob, "Glacier calving", "failed", created_at=at(DAY + timedelta(days=1))),
        "sam neon": make_generation(staff, "Neon koi in a dark pond", "completed", created_at=at(DAY + timedelta(days=1), 13)),
        "sam dunes": make_generation(staff, "Dunes at dusk", "processing", created_at=at(DAY + timedelta(days=1), 14)),
    }  # fmt: skip
    for name in ("bob neon", "sam dunes"):
        Star.objects.create(member=alice, generation=clips[name])
    Star.objects.create(member=bob, generation=clips["alice neon"])  # bob's: not alice's
    board = Board.objects.create(name="Neon moodboard", created_by=bob)
    for name in ("alice neon", "bob neon", "bob glacier"):
        BoardItem.objects.create(board=board, generation=clips[name], added_by=bob)
    Board.objects.create(name="Empty board", created_by=alice)
    return clips


@pytest.fixture
def board(gallery) -> Board:
    return Board.objects.get(name="Neon moodboard")


def shown(client, **params) -> list[str]:
    response = client.get(reverse("gallery"), params, **HTMX)
    assert response.status_code == 200
    return card_ids(response)


def names(gallery, ids: list[str]) -> list[str]:
    by_id = {str(clip.pk): name for name, clip in gallery.items()}
    return [by_id[pk] for pk in ids]


def test_a_member_by_user_name_or_id(alice_client, gallery, bob):
    assert names(gallery, shown(alice_client, member="bob")) == ["bob glacier", "bob neon"]
    assert names(gallery, shown(alice_client, member=str(bob.pk))) == ["bob glacier", "bob neon"]


def test_starred_is_the_viewers_own_stars(alice_client, bob_client, gallery):
    assert names(gallery, shown(alice_client, starred="on")) == ["sam dunes", "bob neon"]
    assert names(gallery, shown(bob_client, starred="on")) == ["alice neon"]


def test_a_board(alice_client, gallery, board):
    assert names(gallery, shown(alice_client, board=board.pk)) == [
        "bob glacier", "bob neon", "alice neon"
    ]  # fmt: skip
    empty = Board.objects.get(name="Empty board")
    response = alice_client.get(reverse("gallery"), {"board": empty.pk}, **HTMX)
    assert card_ids(response) == [] and "No clips match these filters" in response.content.decode()


def test_days_from_and_until_both_included(alice_client, gallery):
    day = DAY.isoformat()
    assert names(gallery, shown(alice_client, start=day, end=day)) == ["bob neon", "alice dunes"]
    assert names(gallery, shown(alice_client, start=day)) == [
        "sam dunes", "sam neon", "bob glacier", "bob neon", "alice dunes"
    ]  # fmt: skip
    assert names(gallery, shown(alice_client, end=day)) == ["bob neon", "alice dunes", "alice neon"]


def test_days_are_the_studios_time_zones(alice_client, gallery, settings):
    # In New York 23:00 UTC on the 10th is 19:00 the same day; 00:00 UTC is 20:00 on the 9th.
    settings.TIME_ZONE = "America/New_York"
    day = DAY.isoformat()
    assert names(gallery, shown(alice_client, start=day, end=day)) == ["bob neon"]


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"member": "bob"}, ["bob neon"]),
        ({"starred": "on"}, ["bob neon"]),
        ({"board": "BOARD"}, ["bob neon", "alice neon"]),
        ({"start": (DAY + timedelta(days=1)).isoformat()}, ["sam neon"]),
        ({"end": DAY.isoformat()}, ["bob neon", "alice neon"]),
        ({"member": "sam", "starred": "on"}, []),
        ({"board": "BOARD", "member": "alice", "end": DAY.isoformat()}, ["alice neon"]),
        ({"who": "mine", "board": "BOARD"}, ["alice neon"]),
        ({"status": "completed", "resolution": "768p", "board": "BOARD"}, ["bob neon", "alice neon"]),
    ],
)  # fmt: skip
def test_every_filter_combines_with_a_search(alice_client, gallery, board, filters, expected):
    params = {name: str(board.pk) if value == "BOARD" else value for name, value in filters.items()}
    assert names(gallery, shown(alice_client, q="neon", **params)) == expected


@pytest.mark.parametrize(
    "name, value",
    [
        ("member", "nobody"), ("member", "999999"), ("member", "-1"), ("member", "x" * 500),
        ("board", "not a board"), ("board", "999999"), ("board", "9" * 400), ("board", "-1"),
        ("start", "2026-13-45"), ("start", "yesterday"), ("end", "9999-99-99"),
        ("start", "0001-01-01"), ("end", "9999-12-31"), ("starred", ""), ("starred", "false"),
        ("q", "x" * 201),
    ],
)  # fmt: skip
def test_a_value_a_filter_cant_read_narrows_nothing_and_the_others_still_apply(
    alice_client, gallery, name, value
):
    assert names(gallery, shown(alice_client, **{name: value})) == names(
        gallery, shown(alice_client)
    )
    other, expected = ({"who": "mine"}, ["alice dunes", "alice neon"]) if name == "q" else (
        {"q": "dunes"}, ["sam dunes", "alice dunes"])  # fmt: skip
    assert names(gallery, shown(alice_client, **other, **{name: value})) == expected
    assert alice_client.get(reverse("studio"), {**other, name: value}).status_code == 200


def test_a_board_since_deleted_narrows_nothing(alice_client, gallery, board):
    board_id = board.pk
    board.delete()
    assert len(shown(alice_client, board=board_id)) == len(gallery)


@pytest.mark.parametrize(
    "params, narrows",
    [
        ({}, False), ({"member": "bob"}, True), ({"member": "nobody"}, False),
        ({"starred": "on"}, True), ({"board": "BOARD"}, True), ({"board": "0"}, False),
        ({"start": "2026-03-10"}, True), ({"end": "2026-03-10"}, True), ({"end": "2026-02-30"}, False),
        ({"q": "*"}, False), ({"q": "neon"}, True),
    ],
)  # fmt: skip
def test_narrows_says_whether_a_filter_hides_anything(alice, gallery, board, params, narrows):
    data = {name: str(board.pk) if value == "BOARD" else value for name, value in params.items()}
    assert GalleryFilterForm(data).narrows is narrows


class Controls(HTMLParser):
    """The filters form's controls: each named field's attributes, selected options, labels."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inside = False
        self.fields: dict[str, dict] = {}
        self.selected: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.select: str | None = None
        self.details: dict | None = None
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == "gallery-filters":
            self.inside = True
        if not self.inside:
            return
        if tag == "details":
            self.details = attributes
        if tag in ("input", "select") and attributes.get("name"):
            self.fields.setdefault(attributes["name"], attributes)
            if tag == "select":
                self.select = attributes["name"]
                self.options[self.select] = []
        if tag == "option" and self.select:
            self.options[self.select].append(attributes["value"])
            if "selected" in attributes:
                self.selected[self.select] = attributes["value"]

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self.inside = False
        if tag == "select":
            self.select = None

    def handle_data(self, data) -> None:
        if self.inside:
            self.text.append(data)


def test_the_filters_form_has_a_control_for_each(alice_client, gallery, board):
    controls = Controls(alice_client.get(reverse("studio")).content.decode())
    assert set(GalleryFilterForm.NAMES) <= set(controls.fields)
    assert (
        controls.fields["starred"]["type"] == "checkbox"
        and "checked" not in controls.fields["starred"]
    )
    assert controls.fields["start"]["type"] == controls.fields["end"]["type"] == "date"
    assert controls.options["member"] == ["", "alice", "bob", "sam"]
    assert controls.options["board"] == [
        "",
        str(Board.objects.get(name="Empty board").pk),
        str(board.pk),
    ]
    text = " ".join(" ".join(controls.text).split())
    for label in ("Starred", "More filters", "Member", "Board", "Made from", "Made until"):
        assert label in text
    assert controls.details is not None and "open" not in controls.details  # folded while unused


def test_the_filters_form_shows_what_is_asked(alice_client, gallery, board):
    params = {"member": "bob", "board": board.pk, "starred": "on", "start": "2026-03-10",
              "end": "2026-03-11", "q": "neon"}  # fmt: skip
    controls = Controls(alice_client.get(reverse("studio"), params).content.decode())
    assert controls.selected == {"member": "bob", "board": str(board.pk)}
    assert "checked" in controls.fields["starred"]
    assert controls.fields["start"]["value"] == "2026-03-10"
    assert controls.fields["end"]["value"] == "2026-03-11"
    assert controls.fields["q"]["value"] == "neon"
    assert controls.details is not None and "open" in controls.details


def test_cards_link_their_page_with_the_filters_and_it_steps_through_them(
    alice_client, gallery, board
):
    html = alice_client.get(
        reverse("studio"), {"board": board.pk, "member": "bob"}
    ).content.decode()
    assert f"?member=bob&amp;board={board.pk}" in html
    page = alice_client.get(
        gallery["bob neon"].get_absolute_url(), {"board": board.pk, "member": "bob"}
    )
    html = page.content.decode()
    assert gallery["bob glacier"].get_absolute_url() in html  # the newer clip of that gallery
    assert gallery["alice neon"].get_absolute_url() not in html  # on the board, not bob's


def test_live_updates_follow_the_new_filters(alice_client, gallery, board):
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    later = timezone.now() + timedelta(seconds=1)
    Generation.objects.filter(pk__in=[clip.pk for clip in gallery.values()]).update(
        updated_at=later
    )
    fields = {"who": "everyone", "status": "", "resolution": "", "q": "neon", "member": "bob",
              "board": board.pk, "start": "", "end": "", "since": since}  # fmt: skip
    response = alice_client.get(reverse("gallery_updates"), fields, HTTP_HX_REQUEST="true",
                                HTTP_HX_TRIGGER="gallery-live")  # fmt: skip
    assert names(gallery, card_ids(response)) == ["bob neon"]


def test_the_studio_page_costs_the_same_queries_with_every_filter_on(
    alice_client, alice, bob, gallery, board, make_generation, django_assert_max_num_queries
):
    every_filter = {"who": "everyone", "member": "bob", "status": "completed", "resolution": "768p",
                    "q": "neon sign", "starred": "on", "board": board.pk, "start": "2026-03-01",
                    "end": "2026-03-31"}  # fmt: skip
    alice_client.get(reverse("studio"), every_filter)  # learns how long clips take (cached)
    # Session, user, budget, standing, quota, first-frame rule, cards, running check, the
    # member's approval requests, filter choices, and the search's prompts: 11, whatever the page.
    with django_assert_max_num_queries(11) as few:
        response = alice_client.get(reverse("studio"), every_filter)
    assert names(gallery, card_ids(response)) == ["bob neon"]
    for n in range(30):  # many more clips matching every filter: not one more query
        clip = make_generation(bob, f"Neon sign, take {n}", "completed", created_at=at(DAY, 22))
        Star.objects.create(member=alice, generation=clip)
        BoardItem.objects.create(board=board, generation=clip)
    with django_assert_max_num_queries(len(few)):
        response = alice_client.get(reverse("studio"), every_filter)
    assert len(card_ids(response)) == 24
    with django_assert_max_num_queries(len(few)):
        assert alice_client.get(reverse("gallery"), every_filter, **HTMX).status_code == 200
