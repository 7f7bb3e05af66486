"""A local first frame is uploaded to Apiframe once: its URL is kept on the generation's row, so a
retried submit sends the very body of the first (Apiframe refuses a reused Idempotency-Key with
another body), until the upload comes near its expiry."""

import importlib
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apiframe_simulator import Fault
from generations.models import Generation, Status
from generations.pipeline import tasks, track, uploads
from tests.fixtures import picture

pytestmark = pytest.mark.django_db(transaction=True)


def start_with_first_frame(owner) -> Generation:
    image = SimpleUploadedFile("harbour.png", picture((800, 600)))
    return Generation.start(owner=owner, prompt_text="A harbour at dawn", first_frame=image)


def test_a_submit_whose_answer_was_lost_is_retried_with_the_same_upload(studio_simulator, alice):
    studio_simulator.faults.push("submit", Fault.drop(processed=True))  # job made, answer lost
    generation = start_with_first_frame(alice)
    tasks.submit_generation(str(generation.pk))
    assert track.run_tracker(seconds=30)

    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert studio_simulator.request_count("upload") == 1
    assert studio_simulator.request_count("submit") == 2
    assert studio_simulator.jobs_created_for_key(str(generation.pk)) == 1
    assert generation.first_frame_upload_url.startswith(studio_simulator.url)


def test_an_upload_about_to_expire_is_made_again(studio_simulator, alice):
    generation = start_with_first_frame(alice)
    first = uploads.first_frame_url(generation)
    assert uploads.first_frame_url(Generation.objects.get(pk=generation.pk)) == first

    Generation.objects.filter(pk=generation.pk).update(
        first_frame_upload_expires_at=timezone.now() + timedelta(minutes=1)
    )
    again = uploads.first_frame_url(Generation.objects.get(pk=generation.pk))
    assert again != first and studio_simulator.request_count("upload") == 2
    assert Generation.objects.get(pk=generation.pk).first_frame_upload_url == again


def test_receipts_kept_in_media_by_earlier_versions_move_onto_their_rows(alice, make_generation):
    waiting = make_generation(alice)
    expires = timezone.now() + timedelta(hours=1)
    receipt = {"url": "https://files.example/u/1.png", "expiresAt": expires.isoformat()}
    default_storage.save(f"apiframe-uploads/{waiting.pk}.json", ContentFile(json.dumps(receipt)))
    default_storage.save("apiframe-uploads/unreadable.json", ContentFile(b"{"))

    migration = importlib.import_module("generations.migrations.0003_first_frame_upload")
    migration.move_receipts_onto_rows(apps, None)

    waiting.refresh_from_db()
    assert waiting.first_frame_upload_url == "https://files.example/u/1.png"
    assert waiting.first_frame_upload_expires_at == expires
    assert default_storage.listdir("apiframe-uploads") == ([], [])
