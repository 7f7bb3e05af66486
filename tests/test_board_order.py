"""A board shows its clips newest first, or in the team's order: set by dragging (the page sends
the new order of its clips) or from the keyboard with "Move up" / "Move down". Each change moves
only what it says; the other clips, on other pages or deleted meanwhile, keep their places."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.models import Board
from generations.views.boards import PAGE_SIZE

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPTS = ["Alpha dawn", "Bravo dusk", "Charlie noon", "Delta night"]


@pytest.fixture
def clips(alice, make_generation):
    """Made oldest first: Alpha is the oldest, Delta the newest."""
    start = timezone.now() - timedelta(hours=1)
    return [
        make_generation(alice, prompt, "completed", created_at=start + timedelta(minutes=i))
        for i, prompt in enumerate(PROMPTS)
    ]


@pytest.fixture
def board(alice, clips):
    board = Board.make(name="Sequence", by=alice)
    board.add([clip.pk for clip in clips], by=alice)  # the team's order: as added, Alpha first
    return board


def shown(response) -> list[str]:
    """The clips' prompts in the order the board's page shows them."""
    html = response.content.decode()
    return [p for p in re.findall(r'title="([^"]+)"', html) if p in PROMPTS]


def move(client, board, clip, direction, **headers):
    data = {"generation": str(clip.pk), "direction": direction, "page": "1"}
    return client.post(reverse("board_move", args=[board.pk]), data, **headers)


def test_a_board_shows_its_clips_newest_first_at_first(alice_client, board):
    assert board.order == Board.Order.NEWEST
    page = alice_client.get(board.get_absolute_url())
    assert shown(page) == list(reversed(PROMPTS))
    assert "Move up" not in page.content.decode()  # nothing to arrange in this order


def test_the_team_can_choose_its_own_order(alice_client, board):
    response = alice_client.post(reverse("board_order", args=[board.pk]), {"order": "manual"})
    assert response.status_code == 302
    page = alice_client.get(board.get_absolute_url())
    assert shown(page) == PROMPTS
    html = page.content.decode()
    assert 'aria-pressed="true">In the team&#x27;s order' in html
    assert html.count("Move up") == 4 and html.count("Move down") == 4
    assert html.count("data-drag-handle") == 4


def test_an_order_there_is_not_is_refused_in_words(alice_client, board):
    response = alice_client.post(reverse("board_order", args=[board.pk]), {"order": "random"})
    assert response.status_code == 400
    assert "Choose “Newest first” or “In the team&#x27;s order”." in response.content.decode()


def test_dragging_sends_the_new_order(alice_client, board, clips):
    alpha, bravo, charlie, delta = clips
    ids = [str(clip.pk) for clip in (delta, alpha, charlie, bravo)]
    response = alice_client.post(
        reverse("board_arrange", args=[board.pk]), {"ids": ids, "page": "1"}, **HTMX
    )
    assert response.status_code == 200
    assert shown(response) == ["Delta night", "Alpha dawn", "Charlie noon", "Bravo dusk"]
    assert "Saved the board&#x27;s new order." in response.content.decode()
    board.refresh_from_db()
    assert board.order == Board.Order.MANUAL  # dragging is choosing the team's order
    assert shown(alice_client.get(board.get_absolute_url())) == shown(response)


def test_moving_by_keyboard_says_where_the_clip_went(alice_client, board, clips):
    board.set_order(Board.Order.MANUAL)
    response = move(alice_client, board, clips[2], "up", **HTMX)
    assert shown(response) == ["Alpha dawn", "Charlie noon", "Bravo dusk", "Delta night"]
    html = response.content.decode()
    assert "Moved “Charlie noon” to place 2 of 4." in html
    # The list is redrawn with the same button ids, so focus stays on the button pressed.
    assert f'id="move-up-{clips[2].pk}"' in html
    assert 'id="board-status"' in html and 'hx-swap-oob="true"' in html
    down = move(alice_client, board, clips[0], "down", **HTMX)
    assert shown(down) == ["Charlie noon", "Alpha dawn", "Bravo dusk", "Delta night"]


def test_the_first_cannot_go_up_nor_the_last_down(alice_client, board, clips):
    board.set_order(Board.Order.MANUAL)
    page = alice_client.get(board.get_absolute_url()).content.decode()
    assert re.search(rf'id="move-up-{clips[0].pk}"[^>]*aria-disabled="true"', page)
    assert re.search(rf'id="move-down-{clips[3].pk}"[^>]*aria-disabled="true"', page)
    response = move(alice_client, board, clips[0], "up", **HTMX)
    assert "“Alpha dawn” is already first." in response.content.decode()
    assert shown(response) == PROMPTS


def test_a_deleted_clip_keeps_its_place_and_moves_skip_it(alice_client, board, clips):
    board.set_order(Board.Order.MANUAL)
    clips[1].soft_delete()  # Bravo leaves the gallery
    response = move(alice_client, board, clips[2], "up", **HTMX)
    assert shown(response) == ["Charlie noon", "Alpha dawn", "Delta night"]
    clips[1].restore()  # it comes back where it was, second
    names = shown(alice_client.get(board.get_absolute_url()))
    assert names == ["Charlie noon", "Bravo dusk", "Alpha dawn", "Delta night"]


def test_a_drag_on_one_page_leaves_the_other_pages_alone(alice, board, make_generation):
    more = [make_generation(alice, f"More {i}", "completed") for i in range(PAGE_SIZE)]
    board.add([clip.pk for clip in more], by=alice)
    board.set_order(Board.Order.MANUAL)
    before = list(board.shown_items().values_list("generation_id", flat=True))
    first_page = before[:PAGE_SIZE]
    board.arrange(list(reversed(first_page)))
    after = list(board.shown_items().values_list("generation_id", flat=True))
    assert after[:PAGE_SIZE] == list(reversed(first_page))
    assert after[PAGE_SIZE:] == before[PAGE_SIZE:]


def test_ids_not_on_the_board_are_ignored(alice, board, clips, make_generation):
    stranger = make_generation(alice, "Not on the board", "completed")
    board.arrange(["nonsense", str(stranger.pk), str(clips[3].pk), str(clips[0].pk)])
    names = [item.generation.prompt.text for item in board.shown_items()]
    # Delta and Alpha swap the places they held; Bravo and Charlie stay.
    assert names == ["Delta night", "Bravo dusk", "Charlie noon", "Alpha dawn"]


@pytest.mark.parametrize("direction", ["", "sideways", "\x00"])
def test_a_move_in_no_known_direction_is_refused(alice_client, board, clips, direction):
    assert move(alice_client, board, clips[0], direction).status_code == 400


def test_without_htmx_a_move_returns_to_the_boards_page(alice_client, board, clips):
    board.set_order(Board.Order.MANUAL)
    response = move(alice_client, board, clips[1], "up")
    assert response.status_code == 302
    assert response["Location"] == f"{board.get_absolute_url()}?page=1"
    page = alice_client.get(response["Location"])
    assert shown(page)[:2] == ["Bravo dusk", "Alpha dawn"]
    assert "Moved “Bravo dusk” to place 1 of 4." in page.content.decode()


def test_a_boards_page_costs_the_same_queries_however_full(
    alice, alice_client, board, make_generation, django_assert_max_num_queries
):
    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(board.get_absolute_url()).status_code == 200
        return len(captured)

    alice_client.get(board.get_absolute_url())  # learns how long clips take (cached)
    few = queries_for_the_page()
    board.add([make_generation(alice, f"More {i}", "completed").pk for i in range(30)], by=alice)
    board.set_order(Board.Order.MANUAL)
    assert queries_for_the_page() == few
    with django_assert_max_num_queries(8):
        alice_client.get(reverse("boards"))
