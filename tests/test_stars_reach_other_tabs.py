"""A star made in one tab reaches the member's other open tabs with their next live update, and
only theirs: a star is per member, so no teammate's tab redraws, and the answer to a tab when
nothing changed stays one small query."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from generations.models import Star
from tests.test_gallery import attributes, card_ids, live_update
from tests.test_stars import name_of, star_button

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clips(bob, make_generation):
    earlier = timezone.now() - timedelta(minutes=5)
    return [
        make_generation(bob, prompt, "completed", created_at=earlier, updated_at=earlier)
        for prompt in ("A lighthouse in a storm", "A fox in fresh snow")
    ]


def a_tab_opened_now() -> str:
    """The `since` a tab opened a moment ago sends (its page was drawn before the star)."""
    return (timezone.now() - timedelta(milliseconds=10)).isoformat()


def star_in_another_tab(client, clip, starred: str = "1"):
    client.post(reverse("generation_star", args=[clip.pk]), {"starred": starred}, **HTMX)


def test_the_members_other_tab_sees_the_star(alice_client, clips):
    since = a_tab_opened_now()
    star_in_another_tab(alice_client, clips[0])
    response = live_update(alice_client, since)
    assert response.status_code == 200
    assert card_ids(response) == [str(clips[0].pk)]
    html = response.content.decode()
    assert name_of(star_button(html, clips[0])) == "Unstar"
    card = attributes(response, f"gen-{clips[0].pk}")
    assert card["hx-swap-oob"] == f"outerHTML:#gen-{clips[0].pk}, #gallery-new"


def test_an_unstar_reaches_the_other_tab_too(alice_client, clips):
    star_in_another_tab(alice_client, clips[1])
    since = a_tab_opened_now()
    star_in_another_tab(alice_client, clips[1], "0")
    response = live_update(alice_client, since)
    assert card_ids(response) == [str(clips[1].pk)]
    assert name_of(star_button(response.content.decode(), clips[1])) == "Star"


def test_a_teammates_tab_is_not_told(alice_client, bob_client, clips):
    since = a_tab_opened_now()
    star_in_another_tab(alice_client, clips[0])
    assert live_update(bob_client, since).status_code == 204


def test_the_next_ask_after_that_finds_nothing(alice_client, clips):
    since = a_tab_opened_now()
    star_in_another_tab(alice_client, clips[0])
    answered = live_update(alice_client, since)
    later = timezone.now() + timedelta(seconds=5)  # past the overlap the answer asks again with
    assert attributes(answered, "gallery-since")["value"]
    assert live_update(alice_client, later.isoformat()).status_code == 204


def test_nothing_changed_is_still_one_query(
    alice_client, alice, clips, django_assert_max_num_queries
):
    Star.set(alice, [clips[0].pk], True)
    since = (timezone.now() + timedelta(seconds=5)).isoformat()
    with django_assert_max_num_queries(3):  # the session, the member, and one probe
        assert live_update(alice_client, since).status_code == 204


def test_a_tab_filtered_to_mine_hears_only_of_its_own_clips(alice, alice_client, clips):
    since = a_tab_opened_now()
    star_in_another_tab(alice_client, clips[0])  # bob's clip: not on alice's "Mine" page
    response = live_update(alice_client, since, who="mine")
    assert response.status_code == 200 and card_ids(response) == []


def test_on_a_starred_page_an_unstarred_clip_leaves_and_a_starred_one_joins(alice_client, clips):
    star_in_another_tab(alice_client, clips[0])
    since = a_tab_opened_now()
    star_in_another_tab(alice_client, clips[0], "0")
    star_in_another_tab(alice_client, clips[1])
    response = live_update(alice_client, since, starred="on")
    gone = attributes(response, f"gen-{clips[0].pk}")
    assert "data-deleted" in gone
    assert gone["hx-swap-oob"] == f"delete:#gen-{clips[0].pk}, #gallery-new"
    joined = attributes(response, f"gen-{clips[1].pk}")
    assert "data-deleted" not in joined
    assert name_of(star_button(response.content.decode(), clips[1])) == "Unstar"
