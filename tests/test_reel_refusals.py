"""Pressing "Make reel" is refused in words, the reel left as it was and no file made: with no shots, with a
shot whose clip was deleted, with a shot not finished or failed, and when it is already made as
it stands. A clip deleted, or a shot's file lost, after the reel was asked for fails the task in
words, and nothing half-made is left behind: no file in the storage, no temporary folder."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.models import Status
from generations.models.reels import Reel, ReelRefusal, ReelState
from generations.pipeline import reels as making

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def reel(alice):
    return Reel.make(name="Refusals", by=alice)


def unchanged(reel, state=ReelState.DRAFT) -> None:
    version = reel.version
    reel.refresh_from_db()
    assert reel.state == state and reel.version == version
    assert not reel.file and reel.requested_at is None


def press(client, reel, **headers):
    return client.post(reverse("reel_make", args=[reel.pk]), **headers)


def test_no_shots(alice_client, reel):
    page = alice_client.get(reel.get_absolute_url()).content.decode()
    assert 'disabled aria-describedby="make-reel-why">Make reel</button>' in page
    words = "Add shots first: a reel with no shots has nothing to make."
    assert words in page
    for headers in ({}, HTMX):
        response = press(alice_client, reel, **headers)
        assert words in response.content.decode()
        assert response.status_code == (200 if headers else 409)
    unchanged(reel)


def test_a_shot_whose_clip_was_deleted(alice, alice_client, reel, make_generation):
    kept = make_generation(alice, "A lighthouse", "completed")
    gone = make_generation(alice, "A fox in the snow", "completed")
    reel.add([kept.pk, gone.pk], by=alice)
    gone.soft_delete(by=alice)
    response = press(alice_client, reel)
    assert response.status_code == 409
    words = (
        "Shot 2 (“A fox in the snow”) is gone: its clip was deleted. Remove the shot, then make "
        "the reel."
    )
    assert words in response.content.decode()
    unchanged(reel)


def test_a_shot_not_finished_or_failed(alice, reel, make_generation):
    running = make_generation(alice, "Still rendering", "processing")
    reel.add([running.pk], by=alice)
    with pytest.raises(ReelRefusal, match=r"Shot 1 \(“Still rendering”\) is not finished yet"):
        reel.request_making()
    running.fail("Outage.")
    with pytest.raises(ReelRefusal, match=r"failed and has no video\. Remove the shot"):
        reel.request_making()
    unchanged(reel)


def test_a_reel_made_as_it_stands_is_not_made_again(alice, alice_client, reel, make_generation):
    reel.add([make_generation(alice, "A lighthouse", "completed").pk], by=alice)
    reel.request_making()
    with pytest.raises(ReelRefusal, match="already waiting to be made"):
        reel.request_making()
    Reel.objects.filter(pk=reel.pk).update(state=ReelState.READY, file="reels/x.mp4")
    page = alice_client.get(reel.get_absolute_url()).content.decode()
    assert "This reel is made and up to date: nothing has changed since." in page
    assert press(alice_client, reel).status_code == 409


@pytest.mark.django_db(transaction=True)
def test_a_clip_deleted_after_the_press_fails_the_task_in_words(alice, make_generation):
    reel = Reel.make(name="Late delete", by=alice)
    clip = make_generation(alice, "A harbour at dawn", "completed")
    reel.add([clip.pk], by=alice)
    reel.request_making()
    clip.soft_delete(by=alice)
    assert making.make_reel(reel.pk) == "failed"
    reel.refresh_from_db()
    assert reel.state == ReelState.FAILED and not reel.file
    assert reel.state_words() == (
        "Could not be made: Shot 1 (“A harbour at dawn”) is gone: its clip was deleted. Remove "
        "the shot, then make the reel."
    )
    assert nothing_left_behind(reel)


@pytest.mark.django_db(transaction=True)
def test_a_shot_that_is_not_a_video_fails_in_words_leaving_nothing(alice, make_generation):
    name = default_storage.save("clips/broken.mp4", ContentFile(b"not an mp4 at all" * 100))
    broken = make_generation(alice, "A broken file", "completed", video=name)
    reel = Reel.make(name="Broken", by=alice)
    reel.add([broken.pk], by=alice)
    reel.request_making()
    assert making.make_reel(reel.pk) == "failed"
    reel.refresh_from_db()
    assert reel.state == ReelState.FAILED and not reel.file
    assert reel.error.startswith("Shot 1 (“A broken file”) cannot be read:")
    assert nothing_left_behind(reel)


@pytest.mark.django_db(transaction=True)
def test_a_shot_whose_file_is_missing_fails_in_words_leaving_nothing(alice, make_generation):
    clip = make_generation(alice, "Lost file", "completed", video="clips/never-stored.mp4")
    reel = Reel.make(name="Lost", by=alice)
    reel.add([clip.pk], by=alice)
    reel.request_making()
    assert making.make_reel(reel.pk) == "failed"
    reel.refresh_from_db()
    assert "Shot 1 (“Lost file”) could not be read from the studio's storage" in reel.error
    assert nothing_left_behind(reel)
    # Its page says so, and offers to make it again.
    assert reel.state_words().startswith("Could not be made: Shot 1")
    assert reel.why_not_make_now() == ""


def test_a_failed_clip_cannot_become_a_shot(alice, alice_client, reel, make_generation):
    failed = make_generation(alice, "Broken", Status.FAILED, failure_reason="Outage.")
    response = alice_client.post(reverse("reel_add"), {"ids": [failed.pk], "reel": reel.pk})
    assert response.status_code == 302 and not reel.shots.exists()
    page = alice_client.get(response["Location"]).content.decode()
    assert "a failed clip has no video to put in a reel" in page


def nothing_left_behind(reel) -> bool:
    stored = default_storage.listdir("reels")[1] if default_storage.exists("reels") else []
    folders = list(making.work_root().glob(f"reel-{reel.pk}-*"))
    return not stored and not folders
