"""Stars are each member's own: a toggle on every card and on the clip page ("Star"/"Unstar",
aria-pressed) that changes in place, asks for a state rather than flipping one, and never
touches the clip itself (so no teammate's gallery redraws)."""

import re

import pytest
from django.urls import reverse

from generations.models import Generation, Star

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lighthouse(bob, make_generation):
    return make_generation(bob, "A lighthouse in a storm", "completed")


def star_button(html: str, clip) -> str:
    """The star button of `clip` on a page (the whole tag)."""
    match = re.search(rf'<button[^>]*id="star-button-{clip.pk}"[^>]*>.*?</button>', html, re.S)
    assert match, "no star button for the clip"
    return match.group(0)


def pressed(button: str) -> bool:
    return 'aria-pressed="true"' in button


def name_of(button: str) -> str:
    """The accessible name: the text outside aria-hidden spans."""
    text = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', "", button, flags=re.S)
    return re.sub(r"<[^>]+>", "", text).strip()


def star(client, clip, starred: str = "1", **headers):
    return client.post(reverse("generation_star", args=[clip.pk]), {"starred": starred}, **headers)


def test_every_card_has_a_star_button_that_says_what_it_does(alice_client, lighthouse):
    button = star_button(alice_client.get(reverse("studio")).content.decode(), lighthouse)
    assert name_of(button) == "Star" and not pressed(button)


def test_a_star_changes_the_button_in_place(alice, alice_client, lighthouse):
    response = star(alice_client, lighthouse, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<form class="star-form" id="star-{lighthouse.pk}"')
    button = star_button(html, lighthouse)
    assert name_of(button) == "Unstar" and pressed(button)
    assert 'name="starred" value="0"' in html  # pressing it again unstars
    assert Star.objects.filter(member=alice, generation=lighthouse).exists()

    back = star(alice_client, lighthouse, "0", **HTMX)
    assert name_of(star_button(back.content.decode(), lighthouse)) == "Star"
    assert not Star.objects.filter(member=alice, generation=lighthouse).exists()


def test_stars_are_per_member(alice_client, bob_client, lighthouse):
    star(alice_client, lighthouse)
    alices = star_button(alice_client.get(reverse("studio")).content.decode(), lighthouse)
    bobs = star_button(bob_client.get(reverse("studio")).content.decode(), lighthouse)
    assert pressed(alices) and not pressed(bobs)


def test_the_clip_page_has_the_same_star(alice_client, lighthouse):
    page = reverse("generation_detail", args=[lighthouse.pk])
    assert name_of(star_button(alice_client.get(page).content.decode(), lighthouse)) == "Star"
    star(alice_client, lighthouse)
    button = star_button(alice_client.get(page).content.decode(), lighthouse)
    assert name_of(button) == "Unstar" and pressed(button)


def test_a_stale_tab_asks_for_a_state_and_never_flips_one(alice, alice_client, lighthouse):
    star(alice_client, lighthouse)
    star(alice_client, lighthouse)  # a second tab that still showed "Star"
    assert Star.objects.filter(member=alice, generation=lighthouse).count() == 1
    star(alice_client, lighthouse, "0")
    star(alice_client, lighthouse, "0")
    assert not Star.objects.filter(member=alice).exists()
    star(alice_client, lighthouse)  # starred again: the same row, standing once more
    assert Star.objects.filter(member=alice, generation=lighthouse).count() == 1
    assert Star.changes.filter(member=alice).count() == 1


def test_a_star_leaves_the_clip_alone_so_no_teammate_redraws(alice_client, lighthouse):
    before = Generation.objects.values("updated_at").get(pk=lighthouse.pk)
    star(alice_client, lighthouse)
    assert Generation.objects.values("updated_at").get(pk=lighthouse.pk) == before


def test_without_htmx_the_star_goes_back_to_the_page(alice_client, lighthouse):
    page = reverse("generation_detail", args=[lighthouse.pk])
    response = star(alice_client, lighthouse, HTTP_REFERER=f"http://testserver{page}")
    assert response.status_code == 302 and response["Location"].endswith(page)
    elsewhere = star(alice_client, lighthouse, HTTP_REFERER="https://evil.example/")
    assert elsewhere["Location"] == page


@pytest.mark.parametrize("value", ["", "yes", "2", "\x00"])
def test_a_star_asked_for_in_no_known_way_is_refused_in_words(alice_client, lighthouse, value):
    response = star(alice_client, lighthouse, value)
    assert response.status_code == 400 and b"starred=1" in response.content
    assert not Star.objects.exists()


def test_a_deleted_clip_cannot_be_starred(alice_client, lighthouse):
    lighthouse.soft_delete()
    assert star(alice_client, lighthouse).status_code == 404


def test_cards_know_their_stars_without_a_query_each(
    alice, alice_client, bob, make_generation, django_assert_max_num_queries
):
    clips = [make_generation(bob, f"clip {i}", "completed") for i in range(20)]
    Star.set(alice, [clip.pk for clip in clips[::2]], True)
    alice_client.get(reverse("studio"))  # learns how long clips take (cached for a while)
    with django_assert_max_num_queries(10):
        html = alice_client.get(reverse("studio")).content.decode()
    assert [pressed(star_button(html, clip)) for clip in clips] == [i % 2 == 0 for i in range(20)]


def test_the_starred_filter_shows_only_what_stands_starred(alice_client, bob, make_generation):
    kept, dropped = (make_generation(bob, prompt, "completed") for prompt in ("Kept", "Dropped"))
    for clip in (kept, dropped):
        star(alice_client, clip)
    star(alice_client, dropped, "0")  # its row stays, to tell alice's other tabs
    html = alice_client.get(reverse("studio"), {"starred": "on"}).content.decode()
    assert f'id="gen-{kept.pk}"' in html and f'id="gen-{dropped.pk}"' not in html
