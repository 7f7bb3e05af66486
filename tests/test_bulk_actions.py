"""Select mode's actions on the clips ticked: star them, add them to a board, delete them. A
member deletes only what they may (their own clips; staff any): the rest are named in words and
left alone. The bar is on the gallery and on every board's page, and "Download selected" posts
the same ids to the ZIP."""

import re

import pytest
from django.urls import reverse

from generations.models import Board, Generation, Star

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clips(alice, bob, make_generation):
    return {
        "sunrise": make_generation(alice, "Sunrise over dunes", "completed"),
        "heron": make_generation(alice, "A heron lifting off", "failed", failure_reason="Outage."),
        "neon": make_generation(bob, "Neon alley in the rain", "completed"),
        "glacier": make_generation(bob, "Glacier calving", "completed"),
    }


def ids(*clips) -> list[str]:
    return [str(clip.pk) for clip in clips]


def test_the_bar_is_on_the_gallery_and_on_boards(alice, alice_client, clips):
    board = Board.make(name="Moodboard", by=alice)
    board.add([clips["neon"].pk], by=alice)
    for url in (reverse("studio"), board.get_absolute_url()):
        html = alice_client.get(url).content.decode()
        assert 'data-select-mode aria-pressed="false">Select</button>' in html
        assert "Select all on this page" in html and "0 selected" in html
        assert f'formaction="{reverse("download_selected")}"' in html
        # Each card's checkbox belongs to the bar's form.
        assert f'name="ids" value="{clips["neon"].pk}" form="bulk-form" data-select' in html


def test_bulk_delete_deletes_mine_and_names_the_rest(alice_client, clips):
    chosen = ids(clips["sunrise"], clips["neon"], clips["heron"], clips["glacier"])
    response = alice_client.post(reverse("selection_delete"), {"ids": chosen}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Deleted 2 clips." in html
    assert "Left alone 2 clips you may not delete (only their author or staff can):" in html
    assert "<li>“Neon alley in the rain” by bob</li>" in html
    assert "<li>“Glacier calving” by bob</li>" in html
    visible = set(Generation.objects.visible().values_list("pk", flat=True))
    assert visible == {clips["neon"].pk, clips["glacier"].pk}
    # The deleted cards leave the page; the others stay.
    for clip in (clips["sunrise"], clips["heron"]):
        assert f'hx-swap-oob="delete:#gen-{clip.pk}, #gallery-new"' in html
    assert f"delete:#gen-{clips['neon'].pk}" not in html


def test_nothing_mine_deletes_nothing(bob_client, clips):
    response = bob_client.post(reverse("selection_delete"), {"ids": ids(clips["sunrise"])}, **HTMX)
    html = response.content.decode()
    assert "Deleted" not in html
    assert "Left alone 1 clip you may not delete (only its author or staff can):" in html
    assert Generation.objects.visible().count() == 4


def test_staff_delete_any(staff_client, clips):
    response = staff_client.post(reverse("selection_delete"), {"ids": ids(*clips.values())}, **HTMX)
    assert "Deleted 4 clips." in response.content.decode()
    assert not Generation.objects.visible().exists()


def test_bulk_star_stars_each_and_changes_their_buttons(alice, alice_client, clips):
    Star.set(alice, [clips["neon"].pk], True)
    chosen = ids(clips["sunrise"], clips["neon"], clips["glacier"])
    response = alice_client.post(reverse("selection_star"), {"ids": chosen}, **HTMX)
    html = response.content.decode()
    assert "Starred 3 clips. 1 was starred already." in html
    assert set(Star.objects.filter(member=alice).values_list("generation_id", flat=True)) == {
        clips["sunrise"].pk,
        clips["neon"].pk,
        clips["glacier"].pk,
    }
    for pk in chosen:  # each card's star is redrawn in place, out of band
        assert re.search(rf'id="star-{pk}"[^>]*hx-swap-oob="true"', html)
    assert html.count('aria-pressed="true"') == 3


def test_bulk_add_to_a_new_board(alice, alice_client, clips):
    chosen = ids(clips["sunrise"], clips["neon"], clips["glacier"])
    response = alice_client.post(
        reverse("board_add"), {"ids": chosen, "new_board": "Picks"}, **HTMX
    )
    assert "Added 3 clips to “Picks”." in response.content.decode()
    board = Board.objects.get(name="Picks")
    assert set(board.items.values_list("generation_id", flat=True)) == {
        clips["sunrise"].pk,
        clips["neon"].pk,
        clips["glacier"].pk,
    }
    # In the order they were selected (the page's order), for the team's order to start from.
    assert [str(pk) for pk in board.items.values_list("generation_id", flat=True)] == chosen


def test_the_add_to_board_step_takes_the_selection(alice_client, clips):
    url = reverse("board_picker") + f"?ids={clips['neon'].pk}&ids={clips['glacier'].pk}"
    assert "Add 2 clips to a board" in alice_client.get(url, **HTMX).content.decode()


@pytest.mark.parametrize("action", ["selection_star", "selection_delete"])
def test_nothing_selected_is_said_in_words(alice_client, clips, action):
    for data in ({}, {"ids": ["nonsense", "\x00"]}):
        response = alice_client.post(reverse(action), data, **HTMX)
        assert response.status_code == 200
        assert "Select at least one clip first." in response.content.decode()
    plain = alice_client.post(reverse(action), {})
    assert plain.status_code == 400
    assert Generation.objects.visible().count() == 4 and not Star.objects.exists()


def test_clips_deleted_meanwhile_are_counted(alice_client, clips):
    clips["sunrise"].soft_delete()
    chosen = ids(clips["sunrise"], clips["heron"])
    response = alice_client.post(reverse("selection_star"), {"ids": chosen}, **HTMX)
    html = response.content.decode()
    assert "Starred 1 clip." in html and "1 of the selected clips was deleted meanwhile." in html
