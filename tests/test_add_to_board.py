"""The "Add to board" step, from a card's "More" menu, from the clip page and from a selection:
one step that takes a board of the team's or makes a new one. A clip can be on many boards, once
each."""

import pytest
from django.urls import reverse

from generations.models import Board

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clips(alice, bob, make_generation):
    return [
        make_generation(alice, "Sunrise over dunes", "completed"),
        make_generation(bob, "Neon alley in the rain", "completed"),
        make_generation(bob, "Glacier calving", "failed", failure_reason="Outage."),
    ]


@pytest.fixture
def moodboard(alice):
    return Board.make(name="Moodboard", by=alice)


def ids(*clips) -> list[str]:
    return [str(clip.pk) for clip in clips]


def picker_url(*clips) -> str:
    return reverse("board_picker") + "?" + "&".join(f"ids={pk}" for pk in ids(*clips))


def test_a_card_and_the_clip_page_offer_it(alice_client, clips):
    studio = alice_client.get(reverse("studio")).content.decode()
    assert f'href="{picker_url(clips[0])}" data-board-picker>Add to board</a>' in studio
    assert 'id="board-picker"' in studio  # the dialog it opens in
    page = alice_client.get(clips[0].get_absolute_url()).content.decode()
    assert f'href="{picker_url(clips[0])}" data-board-picker>Add to board</a>' in page
    assert "<dt>On boards</dt><dd>None yet</dd>" in page


def test_the_step_offers_the_teams_boards_or_a_new_one(alice_client, moodboard, clips):
    response = alice_client.get(picker_url(clips[0]), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="board-picker-form"')  # the dialog's content
    assert "Add “Sunrise over dunes” to a board" in html
    assert f'<option value="{moodboard.pk}">Moodboard</option>' in html
    assert 'name="new_board"' in html
    page = alice_client.get(picker_url(*clips[:2]))  # without htmx: a page of its own
    assert "Add 2 clips to a board" in page.content.decode() and "<html" in page.content.decode()


def test_adding_to_a_board_of_the_teams(alice_client, bob_client, moodboard, clips):
    response = alice_client.post(
        reverse("board_add"), {"ids": ids(*clips[:2]), "board": moodboard.pk}, **HTMX
    )
    html = response.content.decode()
    assert "Added 2 clips to “Moodboard”." in html
    assert f'href="{moodboard.get_absolute_url()}"' in html
    again = bob_client.post(reverse("board_add"), {"ids": ids(*clips), "board": moodboard.pk})
    assert again.status_code == 302 and again["Location"] == moodboard.get_absolute_url()
    page = bob_client.get(moodboard.get_absolute_url()).content.decode()
    assert "Added 1 clip to “Moodboard”. 2 were on it already." in page
    assert moodboard.items.count() == 3


def test_making_the_board_in_the_same_step(alice, alice_client, clips):
    response = alice_client.post(
        reverse("board_add"), {"ids": ids(clips[1]), "new_board": "Client review"}, **HTMX
    )
    assert "Added 1 clip to “Client review”." in response.content.decode()
    board = Board.objects.get(name="Client review")
    assert board.created_by == alice and board.items.get().added_by == alice


def test_a_clip_can_be_on_many_boards(alice, alice_client, moodboard, clips):
    other = Board.make(name="Trailers", by=alice)
    for board in (moodboard, other):
        alice_client.post(reverse("board_add"), {"ids": ids(clips[0]), "board": board.pk})
    page = alice_client.get(clips[0].get_absolute_url()).content.decode()
    assert ">Moodboard</a>, <a" in page and ">Trailers</a>" in page


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "Choose a board, or name a new one."),
        ({"board": "999999"}, "That board is gone: choose another, or make one."),
        ({"board": "not a number"}, "That board is gone: choose another, or make one."),
        (
            {"board": "{board}", "new_board": "Another"},
            "Choose a board or name a new one, not both.",
        ),
    ],
)
def test_a_step_not_finished_says_why_and_keeps_the_clips(
    alice_client, moodboard, clips, data, words
):
    data = {key: value.replace("{board}", str(moodboard.pk)) for key, value in data.items()}
    for headers in ({}, HTMX):
        response = alice_client.post(reverse("board_add"), {"ids": ids(*clips), **data}, **headers)
        html = response.content.decode()
        assert words in html
        assert response.status_code == (200 if headers else 400)
        assert all(f'name="ids" value="{pk}"' in html for pk in ids(*clips))
    assert not moodboard.items.exists() and Board.objects.count() == 1


def test_nothing_chosen_or_clips_gone_is_said_in_words(alice_client, moodboard, clips):
    empty = alice_client.post(reverse("board_add"), {"board": moodboard.pk})
    assert "Select at least one clip first." in empty.content.decode()
    clips[0].soft_delete()
    gone = alice_client.post(reverse("board_add"), {"ids": ids(clips[0]), "board": moodboard.pk})
    assert "The selected clips are no longer in the gallery." in gone.content.decode()
    assert not moodboard.items.exists()
    picker = alice_client.get(reverse("board_picker") + "?ids=nonsense", **HTMX)
    assert "Select at least one clip first." in picker.content.decode()
