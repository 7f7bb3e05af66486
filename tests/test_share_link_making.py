""" "Share" on a clip's page or a board's makes a link: expiry 7 days, 30 days (the default) or
never, downloads on or off; the link is shown to copy. A deleted clip is a 404, an unfinished one
or a choice that is not offered is refused in words, with what was chosen kept."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from generations.models import Board, ShareLink
from tests.clip_files import stored_clip


@pytest.fixture
def fox(alice, make_generation):
    return stored_clip(make_generation, alice, "A red fox in fresh snow")


def test_the_clip_page_has_a_share_form_with_30_days_and_downloads_by_default(alice_client, fox):
    page = alice_client.get(fox.get_absolute_url()).content.decode()
    assert '<summary class="button">Share</summary>' in page
    assert f'action="/generations/{fox.pk}/share/"' in page
    assert re.search(r'value="30"[^>]*checked', page), "30 days is the default"
    assert re.search(r'name="allow_download"[^>]*checked', page)
    assert "Make link" in page


def test_an_unfinished_clip_offers_no_share(alice_client, alice, make_generation):
    running = make_generation(alice, "Still running", status="processing")
    assert "Make link" not in alice_client.get(running.get_absolute_url()).content.decode()


@pytest.mark.parametrize("days", [7, 30])
def test_a_link_expires_after_the_days_chosen(alice, alice_client, fox, days):
    before = timezone.now()
    response = alice_client.post(
        f"/generations/{fox.pk}/share/", {"expires": str(days), "allow_download": "on"}
    )
    link = ShareLink.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/account/#share-{link.pk}"
    assert link.generation == fox and link.board is None and link.created_by == alice
    assert link.allow_download
    expected = before + timedelta(days=days)
    assert abs((link.expires_at - expected).total_seconds()) < 60


def test_a_link_may_never_expire_and_refuse_downloads(alice_client, fox):
    alice_client.post(f"/generations/{fox.pk}/share/", {"expires": "0"})
    link = ShareLink.objects.get()
    assert link.expires_at is None and not link.allow_download
    assert len(link.token) >= 43  # 256 random bits, URL-safe


def test_with_htmx_the_link_is_shown_to_copy(alice_client, fox):
    response = alice_client.post(
        f"/generations/{fox.pk}/share/", {"expires": "30"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    link = ShareLink.objects.get()
    html = response.content.decode()
    url = f"http://testserver/s/{link.token}/"
    assert f'value="{url}"' in html and f'data-copy="{url}"' in html
    assert "Copy link" in html and "without downloads" in html


def test_the_link_uses_the_public_address_when_the_studio_knows_it(alice_client, fox, settings):
    settings.PUBLIC_URL = "https://studio.example.com/"
    response = alice_client.post(
        f"/generations/{fox.pk}/share/", {"expires": "7"}, HTTP_HX_REQUEST="true"
    )
    token = ShareLink.objects.get().token
    assert f'value="https://studio.example.com/s/{token}/"' in response.content.decode()


def test_a_choice_not_offered_is_refused_in_words_keeping_what_was_chosen(alice_client, fox):
    response = alice_client.post(
        f"/generations/{fox.pk}/share/", {"expires": "365", "allow_download": "on"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose when the link stops working: after 7 days, 30 days or never." in html
    assert re.search(r'name="allow_download"[^>]*checked', html)
    assert not ShareLink.objects.exists()


def test_a_deleted_clip_cannot_be_shared(alice_client, fox):
    fox.soft_delete(by=fox.owner)
    assert alice_client.post(f"/generations/{fox.pk}/share/", {"expires": "30"}).status_code == 404
    assert not ShareLink.objects.exists()


def test_an_unfinished_clip_is_refused_in_words(alice, alice_client, make_generation):
    running = make_generation(alice, "Still running", status="processing")
    response = alice_client.post(
        f"/generations/{running.pk}/share/", {"expires": "30"}, HTTP_HX_REQUEST="true"
    )
    assert "Only a finished clip can be shared" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_a_board_is_shared_from_its_page(alice, bob_client, fox):
    board = Board.make(name="Client picks", by=alice)
    page = bob_client.get(board.get_absolute_url()).content.decode()
    assert f'action="/boards/{board.pk}/share/"' in page and "Make link" in page
    response = bob_client.post(f"/boards/{board.pk}/share/", {"expires": "7"})
    assert response.status_code == 302
    link = ShareLink.objects.get()
    assert link.board == board and link.generation is None and link.created_by.username == "bob"


def test_an_unknown_board_or_clip_is_a_404(alice_client):
    assert alice_client.post("/boards/99999/share/", {"expires": "7"}).status_code == 404
    missing = "/generations/00000000-0000-4000-8000-000000000009/share/"
    assert alice_client.post(missing, {"expires": "7"}).status_code == 404
