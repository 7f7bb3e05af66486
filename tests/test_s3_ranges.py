"""The media view serves a clip kept in an S3 bucket (SeaweedFS, started by the suite) as it serves
one on disk: exactly the bytes of each range, asked of the bucket as one GetObject from the range's
first byte (never the whole object first), to members only, and a 404 for anything that is not
one of the studio's files."""

import random

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client

from generations.views import media as views
from generations.views.media import CHUNK_BYTES

SIZE = 3 * CHUNK_BYTES + 1234  # several chunks and a ragged tail


@pytest.fixture
def clip(s3_bucket) -> bytes:
    """clips/a.mp4 in the bucket: random bytes, so a misplaced byte shows."""
    data = random.Random(9).randbytes(SIZE)
    assert default_storage.save("clips/a.mp4", ContentFile(data)) == "clips/a.mp4"
    return data


@pytest.fixture
def bucket_requests(s3_bucket) -> list[tuple[str, str]]:
    """(method, Range header) of each request the studio's storage sends the bucket from now on."""
    sent: list[tuple[str, str]] = []

    def record(request, **_) -> None:
        sent.append((request.method, request.headers.get("Range", b"").decode() or ""))

    default_storage.connection.meta.client.meta.events.register("before-send.s3", record)
    return sent


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def gets(sent: list[tuple[str, str]]) -> list[str]:
    return [range_header for method, range_header in sent if method == "GET"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=10-19", 10, 19),
        (f"bytes={CHUNK_BYTES - 1}-{2 * CHUNK_BYTES}", CHUNK_BYTES - 1, 2 * CHUNK_BYTES),
        (f"bytes={SIZE // 2}-", SIZE // 2, SIZE - 1),  # a player seeking to the middle
        (f"bytes=500-{SIZE * 10}", 500, SIZE - 1),
        ("bytes=-5", SIZE - 5, SIZE - 1),
    ],
)
def test_a_range_is_exactly_those_bytes_read_from_the_bucket_from_its_first(
    alice_client, clip, bucket_requests, header, first, last
):
    response = alice_client.get("/media/clips/a.mp4", HTTP_RANGE=header)

    assert response.status_code == 206
    assert body(response) == clip[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/mp4"
    assert gets(bucket_requests) == [f"bytes={first}-" if first else ""]


def test_the_whole_clip_is_one_streamed_get(alice_client, clip, bucket_requests):
    response = alice_client.get("/media/clips/a.mp4")

    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(SIZE)
    assert body(response) == clip
    assert gets(bucket_requests) == [""]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", "bytes=-0"])
def test_a_range_beyond_the_clip_is_416_without_reading_it(
    alice_client, clip, bucket_requests, header
):
    response = alice_client.get("/media/clips/a.mp4", HTTP_RANGE=header)

    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{SIZE}"
    assert gets(bucket_requests) == []


def test_the_bucket_is_served_to_members_and_only_the_studios_files(alice_client, clip, s3_bucket):
    s3_bucket.server.client().put_object(Bucket=s3_bucket.name, Key="secret.mp4", Body=b"no")

    anonymous = Client().get("/media/clips/a.mp4", HTTP_RANGE="bytes=0-9")

    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for path in [
        "/media/secret.mp4",
        "/media/clips/../secret.mp4",
        "/media/clips/none.mp4",
        "/media/clips/" + "x" * 2000 + ".mp4",  # longer than S3 lets a key be
        "/media/clips/a.mp4%00",
    ]:
        assert alice_client.get(path, HTTP_RANGE="bytes=0-3").status_code == 404, path[:40]


def test_a_stream_from_the_bucket_is_closed_when_the_answer_ends(clip, rf, monkeypatch):
    opened = []
    real_open = default_storage.open

    def spy(name, mode="rb"):
        opened.append(real_open(name, mode))
        return opened[-1]

    monkeypatch.setattr(default_storage, "open", spy)
    # Straight from the view, and closed as the server does when a player goes away mid-range
    # (the test client's own close would close the test's database connection too).
    request_finished.disconnect(close_old_connections)
    try:
        finished = views.media(rf.get("/", HTTP_RANGE="bytes=0-"), "clips/a.mp4")
        assert b"".join(finished.streaming_content) == clip
        finished.close()
        abandoned = views.media(rf.get("/", HTTP_RANGE=f"bytes={CHUNK_BYTES}-"), "clips/a.mp4")
        next(iter(abandoned.streaming_content))
        abandoned.close()
    finally:
        request_finished.connect(close_old_connections)

    assert len(opened) == 2 and all(handle.closed for handle in opened)
