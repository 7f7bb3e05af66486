"""Every page is behind login; changing a clip belongs to its author and to staff."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from generations.models import Generation, Status

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alices_clip(alice, make_generation):
    return make_generation(
        alice, "Alice's lighthouse", "failed", failure_reason="Apiframe is having an outage."
    )


def member_pages(generation) -> list[str]:
    return [
        reverse("studio"),
        reverse("gallery"),
        reverse("gallery_updates"),
        reverse("prompt_library"),
        reverse("prompt_detail", args=[generation.prompt_id]),
        reverse("generation_detail", args=[generation.pk]),
        reverse("generation_remix", args=[generation.pk]),
        reverse("generation_download", args=[generation.pk]),
        reverse("media", args=["posters/x.jpg"]),
        reverse("password_change"),
    ]


def test_anonymous_visitors_are_sent_to_log_in(db, alices_clip):
    client = Client()
    for url in member_pages(alices_clip):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_anonymous_visitors_cannot_post_anything(db, alices_clip):
    client = Client()
    for name in ("generation_retry", "generation_delete"):
        response = client.post(reverse(name, args=[alices_clip.pk]))
        assert response.status_code == 302
    assert client.post(reverse("generation_create"), {"prompt": "x"}).status_code == 302
    assert Generation.objects.count() == 1


def test_the_login_page_is_open(db):
    assert Client().get(reverse("login")).status_code == 200


def test_another_member_sees_no_delete_or_retry_button(bob_client, alices_clip):
    html = bob_client.get(reverse("studio")).content.decode()
    assert "Alice&#x27;s lighthouse" in html
    assert reverse("generation_delete", args=[alices_clip.pk]) not in html
    assert reverse("generation_retry", args=[alices_clip.pk]) not in html


def test_the_author_sees_both_buttons(alice_client, alices_clip):
    html = alice_client.get(reverse("studio")).content.decode()
    assert reverse("generation_delete", args=[alices_clip.pk]) in html
    assert reverse("generation_retry", args=[alices_clip.pk]) in html


def test_another_member_is_refused_by_the_server(bob_client, alices_clip):
    for name in ("generation_delete", "generation_retry"):
        assert bob_client.post(reverse(name, args=[alices_clip.pk]), **HTMX).status_code == 403
    alices_clip.refresh_from_db()
    assert alices_clip.deleted_at is None and Generation.objects.count() == 1


def test_the_author_deletes_their_clip(alice_client, alices_clip):
    response = alice_client.post(reverse("generation_delete", args=[alices_clip.pk]), **HTMX)
    assert response.status_code == 200
    alices_clip.refresh_from_db()
    assert alices_clip.deleted_at is not None


def test_staff_delete_anyones_clip(staff_client, alices_clip):
    assert staff_client.post(reverse("generation_delete", args=[alices_clip.pk])).status_code == 302
    alices_clip.refresh_from_db()
    assert alices_clip.deleted_at is not None


def test_deleting_a_running_clip_hides_it_but_keeps_following_it(
    alice_client, alice, make_generation
):
    running = make_generation(alice, status="processing")
    alice_client.post(reverse("generation_delete", args=[running.pk]))
    running.refresh_from_db()
    assert running.status == Status.PROCESSING and running.deleted_at is not None
    assert running.deleted_by == alice and running.deleted_while_running


def test_a_deleted_clip_is_gone_for_everyone(alice_client, bob_client, alices_clip):
    alice_client.post(reverse("generation_delete", args=[alices_clip.pk]))
    assert bob_client.get(alices_clip.get_absolute_url()).status_code == 404
    assert alice_client.post(reverse("generation_retry", args=[alices_clip.pk])).status_code == 404


def test_unknown_generations_are_404(alice_client):
    assert alice_client.get(reverse("generation_detail", args=[uuid.uuid4()])).status_code == 404


def test_a_running_clip_cannot_be_retried(alice_client, alice, make_generation):
    running = make_generation(alice, status="processing")
    assert alice_client.post(reverse("generation_retry", args=[running.pk])).status_code == 409


def test_changes_need_post_and_a_csrf_token(alice, alices_clip):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(reverse("generation_delete", args=[alices_clip.pk])).status_code == 405
    assert client.post(reverse("generation_delete", args=[alices_clip.pk])).status_code == 403


def test_media_outside_the_studio_folders_is_not_served(alice_client, settings, tmp_path):
    (tmp_path / "secret.txt").write_text("x")
    settings.MEDIA_ROOT = tmp_path
    assert alice_client.get("/media/secret.txt").status_code == 404
    assert alice_client.get("/media/clips/../secret.txt").status_code == 404


def test_media_answers_range_requests(alice_client, settings, tmp_path):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(bytes(range(100)))
    settings.MEDIA_ROOT = tmp_path
    response = alice_client.get("/media/clips/a.mp4", HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == bytes(range(10, 20))
    assert response["Content-Range"] == "bytes 10-19/100"
    suffix = alice_client.get("/media/clips/a.mp4", HTTP_RANGE="bytes=-5")
    assert b"".join(suffix.streaming_content) == bytes(range(95, 100))
    assert alice_client.get("/media/clips/a.mp4", HTTP_RANGE="bytes=200-").status_code == 416
