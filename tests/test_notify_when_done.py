"""Whether a member wants a browser notification when their clips are done: remembered for them
(MemberProfile.notify_when_done) through a CSRF-checked POST, members only, and shown on the
studio as the switch's state."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from generations.models import MemberProfile

URL = "/account/notify-when-done/"


def switch(client) -> str:
    html = client.get(reverse("studio")).content.decode()
    return re.search(r"<input type=\"checkbox\" data-notify-when-done[^>]*>", html).group(0)


def wants_word(member) -> bool:
    """The member's choice (a profile may exist already: the studio notes when members are seen)."""
    return MemberProfile.objects.filter(member=member, notify_when_done=True).exists()


def test_the_address_is_the_one_the_page_posts_to(alice_client):
    assert reverse("notify_when_done") == URL
    assert f'data-url="{URL}"' in switch(alice_client)


def test_switching_it_on_and_off_is_remembered_for_the_member(alice, bob, alice_client, bob_client):
    assert "checked" not in switch(alice_client)
    answer = alice_client.post(URL, {"notify_when_done": "on"})
    assert answer.status_code == 200 and answer.json() == {"notify_when_done": True}
    assert wants_word(alice) and not wants_word(bob)
    assert "checked" in switch(alice_client)
    assert "checked" not in switch(bob_client)  # each member's own

    assert alice_client.post(URL, {"notify_when_done": "off"}).json() == {"notify_when_done": False}
    assert not wants_word(alice)
    assert "checked" not in switch(alice_client)


@pytest.mark.parametrize("value", ["", "yes", "ON", "1"])
def test_anything_but_on_or_off_is_refused_in_words(alice, alice_client, value):
    answer = alice_client.post(URL, {"notify_when_done": value})
    assert answer.status_code == 400
    assert answer.content.decode() == 'Say "on" or "off" for notify_when_done.'
    assert not wants_word(alice)


def test_it_is_a_post(alice_client):
    assert alice_client.get(URL).status_code == 405


def test_it_needs_a_member_and_a_csrf_token(db, alice):
    anonymous = Client().post(URL, {"notify_when_done": "on"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(URL, {"notify_when_done": "on"}).status_code == 403
    assert not wants_word(alice)


def test_another_browser_of_the_member_shows_the_choice(alice, alice_client):
    """Made in one browser, it is read from the profile by the next session (another browser)."""
    alice_client.post(URL, {"notify_when_done": "on"})
    other_browser = Client()
    other_browser.force_login(alice)
    assert "checked" in switch(other_browser)
