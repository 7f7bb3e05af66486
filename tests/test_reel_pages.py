"""The reels' pages: the team's reels at /reels/ with each one's shots, length and state in
words; a reel's page with its shots, "Make reel" and, while it is made, a status that polls itself
every second and brings the player once the file is made; the player's file with Range requests
and a Download; "Add to reel" from a card, a clip's page and a selection, into a reel chosen or
made in the same step. Members only; an unknown reel is a 404."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generations.models.reels import Reel, ReelState

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clips(alice, make_generation):
    return [
        make_generation(alice, prompt, "completed")
        for prompt in ("A lighthouse in a storm", "A fox in the snow")
    ]


@pytest.fixture
def reel(alice, clips):
    reel = Reel.make(name="Showreel", by=alice)
    reel.add([clip.pk for clip in clips], by=alice)
    return reel


def made(reel, body=b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40) -> Reel:
    name = default_storage.save(f"reels/{reel.pk}-v{reel.version}.mp4", ContentFile(body))
    Reel.objects.filter(pk=reel.pk).update(
        state=ReelState.READY, made_version=reel.version, file=name, duration=12.0,
        width=1366, height=768, method="copy", made_at=timezone.now(),
    )  # fmt: skip
    reel.refresh_from_db()
    return reel


def test_the_list_shows_each_reel_in_words(alice_client, alice, reel, clips):
    Reel.make(name="Empty one", by=alice)
    page = alice_client.get("/reels/").content.decode()
    assert "Showreel" in page and "2 shots · 12 s" in page and "Not made yet" in page
    assert "Empty one" in page and "0 shots · 0 s" in page
    assert 'href="/reels/"' in page and ">Reels</a>" in page  # in the site's menu
    Reel.objects.filter(pk=reel.pk).update(state=ReelState.MAKING, progress=40)
    assert "Being made · 40%" in alice_client.get("/reels/").content.decode()
    Reel.objects.filter(pk=reel.pk).update(state=ReelState.FAILED, error="no disk.")
    assert "Could not be made: no disk." in alice_client.get("/reels/").content.decode()


def test_a_reel_is_made_from_the_list_and_a_bad_name_keeps_what_was_typed(alice_client, alice):
    made_one = alice_client.post(reverse("reel_create"), {"name": "Client cut"})
    reel = Reel.objects.get(name="Client cut")
    assert made_one.status_code == 302 and made_one["Location"] == reel.get_absolute_url()
    again = alice_client.post(reverse("reel_create"), {"name": "client CUT"})
    assert again.status_code == 400
    html = again.content.decode()
    assert "There is already a reel named “client CUT”" in html and 'value="client CUT"' in html
    empty = alice_client.post(reverse("reel_create"), {"name": "  "})
    assert empty.status_code == 400 and "Give the reel a name." in empty.content.decode()
    too_long = alice_client.post(reverse("reel_create"), {"name": "x" * 101})
    assert too_long.status_code == 400 and "the limit is 100" in too_long.content.decode()


def test_a_reels_page_shows_its_shots_in_order(alice_client, reel, clips):
    page = alice_client.get(reel.get_absolute_url()).content.decode()
    assert page.index("A lighthouse in a storm") < page.index("A fox in the snow")
    assert page.count(">Move up<") == 2 and page.count(">Remove<") == 2
    assert "data-drag-handle" in page and "js/reels.js" in page
    assert ">Make reel</button>" in page and "hx-trigger" not in page  # nothing to poll


def test_while_it_is_made_its_status_polls_and_once_made_brings_the_player(alice_client, reel):
    pressed = alice_client.post(reverse("reel_make", args=[reel.pk]), **HTMX)
    html = pressed.content.decode()
    assert pressed.status_code == 200 and 'hx-trigger="every 1s"' in html
    assert "Being made · waiting to start" in html
    Reel.objects.filter(pk=reel.pk).update(state=ReelState.MAKING, progress=40)
    polled = alice_client.get(reverse("reel_making", args=[reel.pk]), **HTMX).content.decode()
    assert "Being made · 40%" in polled and 'hx-trigger="every 1s"' in polled
    assert 'value="40"' in polled and "reel-player" not in polled
    made(reel)
    done = alice_client.get(reverse("reel_making", args=[reel.pk]), **HTMX).content.decode()
    assert "hx-trigger" not in done and "Ready" in done
    assert 'id="reel-player"' in done and 'hx-swap-oob="true"' in done
    assert f"/reels/{reel.pk}/reel.mp4?v=" in done and "Download" in done


def test_the_made_file_plays_with_ranges_and_downloads(alice_client, reel):
    reel = made(reel)
    body = default_storage.open(reel.file.name).read()
    part = alice_client.get(reverse("reel_video", args=[reel.pk]), HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert b"".join(part.streaming_content) == body[100:200]
    whole = alice_client.get(reverse("reel_download", args=[reel.pk]))
    assert whole["Content-Disposition"] == f'attachment; filename="showreel-reel-{reel.pk}.mp4"'
    assert b"".join(whole.streaming_content) == body
    page = alice_client.get(reel.get_absolute_url()).content.decode()
    assert "<video" in page and "12 s · 1366×768" in page


def test_a_stale_file_says_so_and_is_not_played(alice, alice_client, reel, clips):
    reel = made(reel)
    reel.move(reel.ordered_shots().first().pk, 1)
    page = alice_client.get(reel.get_absolute_url()).content.decode()
    assert "Stale: edited since it was made" in page and "<video" not in page
    assert "The file made earlier is not shown: the reel was edited since." in page
    assert alice_client.get(reverse("reel_video", args=[reel.pk])).status_code == 404
    assert alice_client.get(reverse("reel_download", args=[reel.pk])).status_code == 404
    assert default_storage.exists(reel.file.name)  # kept until a new one replaces it


def test_add_to_reel_from_a_card_a_clips_page_and_the_selection_bar(alice_client, clips):
    studio = alice_client.get("/").content.decode()
    assert f'href="/reels/choose/?ids={clips[0].pk}" data-board-picker>Add to reel</a>' in studio
    assert 'href="/reels/choose/" data-board-picker data-picks-selection>Add to reel</a>' in studio
    detail = alice_client.get(clips[0].get_absolute_url()).content.decode()
    assert f'href="/reels/choose/?ids={clips[0].pk}" data-board-picker>Add to reel</a>' in detail


def test_the_step_chooses_a_reel_or_makes_one_keeping_the_order_given(alice_client, reel, clips):
    url = f"{reverse('reel_picker')}?ids={clips[1].pk}&ids={clips[0].pk}"
    step = alice_client.get(url, **HTMX).content.decode()
    assert "Add 2 clips to a reel" in step and "Showreel" in step
    done = alice_client.post(
        reverse("reel_add"), {"ids": [clips[1].pk, clips[0].pk], "new_reel": "Backwards"}, **HTMX
    )
    assert "Added 2 clips to “Backwards”." in done.content.decode()
    backwards = Reel.objects.get(name="Backwards")
    assert [s.generation for s in backwards.ordered_shots()] == [clips[1], clips[0]]
    into = alice_client.post(reverse("reel_add"), {"ids": [clips[0].pk], "reel": reel.pk})
    assert into.status_code == 302 and into["Location"] == reel.get_absolute_url()


@pytest.mark.parametrize(
    "data, words",
    [
        ({}, "Choose a reel, or name a new one."),
        ({"reel": "999999"}, "That reel is gone: choose another, or make one."),
        ({"reel": "{reel}", "new_reel": "Another"}, "Choose a reel or name a new one, not both."),
        ({"new_reel": "SHOWREEL"}, "There is already a reel named “SHOWREEL”"),
    ],
)
def test_a_step_not_finished_says_why_and_keeps_the_clips(alice_client, reel, clips, data, words):
    data = {k: v.replace("{reel}", str(reel.pk)) for k, v in data.items()}
    for headers in ({}, HTMX):
        response = alice_client.post(reverse("reel_add"), {"ids": [clips[0].pk], **data}, **headers)
        html = response.content.decode()
        assert words in html and f'name="ids" value="{clips[0].pk}"' in html
        assert response.status_code == (200 if headers else 400)
    assert Reel.objects.count() == 1 and reel.shots.count() == 2


def test_an_unknown_reel_is_not_found(alice_client):
    for name in ("reel_detail", "reel_making", "reel_video", "reel_download"):
        assert alice_client.get(reverse(name, args=[999999])).status_code == 404
    assert alice_client.post(reverse("reel_make", args=[999999])).status_code == 404


def test_visitors_who_are_not_logged_in_are_sent_to_log_in(reel):
    for url in ("/reels/", reel.get_absolute_url(), reverse("reel_video", args=[reel.pk])):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().post(reverse("reel_make", args=[reel.pk])).status_code == 302


def test_a_chain_of_continuations_goes_into_a_reel_in_its_order(alice, alice_client, clips):
    first, second = clips
    third = type(first).objects.create(
        owner=alice, prompt=first.prompt, status="completed", video="clips/third.mp4",
        continues=second,
    )  # fmt: skip
    type(first).objects.filter(pk=second.pk).update(continues=first)
    page = alice_client.get(third.get_absolute_url()).content.decode()
    link = f"/reels/choose/?ids={first.pk}&amp;ids={second.pk}&amp;ids={third.pk}"
    assert f'href="{link}" data-board-picker>Add the chain to a reel</a>' in page
    step = alice_client.get(link.replace("&amp;", "&"), **HTMX).content.decode()
    assert "Add 3 clips to a reel" in step
    alice_client.post(
        reverse("reel_add"), {"ids": [first.pk, second.pk, third.pk], "new_reel": "The story"}
    )
    story = Reel.objects.get(name="The story")
    assert [s.generation_id for s in story.ordered_shots()] == [first.pk, second.pk, third.pk]
