"""With the media in an S3 bucket (SeaweedFS, started by the suite), a reel is stitched from its
shots read through the storage and kept in the bucket too: nothing of it on the machine's disk,
its player reads it back with Range requests, and a remade reel leaves only its new file."""

from pathlib import Path

import pytest
from django.urls import reverse

from generations.models.reels import Reel, ReelState
from generations.pipeline import reels as making
from tests.reel_clips import stored_clip
from tests.test_reel_stitching import FRAME, decoded

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reel_is_stitched_from_and_into_the_bucket(
    s3_bucket, alice, alice_client, make_generation, settings
):
    clips = [
        stored_clip(make_generation, alice, f"Shot {n}", seconds=seconds)
        for n, seconds in enumerate([1.0, 2.0])
    ]
    reel = Reel.make(name="From the bucket", by=alice)
    reel.add([clip.pk for clip in clips], by=alice)
    reel.request_making()
    assert making.make_reel(reel.pk) == "made by copy"
    reel.refresh_from_db()

    assert reel.state == ReelState.READY and reel.file.name in s3_bucket.object_names()
    assert reel.duration == pytest.approx(3.0, abs=FRAME)
    assert decoded(reel.file.name)[0] == 72
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    part = alice_client.get(reverse("reel_video", args=[reel.pk]), HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206 and b"".join(part.streaming_content)[4:8] == b"ftyp"

    first = reel.file.name
    reel.move(reel.ordered_shots().first().pk, 1)
    reel.request_making()
    assert making.make_reel(reel.pk) == "made by copy"
    reel.refresh_from_db()
    names = s3_bucket.object_names()
    assert reel.file.name in names and first not in names
