"""With the media in an S3 bucket (SeaweedFS, started by the suite), a share link's player and
download and a member's ZIP read the clips through the storage as they do from a disk: the same
bytes, a Range read from its first byte."""

import io
import zipfile

from django.test import Client

from generations.models import ShareLink
from tests.clip_files import clip_bytes, stored_clip

SIZE = 600_000  # a few of the ZIP's and the player's chunks


def test_a_share_link_plays_and_downloads_a_clip_from_the_bucket(s3_bucket, alice, make_generation):
    fox = stored_clip(make_generation, alice, "A red fox in fresh snow", size=SIZE)
    link = ShareLink.make(by=alice, generation=fox, expiry_days=7, allow_download=True)
    expected = clip_bytes(str(fox.pk), SIZE)
    part = Client().get(f"/s/{link.token}/clip/{fox.pk}.mp4", HTTP_RANGE="bytes=300000-300099")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 300000-300099/{SIZE}"
    assert b"".join(part.streaming_content) == expected[300_000:300_100]
    whole = Client().get(f"/s/{link.token}/clip/{fox.pk}/download/")
    assert b"".join(whole.streaming_content) == expected


def test_a_zip_streams_its_clips_from_the_bucket(s3_bucket, alice, alice_client, make_generation):
    clips = [stored_clip(make_generation, alice, f"Clip {n}", size=SIZE) for n in range(3)]
    response = alice_client.post("/selection/download/", {"ids": [clip.pk for clip in clips]})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    for clip in clips:
        assert archive.read(clip.download_name) == clip_bytes(str(clip.pk), SIZE)
