"""Each share link counts its views: one conditional UPDATE (views = views + 1) per page opened
while the link is live; its media (a player's many Range requests) and dead links count none."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from generations.models import ShareLink
from tests.clip_files import stored_clip


@pytest.fixture
def fox(alice, make_generation):
    return stored_clip(make_generation, alice, "A red fox in fresh snow")


@pytest.fixture
def link(alice, fox) -> ShareLink:
    return ShareLink.make(by=alice, generation=fox, expiry_days=30, allow_download=True)


def views(link: ShareLink) -> int:
    return ShareLink.objects.values_list("views", flat=True).get(pk=link.pk)


def test_each_page_view_counts_once(link):
    for _ in range(3):
        Client().get(f"/s/{link.token}/")
    assert views(link) == 3


def test_the_count_is_one_conditional_update(link):
    with CaptureQueriesContext(connection) as queries:
        Client().get(f"/s/{link.token}/")
    updates = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "sharelink" in q["sql"]
    ]
    assert len(updates) == 1 and '"views" + 1' in updates[0].replace("`", '"'), updates
    assert "revoked_at" in updates[0]


def test_media_and_downloads_do_not_count(link, fox):
    client = Client()
    client.get(f"/s/{link.token}/clip/{fox.pk}.mp4", HTTP_RANGE="bytes=0-99")
    client.get(f"/s/{link.token}/clip/{fox.pk}.jpg")
    client.get(f"/s/{link.token}/clip/{fox.pk}/download/")
    assert views(link) == 0


def test_a_dead_link_counts_nothing(alice, link):
    Client().get(f"/s/{link.token}/")
    link.revoke(by=alice)
    Client().get(f"/s/{link.token}/")
    assert views(link) == 1


def test_count_view_says_when_the_link_went_dead_meanwhile(alice, link):
    stale = ShareLink.objects.get(pk=link.pk)
    link.revoke(by=alice)
    assert not stale.count_view()
    assert views(link) == 0


def test_the_maker_sees_the_count_on_their_account_page(alice_client, link):
    Client().get(f"/s/{link.token}/")
    Client().get(f"/s/{link.token}/")
    assert "2 views" in alice_client.get("/account/").content.decode()
