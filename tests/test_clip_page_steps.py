"""A clip's page steps to the clips beside it in the gallery it was opened from (links, and the
arrow keys that follow them)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone


@pytest.fixture
def three(alice, bob, make_generation):
    now = timezone.now()
    return [
        make_generation(alice, "oldest heron", "completed", created_at=now - timedelta(minutes=3)),
        make_generation(bob, "middle fox", "completed", created_at=now - timedelta(minutes=2)),
        make_generation(alice, "newest heron", "completed", created_at=now - timedelta(minutes=1)),
    ]


def steps(client, clip, **filters) -> dict[str, str]:
    html = client.get(clip.get_absolute_url(), filters).content.decode()
    found = {}
    for step in ("newer", "older"):
        marker = f'data-step="{step}"'
        if marker in html:
            found[step] = html.split(marker)[1].split('href="')[1].split('"')[0]
    return found


def test_it_links_the_clips_either_side(alice_client, three):
    oldest, middle, newest = three
    assert steps(alice_client, middle) == {
        "newer": newest.get_absolute_url(),
        "older": oldest.get_absolute_url(),
    }
    assert steps(alice_client, newest) == {"older": middle.get_absolute_url()}
    assert steps(alice_client, oldest) == {"newer": middle.get_absolute_url()}


def test_it_keeps_to_the_filtered_gallery(alice_client, three):
    oldest, _, newest = three
    found = steps(alice_client, newest, q="heron")
    assert found == {"older": f"{oldest.get_absolute_url()}?q=heron"}


def test_card_links_carry_the_gallery_filters(alice_client, three):
    html = alice_client.get(reverse("studio"), {"q": "heron", "who": "everyone"}).content.decode()
    assert f'href="{three[2].get_absolute_url()}?who=everyone&amp;q=heron"' in html


def test_nonsense_filters_step_through_everything(alice_client, three):
    found = steps(alice_client, three[1], status="sideways")
    assert set(found) == {"newer", "older"}
