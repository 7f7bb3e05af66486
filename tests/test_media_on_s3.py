"""Media in an S3 bucket (SeaweedFS, started by the suite): a clip made through the pipeline keeps
its clip, poster and first frame there and nothing on the machine's disk, the bucket never hands
them to a stranger, a name already taken is never overwritten, and a deleted clip leaves nothing
of itself behind."""

import io
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from generations import video
from generations.models import Generation, Status
from generations.models.generations import UNDO_SECONDS
from generations.pipeline import tasks, track
from tests.fixtures import picture

# The tracker's threads use their own connections: the rows must be committed for them to see.
pytestmark = pytest.mark.django_db(transaction=True)

HARBOUR = picture((1024, 576))


def make_clip(owner) -> Generation:
    """A 16:9 clip from a first frame, through submit, tracking, storing and the poster."""
    image = SimpleUploadedFile("harbour.png", HARBOUR)
    generation = Generation.start(owner=owner, prompt_text="A harbour at dawn", first_frame=image)
    tasks.submit_generation(str(generation.pk))
    # A loaded machine can leave a tracker idle between two checks: the next one carries on.
    deadline = time.monotonic() + 60
    while not (generation.status == Status.COMPLETED and generation.poster):
        assert time.monotonic() < deadline, (generation.status, generation.last_error)
        assert generation.status not in (Status.FAILED, Status.CANCELLED), generation.failure_reason
        track.run_tracker(seconds=10)
        generation.refresh_from_db()
    return generation


def files_on_disk(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_a_clip_its_poster_and_first_frame_are_kept_in_the_private_bucket_only(
    studio_simulator, s3_bucket, alice, alice_client, settings
):
    generation = make_clip(alice)

    clip, poster = f"clips/{generation.pk}.mp4", f"posters/{generation.pk}.jpg"
    first_frame = generation.first_frame.name
    assert first_frame.startswith("first-frames/")
    assert s3_bucket.object_names() == sorted([clip, poster, first_frame])
    # Apiframe was sent the first frame read back from the bucket, and made a clip of its shape.
    assert s3_bucket.read(first_frame) == HARBOUR
    with tempfile.NamedTemporaryFile(suffix=".mp4") as local:
        local.write(s3_bucket.read(clip))
        local.flush()
        shape = video.probe(Path(local.name))
    assert (shape.width, shape.height) == (1366, 768)
    with Image.open(io.BytesIO(s3_bucket.read(poster))) as still:
        assert (still.format, still.size) == ("JPEG", (1366, 768))
    assert files_on_disk(settings) == []
    # The bucket hands nothing to a stranger; pages link the studio's own members-only view.
    for key in s3_bucket.object_names():
        assert httpx.get(s3_bucket.public_url(key)).status_code == 403, key
    assert generation.video.url == f"/media/clips/{generation.pk}.mp4"
    page = alice_client.get(generation.get_absolute_url()).content.decode()
    assert f'src="/media/clips/{generation.pk}.mp4"' in page
    assert s3_bucket.server.endpoint_url not in page
    download = alice_client.get(reverse("generation_download", args=[generation.pk]))
    assert b"".join(download.streaming_content) == s3_bucket.read(clip)


def test_a_name_already_taken_gets_a_name_of_its_own(s3_bucket):
    first = default_storage.save("clips/kite.mp4", ContentFile(b"the first clip"))
    second = default_storage.save("clips/kite.mp4", ContentFile(b"another clip"))

    assert first == "clips/kite.mp4" and second != first and second.startswith("clips/kite")
    assert s3_bucket.read(first) == b"the first clip"
    assert s3_bucket.read(second) == b"another clip"


def test_a_deleted_clip_leaves_nothing_of_itself_in_the_bucket(studio_simulator, s3_bucket, alice):
    generation = make_clip(alice)
    other = default_storage.save("clips/someone-elses.mp4", ContentFile(b"not this one"))

    generation.soft_delete(by=alice)
    # Past the few seconds of its undo (UNDO_SECONDS), when the tracker drops its files.
    past = timezone.now() - timedelta(seconds=UNDO_SECONDS + 1)
    Generation.objects.filter(pk=generation.pk).update(
        deleted_at=past, next_check_at=past + timedelta(seconds=UNDO_SECONDS)
    )
    [due] = Generation.objects.due().files_to_drop().claim(limit=1, lease_seconds=30)
    assert due.drop_files_after_undo()

    assert s3_bucket.object_names() == [other]
