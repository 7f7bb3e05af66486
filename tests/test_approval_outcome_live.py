"""The member sees what staff decided without reloading: the studio's live update redraws their
requests (out of band) when one was asked or decided since the tab last asked, and an approved
one's clips arrive as cards besides. The idle answer stays one probe: nothing is read for the
requests unless one of the member's changed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.approval_steps import asked, elements, out_of_quota


def live_update(client, since):
    """What the studio page's #gallery-live asks (hx-include: the filters and `since`)."""
    fields = {"who": "everyone", "status": "", "resolution": "", "q": "", "since": since}
    return client.get(reverse("gallery_updates"), fields, HTTP_HX_REQUEST="true")


def a_moment_ago() -> str:
    return (timezone.now() - timedelta(seconds=1)).isoformat()


@pytest.fixture
def request_of_alice(alice):
    """Asked a minute ago: older than any tab's `since` here."""
    out_of_quota(alice)
    request = asked(alice, prompt_text="A heron in the reeds")
    request.created_at = timezone.now() - timedelta(minutes=1)
    request.save(update_fields=["created_at"])
    return request


def panel(response):
    """The member's requests panel in an update: its attributes and its words."""
    page = elements(response)
    return page.attributes["approval-requests"], page.text("approval-requests")


def test_a_decline_reaches_the_members_studio(alice_client, staff, request_of_alice):
    since = a_moment_ago()
    request_of_alice.decline(staff, "We are saving for the launch")
    response = live_update(alice_client, since)
    attributes, words = panel(response)
    assert attributes["hx-swap-oob"] == "true"
    assert "Declined by sam" in words and "We are saving for the launch" in words
    assert "Waiting for approval" not in words


def test_an_approval_reaches_it_with_the_clip_made(alice_client, staff, request_of_alice):
    since = a_moment_ago()
    (clip,) = request_of_alice.approve(staff)
    response = live_update(alice_client, since)
    _, words = panel(response)
    assert "Approved by sam" in words and "made as this clip" in words
    assert f'id="gen-{clip.pk}"' in response.content.decode()  # its card, as any new clip's
    assert f'href="{clip.get_absolute_url()}"' in response.content.decode()


def test_a_request_asked_in_another_tab_shows_in_this_one(alice, alice_client):
    since = a_moment_ago()
    out_of_quota(alice)
    asked(alice, prompt_text="From my other tab")
    _, words = panel(live_update(alice_client, since))
    assert "From my other tab" in words and "Waiting for approval" in words


def test_a_teammates_decision_is_not_this_members_news(bob, bob_client, staff, request_of_alice):
    since = a_moment_ago()
    request_of_alice.decline(staff, "No")
    assert live_update(bob_client, since).status_code == 204


def test_nothing_changed_is_still_one_query(
    alice_client, staff, request_of_alice, django_assert_max_num_queries
):
    request_of_alice.decline(staff, "No")
    since = (timezone.now() + timedelta(seconds=5)).isoformat()
    with django_assert_max_num_queries(3):  # the session, the member, and one probe
        assert live_update(alice_client, since).status_code == 204


def test_an_update_without_news_of_requests_leaves_the_panel_alone(
    alice, alice_client, request_of_alice, make_generation
):
    since = a_moment_ago()
    make_generation(alice, "A new clip of alice's")  # a card changed, no request did
    response = live_update(alice_client, since)
    assert response.status_code == 200 and "approval-requests" not in response.content.decode()
