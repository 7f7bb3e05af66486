"""Anyone holding a share link, logged in or not, sees only what it shares: the player(s), the
prompt, the date and a download unless turned off. No other clip, no member's name or email, no
usage, no page of the studio; media only through the link, for its clips, with Range; the studio's
own /media/ stays for members. The pages are noindex and hold no form."""

import re

import pytest
from django.test import Client

from generations.models import Board, ShareLink
from tests.clip_files import clip_bytes, stored_clip


@pytest.fixture
def clips(alice, bob, make_generation):
    alice.email = "alice@example.com"
    alice.save()
    return {
        "fox": stored_clip(make_generation, alice, "A red fox in fresh snow", size=10_000),
        "city": stored_clip(make_generation, bob, "Neon city at night, rain", size=8_000),
        "secret": stored_clip(make_generation, alice, "An unreleased teaser", size=6_000),
    }


@pytest.fixture
def clip_link(alice, clips) -> ShareLink:
    return ShareLink.make(by=alice, generation=clips["fox"], expiry_days=30, allow_download=True)


@pytest.fixture
def board_link(alice, bob, clips) -> ShareLink:
    board = Board.make(name="Client picks", by=alice)
    board.add([clips["fox"].pk, clips["city"].pk], by=bob)
    return ShareLink.make(by=bob, board=board, expiry_days=7, allow_download=True)


def test_a_clip_link_shows_the_player_prompt_and_date_and_nothing_else(clip_link, clips):
    fox = clips["fox"]
    response = Client().get(f"/s/{clip_link.token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A red fox in fresh snow" in html
    assert f'src="/s/{clip_link.token}/clip/{fox.pk}.mp4"' in html
    assert f'poster="/s/{clip_link.token}/clip/{fox.pk}.jpg"' in html
    assert fox.created_at.strftime("%Y-%m-%d") in html
    assert re.search(r">\s*Download\s*<", html)
    for hidden in ("alice", "bob", "example.com", "Neon city", "unreleased", "credits", "/media/"):
        assert hidden not in html, hidden
    # Nothing of the studio: no header, no link into it, no form, no CSRF token, no script.
    assert "topbar" not in html and 'href="/"' not in html and "/accounts/" not in html
    assert "<form" not in html and "csrfmiddlewaretoken" not in html and "<script" not in html
    assert "csrftoken" not in response.cookies and "sessionid" not in response.cookies


def test_share_pages_and_their_media_are_noindex(clip_link, clips):
    client = Client()
    page = client.get(f"/s/{clip_link.token}/")
    assert '<meta name="robots" content="noindex">' in page.content.decode()
    video = client.get(f"/s/{clip_link.token}/clip/{clips['fox'].pk}.mp4")
    missing = client.get("/s/no-such-token/")
    for response in (page, video, missing):
        assert response["X-Robots-Tag"] == "noindex"
        assert response["Referrer-Policy"] == "no-referrer"


def test_the_clip_plays_through_the_link_with_range_requests(clip_link, clips):
    fox = clips["fox"]
    url = f"/s/{clip_link.token}/clip/{fox.pk}.mp4"
    whole = Client().get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    assert b"".join(whole.streaming_content) == clip_bytes(str(fox.pk), 10_000)
    part = Client().get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 100-199/10000"
    assert b"".join(part.streaming_content) == clip_bytes(str(fox.pk), 10_000)[100:200]
    assert Client().get(url, HTTP_RANGE="bytes=20000-").status_code == 416
    poster = Client().get(f"/s/{clip_link.token}/clip/{fox.pk}.jpg")
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"


def test_the_links_media_answer_for_its_clips_only(clip_link, board_link, clips):
    for link, other in ((clip_link, clips["city"]), (board_link, clips["secret"])):
        for suffix in (".mp4", ".jpg", "/download/"):
            url = f"/s/{link.token}/clip/{other.pk}{suffix}"
            assert Client().get(url).status_code == 404, url


def test_the_studios_own_media_stay_for_members(clip_link, clips):
    response = Client().get(f"/media/{clips['fox'].video.name}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_download_button_gives_the_mp4(clip_link, clips):
    fox = clips["fox"]
    response = Client().get(f"/s/{clip_link.token}/clip/{fox.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{fox.download_name}"'
    assert b"".join(response.streaming_content) == clip_bytes(str(fox.pk), 10_000)


def test_downloads_turned_off_leave_no_button_and_no_download(alice, clips):
    link = ShareLink.make(by=alice, generation=clips["fox"], expiry_days=0, allow_download=False)
    html = Client().get(f"/s/{link.token}/").content.decode()
    assert "A red fox in fresh snow" in html and "Download" not in html
    url = f"/s/{link.token}/clip/{clips['fox'].pk}/download/"
    assert Client().get(url).status_code == 404
    assert Client().get(f"/s/{link.token}/clip/{clips['fox'].pk}.mp4").status_code == 200


def test_a_board_link_shows_its_clips_in_order_and_no_other(board_link, clips):
    html = Client().get(f"/s/{board_link.token}/").content.decode()
    assert "Client picks" in html
    assert html.index("Neon city at night") < html.index("A red fox")  # newest first
    assert "unreleased" not in html and "alice" not in html and "bob" not in html
    assert f'href="/s/{board_link.token}/download/"' in html


def test_a_board_link_downloads_its_clips_as_a_zip_with_prompts_and_dates_only(board_link, clips):
    import csv
    import io
    import zipfile

    response = Client().get(f"/s/{board_link.token}/download/")
    assert response.status_code == 200 and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [
        clips["city"].download_name,
        clips["fox"].download_name,
        "clips.csv",
    ]
    text = archive.read("clips.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["file", "prompt", "created"]
    assert "alice" not in text and "bob" not in text


def test_a_clip_deleted_from_a_shared_board_leaves_it(board_link, clips):
    clips["city"].soft_delete(by=clips["city"].owner)
    html = Client().get(f"/s/{board_link.token}/").content.decode()
    assert "Neon city" not in html and "A red fox" in html
    assert Client().get(f"/s/{board_link.token}/clip/{clips['city'].pk}.mp4").status_code == 404


def test_a_member_opening_a_link_sees_the_same_bare_page(alice_client, clip_link):
    html = alice_client.get(f"/s/{clip_link.token}/").content.decode()
    assert "topbar" not in html and "alice" not in html and "<form" not in html
