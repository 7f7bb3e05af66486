"""Continue from last frame: a finished clip opens the studio form with its last frame as the first
frame and its settings, the member writes what happens next, and the new clip records the clip it
continues; the clip pages show the chain. A clip that can't be continued says why, in words, and
nothing half-made is left behind."""

import re
import uuid
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.urls import reverse

from apiframe_simulator.render import render_clip
from generations.models import Generation
from tests.fixtures import picture

HTMX = {"HTTP_HX_REQUEST": "true"}
NEXT = "The kite string snaps and it drifts out over the sea [Pan right]"


@pytest.fixture(scope="module")
def rendered_clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("continue-clips")
    return render_clip(folder / "clip.mp4", prompt="A kite over a beach", height=768, duration=2)


@pytest.fixture
def bobs_clip(bob, make_generation, rendered_clip) -> Generation:
    """Bob's finished 768p, 10 s clip, made without the prompt optimizer, its MP4 stored."""
    with rendered_clip.open("rb") as clip:
        name = default_storage.save("clips/kite.mp4", File(clip))
    return make_generation(
        bob,
        "A kite over a beach",
        "completed",
        video=name,
        poster="",
        resolution="768p",
        duration=10,
        prompt_optimizer=False,
    )


def continue_url(clip) -> str:
    return reverse("generation_continue", args=[clip.pk])


def create(client, htmx=True, **fields):
    data = {"prompt": NEXT, "resolution": "768p", "duration": "10", **fields}
    return client.post(reverse("generation_create"), data, **(HTMX if htmx else {}))


def kept_last_frames() -> list[str]:
    folders = default_storage.listdir("")[0]
    return default_storage.listdir("last-frames")[1] if "last-frames" in folders else []


def test_the_card_and_the_clip_page_offer_it(alice_client, bobs_clip):
    studio = alice_client.get(reverse("studio")).content.decode()
    assert f'hx-get="{continue_url(bobs_clip)}" hx-target="#studio-form"' in studio
    assert ">Continue from last frame</a>" in studio
    page = alice_client.get(bobs_clip.get_absolute_url()).content.decode()
    assert f'href="{continue_url(bobs_clip)}">Continue from last frame</a>' in page


