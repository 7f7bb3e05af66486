"""An expired, revoked, deleted-target, forged or truncated share link answers 404 with a plain
page: no studio header, no way into the studio, the same words for every kind of dead link."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from generations.models import Board, ShareLink
from tests.clip_files import stored_clip


@pytest.fixture
def fox(alice, make_generation):
    return stored_clip(make_generation, alice, "A red fox in fresh snow")


@pytest.fixture
def link(alice, fox) -> ShareLink:
    return ShareLink.make(by=alice, generation=fox, expiry_days=7, allow_download=True)


def urls(link: ShareLink, fox) -> list[str]:
    base = f"/s/{link.token}"
    return [f"{base}/", f"{base}/clip/{fox.pk}.mp4", f"{base}/clip/{fox.pk}.jpg",
            f"{base}/clip/{fox.pk}/download/"]  # fmt: skip


def assert_dead(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 404, url
    html = response.content.decode()
    assert "This link doesn't work" in html
    assert "topbar" not in html and 'href="/"' not in html and "A red fox" not in html


def test_a_live_link_opens(link, fox):
    for url in urls(link, fox):
        assert Client().get(url).status_code == 200, url


def test_an_expired_link_is_a_404(link, fox):
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        for url in urls(link, fox):
            assert_dead(url)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert Client().get(f"/s/{link.token}/").status_code == 200


def test_a_link_that_never_expires_still_opens_years_later(alice, fox):
    forever = ShareLink.make(by=alice, generation=fox, expiry_days=0, allow_download=True)
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert Client().get(f"/s/{forever.token}/").status_code == 200


def test_a_revoked_link_is_a_404(alice, link, fox):
    assert link.revoke(by=alice)
    for url in urls(link, fox):
        assert_dead(url)


def test_a_link_to_a_deleted_clip_is_a_404(alice, link, fox):
    fox.soft_delete(by=alice)
    for url in urls(link, fox):
        assert_dead(url)


def test_a_link_to_a_deleted_board_is_a_404(alice, fox):
    board = Board.make(name="Gone soon", by=alice)
    board.add([fox.pk], by=alice)
    link = ShareLink.make(by=alice, board=board, expiry_days=30, allow_download=True)
    board.delete()
    assert_dead(f"/s/{link.token}/")


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1],  # truncated by a mail client
        lambda token: token[:20],
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character off
        lambda token: token + "x",
        lambda token: token.upper() if token.upper() != token else token.lower(),
        lambda token: "x" * 43,
        lambda token: "%00",
        lambda token: "é" * 43,
    ],
    ids=["one short", "half", "one off", "one more", "case", "made up", "NUL", "not ASCII"],
)
def test_a_forged_or_truncated_token_is_a_404(link, fox, forge):
    assert_dead(f"/s/{forge(link.token)}/")
    assert_dead(f"/s/{forge(link.token)}/clip/{fox.pk}.mp4")


def test_a_dead_or_guessed_token_is_not_written_to_the_log(alice, link, caplog):
    link.revoke(by=alice)
    with caplog.at_level("DEBUG", logger="django"):
        assert Client().get(f"/s/{link.token}/").status_code == 404
        assert Client().get(f"/s/{link.token[:-1]}/").status_code == 404
    assert link.token[:-1] not in caplog.text
