"""A board's name says in words what is wrong with it (empty, over 100 characters, another
board's, whatever the case), wherever a board is named: making one, renaming one, and making one
in the "Add to board" step. What was typed, and the clips chosen, stay."""

import pytest
from django.urls import reverse

from generations.models import Board, BoardNameTaken

LONG = "x" * 101


@pytest.fixture
def moodboard(alice):
    return Board.make(name="Moodboard", description="Looks we like", by=alice)


def make(client, name: str, description: str = ""):
    return client.post(reverse("board_create"), {"name": name, "description": description})


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "Name the board: the name can't be empty."),
        ("   ", "Name the board: the name can't be empty."),
        (LONG, "The name is 101 characters; the limit is 100."),
        ("moodBOARD", "There is already a board named “moodBOARD”: choose another name."),
        (" Moodboard ", "There is already a board named “Moodboard”: choose another name."),
    ],
)
def test_making_a_board_with_a_bad_name_says_why(alice_client, moodboard, name, words):
    response = make(alice_client, name, "Kept as typed")
    html = response.content.decode()
    assert response.status_code == 400
    assert words.replace("'", "&#x27;") in html
    assert "Kept as typed" in html  # the description typed stays
    assert Board.objects.count() == 1


def test_a_long_name_typed_stays_in_the_field(alice_client):
    response = make(alice_client, LONG)
    assert f'value="{LONG}"' in response.content.decode()


def test_a_good_name_makes_the_board_and_opens_it(alice, alice_client, moodboard):
    response = make(alice_client, "  Client review  ", "For Friday")
    board = Board.objects.get(name="Client review")
    assert response.status_code == 302 and response["Location"] == board.get_absolute_url()
    assert board.description == "For Friday" and board.created_by == alice
    assert "Made the board “Client review”" in alice_client.get(board.get_absolute_url()).text


def test_exactly_100_characters_is_fine(alice_client):
    assert make(alice_client, "y" * 100).status_code == 302


def test_renaming_says_why_and_keeps_the_old_name(alice_client, alice, moodboard):
    Board.make(name="Trailers", by=alice)
    edit = reverse("board_edit", args=[moodboard.pk])
    response = alice_client.post(edit, {"name": "TRAILERS", "description": "new words"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is already a board named “TRAILERS”: choose another name." in html
    assert 'value="TRAILERS"' in html and "new words" in html  # what was typed stays
    moodboard.refresh_from_db()
    assert moodboard.name == "Moodboard" and moodboard.description == "Looks we like"
    assert '<h1 id="board-heading">Moodboard</h1>' in html


def test_renaming_to_its_own_name_in_another_case_is_fine(alice_client, moodboard):
    edit = reverse("board_edit", args=[moodboard.pk])
    response = alice_client.post(edit, {"name": "MOODBOARD", "description": ""})
    assert response.status_code == 302
    moodboard.refresh_from_db()
    assert moodboard.name == "MOODBOARD" and moodboard.description == ""


def test_a_new_board_in_the_add_step_says_why_and_keeps_the_clips(
    alice_client, alice, moodboard, make_generation
):
    clips = [make_generation(alice, f"clip {i}", "completed") for i in range(2)]
    ids = [str(clip.pk) for clip in clips]
    for name, words in [
        ("MoodBoard", "There is already a board named “MoodBoard”: choose it from the list"),
        (LONG, "The name is 101 characters; the limit is 100."),
    ]:
        response = alice_client.post(reverse("board_add"), {"ids": ids, "new_board": name})
        html = response.content.decode()
        assert response.status_code == 400 and words in html
        assert all(f'name="ids" value="{pk}"' in html for pk in ids)
        assert f'value="{name}"' in html
    assert Board.objects.count() == 1 and not moodboard.items.exists()


def test_a_name_taken_a_moment_before_is_refused_in_words_too(alice, moodboard):
    # Two members naming boards at the same moment: the database's constraint decides.
    with pytest.raises(BoardNameTaken, match="There is already a board named “MOODBOARD”"):
        Board.make(name="MOODBOARD", by=alice)
    other = Board.make(name="Other", by=alice)
    with pytest.raises(BoardNameTaken):
        other.rename(name="moodboard", description="")
    other.refresh_from_db()
    assert other.name == "Other"