def test_it_opens_the_form_with_the_last_frame_and_the_same_settings(alice_client, bobs_clip):
    response = alice_client.get(continue_url(bobs_clip), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    frame = Generation.objects.get(pk=bobs_clip.pk).last_frame
    assert frame.name == f"last-frames/{bobs_clip.pk}.png"
    assert "continuing bob's clip" in html
    assert f'name="continues" value="{bobs_clip.pk}"' in html
    assert f'src="{frame.url}"' in html  # the preview of the first frame it will start from
    assert re.search(r'name="duration" value="10"[^>]*checked', html)
    assert re.search(r'name="resolution" value="768p"[^>]*checked', html)
    assert not re.search(r'name="prompt_optimizer"[^>]*checked', html)
    assert re.search(r"<textarea [^>]*>\s*</textarea>", html)  # the next prompt is the member's
    assert alice_client.get(frame.url).status_code == 200  # served to members like first frames


def test_without_htmx_it_opens_the_whole_studio_with_the_form_open(alice_client, bobs_clip):
    html = alice_client.get(continue_url(bobs_clip)).content.decode()
    assert 'id="gallery-cards"' in html and "continuing bob's clip" in html
    assert re.search(r'<section class="compose" id="compose"[^>]*data-open', html)


def test_submitting_makes_a_clip_that_continues_it_from_its_last_frame(alice_client, bobs_clip):
    alice_client.get(continue_url(bobs_clip), **HTMX)
    response = create(alice_client, continues=str(bobs_clip.pk))
    assert response.status_code == 200, response.content.decode()[:500]
    made = Generation.objects.exclude(pk=bobs_clip.pk).get()
    assert made.continues_id == bobs_clip.pk and made.owner.get_username() == "alice"
    assert made.first_frame.name == f"first-frames/{made.pk}.png"
    last = Generation.objects.get(pk=bobs_clip.pk).last_frame
    with made.first_frame.open("rb") as first, last.open("rb") as frame:
        assert first.read() == frame.read()  # uploaded to Apiframe like any first frame
    assert (made.resolution, made.duration, made.prompt.text) == ("768p", 10, NEXT)


def test_the_hidden_field_alone_is_enough(alice_client, bobs_clip):
    """A form sent without opening the route first (or the frame not made yet) makes it then."""
    create(alice_client, htmx=False, continues=str(bobs_clip.pk))
    made = Generation.objects.get(continues=bobs_clip)
    assert made.first_frame and Generation.objects.get(pk=bobs_clip.pk).last_frame


def test_a_last_frame_gone_before_submit_is_refused_in_words(alice_client, bobs_clip):
    alice_client.get(continue_url(bobs_clip), **HTMX)  # the frame is made, then its file goes
    frame = Generation.objects.get(pk=bobs_clip.pk).last_frame
    default_storage.delete(frame.name)
    response = create(alice_client, htmx=False, continues=str(bobs_clip.pk))
    assert response.status_code == 400
    assert "is gone (its clip was deleted)" in response.content.decode()
    assert not Generation.objects.filter(continues=bobs_clip).exists()


def test_another_image_instead_starts_a_clip_of_its_own(alice_client, bobs_clip):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("mine.png", picture())
    create(alice_client, continues=str(bobs_clip.pk), image=image)
    made = Generation.objects.exclude(pk=bobs_clip.pk).get()
    assert made.continues_id is None and made.first_frame


def test_the_clip_pages_show_the_chain(alice_client, bob, bobs_clip, make_generation):
    second = make_generation(bob, "The kite lands on a boat", "completed", continues=bobs_clip)
    third = make_generation(bob, "The boat sails into fog", "failed", continues=second)
    gone = make_generation(bob, "A deleted branch", "completed", continues=bobs_clip)
    gone.soft_delete()

    first_page = alice_client.get(bobs_clip.get_absolute_url()).content.decode()
    assert "Continued by" in first_page and second.get_absolute_url() in first_page
    assert "A deleted branch" not in first_page
    middle = alice_client.get(second.get_absolute_url()).content.decode()
    assert re.search(rf'Continues <a href="{bobs_clip.get_absolute_url()}">bob', middle)
    assert re.search(rf'Continued by <a href="{third.get_absolute_url()}">', middle)
    last = alice_client.get(third.get_absolute_url()).content.decode()
    story = last[last.index('<ol class="story"') : last.index("</ol>")]
    assert story.index(bobs_clip.get_absolute_url()) < story.index(second.get_absolute_url())
    assert 'aria-current="page">This clip' in story


def test_a_deleted_parent_is_named_as_one(alice_client, bob, bobs_clip, make_generation):
    second = make_generation(bob, "The kite lands on a boat", "completed", continues=bobs_clip)
    bobs_clip.soft_delete()
    page = alice_client.get(second.get_absolute_url()).content.decode()
    assert "Continues a deleted clip of bob's" in page


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_clip_whose_video_file_is_gone_is_refused_in_words(alice_client, bobs_clip, htmx):
    default_storage.delete(bobs_clip.video.name)
    response = alice_client.get(continue_url(bobs_clip), **(HTMX if htmx else {}))
    html = response.content.decode()
    assert response.status_code == (200 if htmx else 409)
    assert "video file is gone, so it has no last frame to continue from" in html
    if htmx:
        assert response["HX-Reswap"] == "none" and 'hx-swap-oob="true"' in html
    assert kept_last_frames() == [] and Generation.objects.count() == 1


def test_a_deleted_clip_is_refused_in_words(alice_client, bobs_clip):
    bobs_clip.soft_delete()
    response = alice_client.get(continue_url(bobs_clip))
    assert response.status_code == 410
    assert "That clip was deleted: there is nothing to continue." in response.content.decode()
    assert kept_last_frames() == []


def test_an_unfinished_clip_is_refused_in_words(alice_client, bob, make_generation):
    running = make_generation(bob, "Still on its way", "processing")
    response = alice_client.get(continue_url(running))
    assert response.status_code == 409
    assert "Only a finished clip can be continued" in response.content.decode()
    assert "Continue from last frame" not in alice_client.get(reverse("studio")).content.decode()


def test_an_unknown_clip_is_a_404(alice_client, db):
    assert alice_client.get(reverse("generation_continue", args=[uuid.uuid4()])).status_code == 404


@pytest.mark.parametrize(
    "value", ["not-a-uuid", "5d9c6b1e-0000-4000-8000-000000000000"], ids=["malformed", "unknown"]
)
def test_a_bad_hidden_field_is_a_field_error(alice_client, bobs_clip, value):
    response = create(alice_client, continues=value)
    html = response.content.decode()
    start = html.index('id="errors-continues"')
    words = "The clip to continue is not one of the studio&#x27;s clips."
    assert words in html[start : html.index("</div>", start)]
    assert Generation.objects.count() == 1


def test_a_parent_deleted_before_the_submit_is_a_field_error(alice_client, bobs_clip):
    alice_client.get(continue_url(bobs_clip), **HTMX)
    Generation.objects.get(pk=bobs_clip.pk).soft_delete()
    response = create(alice_client, htmx=False, continues=str(bobs_clip.pk))
    assert response.status_code == 400
    assert "That clip was deleted: there is nothing to continue." in response.content.decode()
    assert NEXT.split(" [")[0] in response.content.decode()  # what was typed stays
    assert Generation.objects.count() == 1


def test_a_retried_continuation_still_continues_its_clip(alice, alice_client, bobs_clip):
    create(alice_client, continues=str(bobs_clip.pk))
    made = Generation.objects.get(continues=bobs_clip)
    Generation.objects.filter(pk=made.pk).update(status="failed", failure_reason="Outage.")
    alice_client.post(reverse("generation_retry", args=[made.pk]))
    retried = Generation.objects.get(retry_of=made)
    assert retried.continues_id == bobs_clip.pk and retried.first_frame
