"""A deleted finished clip can be taken back for a few seconds; after that its files go."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation
from generations.models.generations import UNDO_SECONDS
from generations.pipeline import track

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def finished(alice, make_generation):
    clip = make_generation(alice, "A kite over the dunes", "completed")
    for name in (clip.video.name, clip.poster.name):
        default_storage.save(name, ContentFile(b"bytes of " + name.encode()))
    return clip


def files_of(clip) -> list[bool]:
    return [default_storage.exists(name) for name in ("clips/example.mp4", "posters/example.jpg")]


def test_it_offers_an_undo_in_place_of_the_card(alice_client, finished):
    response = alice_client.post(reverse("generation_delete", args=[finished.pk]), **HTMX)
    html = response.content.decode()
    assert f'id="gen-{finished.pk}"' in html and "Undo" in html
    assert reverse("generation_restore", args=[finished.pk]) in html
    finished.refresh_from_db()
    assert finished.deleted_at is not None and files_of(finished) == [True, True]
    # The rest of the team no longer sees it meanwhile.
    assert not Generation.objects.visible().filter(pk=finished.pk).exists()


def test_undo_brings_the_clip_back_as_it_was(alice_client, finished):
    alice_client.post(reverse("generation_delete", args=[finished.pk]), **HTMX)
    response = alice_client.post(reverse("generation_restore", args=[finished.pk]), **HTMX)
    assert response.status_code == 200
    assert 'class="card status-completed"' in response.content.decode()
    clip = Generation.objects.visible().get(pk=finished.pk)
    assert clip.video.name == "clips/example.mp4" and clip.poster.name == "posters/example.jpg"
    assert clip.deleted_by is None


def test_after_the_undo_window_it_is_too_late(alice_client, finished):
    alice_client.post(reverse("generation_delete", args=[finished.pk]), **HTMX)
    later = timezone.now() + timedelta(seconds=UNDO_SECONDS + 1)
    with time_machine.travel(later):
        response = alice_client.post(reverse("generation_restore", args=[finished.pk]), **HTMX)
    assert "Too late to undo" in response.content.decode()
    assert not Generation.objects.visible().filter(pk=finished.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_tracker_drops_the_files_once_the_undo_has_run_out(alice_client, finished):
    alice_client.post(reverse("generation_delete", args=[finished.pk]), **HTMX)
    assert not Generation.objects.due().files_to_drop().exists()  # still undoable
    assert Generation.objects.needing_the_tracker(timedelta(0)).exists()  # the loop waits for it
    # The undo ran out a moment ago.
    past = timezone.now() - timedelta(seconds=UNDO_SECONDS + 1)
    Generation.objects.filter(pk=finished.pk).update(
        deleted_at=past, next_check_at=past + timedelta(seconds=UNDO_SECONDS)
    )
    assert track.run_tracker(seconds=10)
    assert files_of(finished) == [False, False]
    finished.refresh_from_db()
    assert not finished.video and not finished.poster and finished.deleted_at
    assert not Generation.objects.in_pipeline().exists()
    assert alice_client.post(reverse("generation_restore", args=[finished.pk])).status_code == 302


def test_an_undo_just_in_time_keeps_the_files(alice_client, finished):
    alice_client.post(reverse("generation_delete", args=[finished.pk]), **HTMX)
    with time_machine.travel(timezone.now() + timedelta(seconds=UNDO_SECONDS + 1)):
        claimed = Generation.objects.due().files_to_drop().claim(limit=4, lease_seconds=30)
    Generation.objects.filter(pk=finished.pk).update(deleted_at=timezone.now())  # "undone"
    finished.refresh_from_db()
    assert finished.restore()
    with time_machine.travel(timezone.now() + timedelta(seconds=UNDO_SECONDS + 1)):
        assert claimed[0].drop_files_after_undo() is False
    assert files_of(finished) == [True, True]


def test_a_clip_deleted_from_its_page_is_undone_from_the_studio(alice_client, finished):
    response = alice_client.post(reverse("generation_delete", args=[finished.pk]))
    assert response.status_code == 302 and f"deleted={finished.pk}" in response["Location"]
    studio = alice_client.get(response["Location"]).content.decode()
    assert "Deleted “A kite over the dunes”." in studio and "Undo" in studio
    back = alice_client.post(reverse("generation_restore", args=[finished.pk]))
    assert back["Location"] == finished.get_absolute_url()


def test_a_running_clip_has_no_undo(alice_client, alice, make_generation):
    running = make_generation(alice, "Still rendering", "processing")
    response = alice_client.post(reverse("generation_delete", args=[running.pk]), **HTMX)
    assert response.content == b""  # Apiframe may still bill it: the confirm said so
    assert alice_client.post(reverse("generation_restore", args=[running.pk]), **HTMX).status_code
    assert not Generation.objects.visible().filter(pk=running.pk).exists()


def test_only_the_author_or_staff_may_undo(alice_client, bob_client, staff_client, finished):
    alice_client.post(reverse("generation_delete", args=[finished.pk]), **HTMX)
    assert bob_client.post(reverse("generation_restore", args=[finished.pk])).status_code == 403
    assert bob_client.get(f"{reverse('studio')}?deleted={finished.pk}").content.count(b"Undo") == 0
    assert staff_client.post(reverse("generation_restore", args=[finished.pk])).status_code == 302


def test_a_clip_never_deleted_cannot_be_restored(alice_client, finished):
    assert alice_client.post(reverse("generation_restore", args=[finished.pk])).status_code == 404


def test_a_poster_still_to_make_is_made_after_an_undo(alice_client, alice, make_generation):
    clip = make_generation(alice, "No poster yet", "completed", poster="", next_check_at=None)
    Generation.objects.filter(pk=clip.pk).update(next_check_at=timezone.now())
    alice_client.post(reverse("generation_delete", args=[clip.pk]), **HTMX)
    clip.refresh_from_db()
    assert clip.next_check_at > timezone.now()  # nothing made before the undo runs out
    alice_client.post(reverse("generation_restore", args=[clip.pk]), **HTMX)
    clip.refresh_from_db()
    assert clip.awaits_poster
