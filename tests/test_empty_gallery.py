"""A gallery with nothing to show says why: nothing made yet, or nothing matching the filters."""

from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_new_team_is_asked_to_make_its_first_clip(alice_client):
    html = alice_client.get(reverse("studio")).content.decode()
    assert "No clips here yet. Describe one in the form and press Generate." in html
    assert "No clips match" not in html


def test_a_search_that_finds_nothing_says_so_with_a_way_back(alice_client, alice, make_generation):
    make_generation(alice, "A heron over the marsh", "completed")
    html = alice_client.get(reverse("studio"), {"q": "zebra"}).content.decode()
    assert "No clips match these filters." in html and "No clips here yet" not in html
    assert f'href="{reverse("studio")}" data-clear-filters' in html


def test_filters_changed_in_place_say_it_too(alice_client, alice, make_generation):
    make_generation(alice, "A heron over the marsh", "completed")
    response = alice_client.get(reverse("gallery"), {"status": "failed"}, **HTMX)
    assert "No clips match these filters." in response.content.decode()
    response = alice_client.get(reverse("gallery"), {"who": "everyone", "q": ""}, **HTMX)
    assert "A heron over the marsh" in response.content.decode()


def test_mine_alone_counts_as_a_filter(bob_client, alice, make_generation):
    make_generation(alice, "A heron over the marsh", "completed")
    html = bob_client.get(reverse("studio"), {"who": "mine"}).content.decode()
    assert "No clips match these filters." in html
