"""Boards are the team's: any member makes one, fills it and renames it. Who made a board and who
added each clip is recorded; members take off the clips they added and staff any (the others are
told in words); only a board's maker or staff delete it, and deleting or renaming a board never
deletes a clip."""

import pytest
from django.urls import reverse

from generations.models import Board, BoardItem, Generation

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def board(alice):
    return Board.make(name="Client review", by=alice)


@pytest.fixture
def clips(alice, bob, make_generation):
    return {
        "alices": make_generation(alice, "Sunrise over dunes", "completed"),
        "bobs": make_generation(bob, "Neon alley in the rain", "completed"),
    }


def add(client, board, *clips):
    data = {"ids": [str(clip.pk) for clip in clips], "board": str(board.pk)}
    return client.post(reverse("board_add"), data)


def remove(client, board, clip, **headers):
    data = {"generation": str(clip.pk)}
    return client.post(reverse("board_remove", args=[board.pk]), data, **headers)


def test_it_records_who_made_the_board_and_who_added_each_clip(
    alice, bob, alice_client, bob_client, board, clips
):
    add(alice_client, board, clips["bobs"])
    add(bob_client, board, clips["alices"])
    assert board.created_by == alice
    added = dict(board.items.values_list("generation_id", "added_by__username"))
    assert added == {clips["bobs"].pk: "alice", clips["alices"].pk: "bob"}
    page = alice_client.get(board.get_absolute_url()).content.decode()
    assert "made by alice" in page and "Added by bob" in page and "Added by alice" in page


def test_a_member_takes_off_a_clip_they_added(bob_client, board, clips):
    add(bob_client, board, clips["alices"])
    response = remove(bob_client, board, clips["alices"], **HTMX)
    assert response.status_code == 200
    assert "Took “Sunrise over dunes” off the board" in response.content.decode()
    assert not board.items.exists()
    assert Generation.objects.visible().filter(pk=clips["alices"].pk).exists()  # the clip stays


def test_a_member_cannot_take_off_a_clip_a_teammate_added_and_is_told_why(
    alice_client, bob_client, board, clips
):
    add(alice_client, board, clips["alices"])
    response = remove(bob_client, board, clips["alices"], **HTMX)
    words = "Only alice, who added “Sunrise over dunes” to this board, or staff can take it off."
    assert response.status_code == 200 and words in response.content.decode()
    assert response["HX-Reswap"] == "none"  # the card stays where it is
    plain = remove(bob_client, board, clips["alices"])
    assert plain.status_code == 403 and words in plain.content.decode()
    assert board.items.count() == 1
    # The button is only offered to who may use it.
    page = bob_client.get(board.get_absolute_url()).content.decode()
    assert "Remove from board" not in page


def test_staff_take_off_any_clip(alice_client, staff_client, board, clips):
    add(alice_client, board, clips["alices"], clips["bobs"])
    assert "Remove from board" in staff_client.get(board.get_absolute_url()).content.decode()
    assert remove(staff_client, board, clips["bobs"]).status_code == 302
    assert list(board.items.values_list("generation_id", flat=True)) == [clips["alices"].pk]


def test_a_clip_not_on_the_board_is_not_found(alice_client, board, clips):
    assert remove(alice_client, board, clips["alices"]).status_code == 404
    bad = alice_client.post(reverse("board_remove", args=[board.pk]), {"generation": "x"})
    assert bad.status_code == 404


def test_any_member_renames_a_board(bob_client, board):
    edit = reverse("board_edit", args=[board.pk])
    assert (
        bob_client.post(edit, {"name": "Final cut", "description": "Approved"}).status_code == 302
    )
    board.refresh_from_db()
    assert (board.name, board.description) == ("Final cut", "Approved")


def test_only_its_maker_or_staff_delete_a_board_and_its_clips_stay(
    alice_client, bob_client, staff_client, board, clips
):
    add(alice_client, board, clips["alices"], clips["bobs"])
    delete = reverse("board_delete", args=[board.pk])
    refused = bob_client.post(delete)
    assert refused.status_code == 403
    assert "Only alice, who made this board, or staff can delete it." in refused.content.decode()
    assert Board.objects.filter(pk=board.pk).exists()

    response = alice_client.post(delete, follow=True)
    assert "Deleted the board “Client review”. Its clips stay in the gallery." in response.text
    assert not Board.objects.exists() and not BoardItem.objects.exists()
    assert Generation.objects.visible().count() == 2

    other = Board.make(name="Another", by=None)
    assert staff_client.post(reverse("board_delete", args=[other.pk])).status_code == 302


def test_the_delete_button_is_only_offered_to_who_may(alice_client, bob_client, board):
    assert "Delete the board" in alice_client.get(board.get_absolute_url()).content.decode()
    page = bob_client.get(board.get_absolute_url()).content.decode()
    assert "Delete the board" not in page
    assert "Only alice, who made it, or staff can delete this board." in page


def test_a_board_shows_only_clips_still_in_the_gallery(alice_client, board, clips):
    add(alice_client, board, clips["alices"], clips["bobs"])
    clips["bobs"].soft_delete()
    page = alice_client.get(board.get_absolute_url()).content.decode()
    assert "Sunrise over dunes" in page and "Neon alley" not in page
    assert "1 clip ·" in page
    listing = alice_client.get(reverse("boards")).content.decode()
    assert "Client review" in listing and "1 clip ·" in listing


def test_a_board_that_is_not_there_is_not_found(alice_client):
    assert alice_client.get(reverse("board_detail", args=[999_999])).status_code == 404
