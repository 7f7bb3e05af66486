"""A share link is turned off ("Revoke") by its maker or by staff, never by another member; one
conditional UPDATE, so revoking twice (two tabs) turns it off once and says so."""

import pytest
from django.test import Client

from generations.models import ShareLink
from tests.clip_files import stored_clip


@pytest.fixture
def link(alice, make_generation) -> ShareLink:
    fox = stored_clip(make_generation, alice, "A red fox in fresh snow")
    return ShareLink.make(by=alice, generation=fox, expiry_days=30, allow_download=True)


def test_another_member_cannot_revoke_it(bob_client, link):
    assert bob_client.post(f"/shares/{link.pk}/revoke/").status_code == 403
    assert bob_client.post(f"/shares/{link.pk}/revoke/", HTTP_HX_REQUEST="true").status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None
    assert Client().get(f"/s/{link.token}/").status_code == 200


def test_its_maker_revokes_it(alice, alice_client, link):
    response = alice_client.post(f"/shares/{link.pk}/revoke/", {"next": "/account/"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by == alice
    assert Client().get(f"/s/{link.token}/").status_code == 404


def test_staff_revoke_any_link(staff, staff_client, link):
    response = staff_client.post(
        f"/shares/{link.pk}/revoke/", {"list": "staff"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Turned the link off" in html and "Turned off" in html and "Revoke" not in html
    link.refresh_from_db()
    assert link.revoked_by == staff


def test_revoking_twice_turns_it_off_once(alice, staff, link):
    assert link.revoke(by=alice)
    again = ShareLink.objects.get(pk=link.pk)
    assert not again.revoke(by=staff)
    assert ShareLink.objects.get(pk=link.pk).revoked_by == alice


def test_the_second_revoke_says_it_was_already_off(alice_client, link):
    alice_client.post(f"/shares/{link.pk}/revoke/")
    response = alice_client.post(f"/shares/{link.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert "This link was already turned off." in response.content.decode()


def test_a_next_address_elsewhere_is_not_followed(alice_client, link):
    response = alice_client.post(f"/shares/{link.pk}/revoke/", {"next": "https://evil.example/"})
    assert response["Location"] == "/account/"


def test_revoke_is_post_only_and_unknown_links_are_404(alice_client, link):
    assert alice_client.get(f"/shares/{link.pk}/revoke/").status_code == 405
    assert alice_client.post("/shares/999999/revoke/").status_code == 404
