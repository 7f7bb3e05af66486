"""Range requests on media are streamed from storage a chunk at a time: the right bytes for every
range, a full answer for a header to ignore, and flat memory however big the file or the range."""

from __future__ import annotations

import io
import os
import random
import resource
import threading
import time
import tracemalloc
from typing import ClassVar

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client

from generations.views import media as views
from generations.views.media import CHUNK_BYTES
from tests.reports import machine_label, publish

SIZE = 3 * CHUNK_BYTES + 1234  # several chunks and a ragged tail
BIG_SIZE = 200 * 1024 * 1024
PARALLEL_READS = 4
MEMORY_LIMIT_BYTES = 4 * 1024 * 1024


@pytest.fixture
def clip(settings, tmp_path) -> bytes:
    """clips/a.mp4 in a fresh MEDIA_ROOT: random bytes, so a misplaced byte shows."""
    data = random.Random(7).randbytes(SIZE)
    (tmp_path / "media" / "clips").mkdir(parents=True)
    (tmp_path / "media" / "clips" / "a.mp4").write_bytes(data)
    settings.MEDIA_ROOT = tmp_path / "media"
    return data


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def hang_up(response) -> None:
    """Close the answer as the server does when a player goes away mid-range, without the
    request_finished signal closing the test's database connection."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


class RemoteStorage(Storage):
    """Files with no local path, as on S3: only open, size, seek and read to serve them with."""

    files: ClassVar[dict[str, bytes]] = {}

    def _save(self, name: str, content: File) -> str:
        self.files[name] = content.read()
        return name

    def _open(self, name: str, mode: str = "rb") -> File:
        if name not in self.files:
            raise FileNotFoundError(name)
        return File(io.BytesIO(self.files[name]), name)

    def exists(self, name: str) -> bool:
        return name in self.files

    def size(self, name: str) -> int:
        if name not in self.files:
            raise FileNotFoundError(name)
        return len(self.files[name])


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=0-", 0, SIZE - 1),
        ("bytes=10-19", 10, 19),
        (f"bytes={CHUNK_BYTES - 1}-{2 * CHUNK_BYTES}", CHUNK_BYTES - 1, 2 * CHUNK_BYTES),
        (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
        (f"bytes=500-{SIZE * 10}", 500, SIZE - 1),  # an end past the file is clamped
        ("bytes=-5", SIZE - 5, SIZE - 1),
        (f"bytes=-{SIZE + 10}", 0, SIZE - 1),  # a suffix longer than the file is all of it
        (" bytes=3-4 ", 3, 4),
    ],
)
def test_a_range_is_exactly_those_bytes(alice_client, clip, header, first, last):
    response = alice_client.get("/media/clips/a.mp4", HTTP_RANGE=header)

    assert response.status_code == 206
    assert body(response) == clip[first : last + 1]
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, max-age=86400"


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 9}", "bytes=-0"])
def test_a_range_beyond_the_file_is_416(alice_client, clip, header):
    response = alice_client.get("/media/clips/a.mp4", HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,5-6",  # several ranges
        "bytes=0-1, 5-6",
        "bytes=-",
        "bytes=9-3",
        "bytes=abc-",
        "bytes=٣-",  # an Arabic-Indic digit three
        "bytes=1-2-3",
        "items=0-1",
        "bytes",
        "",
    ],
)
def test_a_header_to_ignore_gets_the_whole_file(alice_client, clip, header):
    response = alice_client.get("/media/clips/a.mp4", HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == clip
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"


def test_ranges_are_for_members_and_the_media_folders_only(alice_client, clip, settings):
    (settings.MEDIA_ROOT / "secret.mp4").write_bytes(b"not for you")

    anonymous = Client().get("/media/clips/a.mp4", HTTP_RANGE="bytes=0-9")

    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert alice_client.get("/media/secret.mp4", HTTP_RANGE="bytes=0-3").status_code == 404
    assert alice_client.get("/media/clips/../secret.mp4", HTTP_RANGE="bytes=0-3").status_code == 404
    assert alice_client.get("/media/clips/none.mp4", HTTP_RANGE="bytes=0-3").status_code == 404


def test_the_file_is_closed_when_the_answer_ends(alice_client, clip, monkeypatch, rf):
    opened = []
    real_open = default_storage.open

    def spy(name, mode="rb"):
        opened.append(real_open(name, mode))
        return opened[-1]

    monkeypatch.setattr(default_storage, "open", spy)

    read = alice_client.get("/media/clips/a.mp4", HTTP_RANGE="bytes=0-")
    body(read)
    # Straight from the view: the test client's own wrapper would close the database on close.
    abandoned = views.media(rf.get("/", HTTP_RANGE="bytes=0-"), "clips/a.mp4")
    next(iter(abandoned.streaming_content))
    hang_up(abandoned)
    hang_up(views.media(rf.get("/", HTTP_RANGE="bytes=5-"), "clips/a.mp4"))  # never read

    assert len(opened) == 3 and all(handle.closed for handle in opened)


def test_ranges_come_from_any_storage(alice_client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_media_ranges.RemoteStorage"},
    }
    data = random.Random(8).randbytes(SIZE)
    default_storage.save("clips/memory.mp4", ContentFile(data))

    response = alice_client.get("/media/clips/memory.mp4", HTTP_RANGE=f"bytes=100-{SIZE - 2}")

    assert response.status_code == 206 and body(response) == data[100:-1]
    assert body(alice_client.get("/media/clips/memory.mp4", HTTP_RANGE="bytes=-3")) == data[-3:]


def test_parallel_whole_file_ranges_of_a_big_clip_keep_memory_flat(
    alice_client, settings, tmp_path, request
):
    (tmp_path / "media" / "clips").mkdir(parents=True)
    with (tmp_path / "media" / "clips" / "big.mp4").open("wb") as big:  # sparse: no disk used
        big.seek(BIG_SIZE - 4)
        big.write(b"END!")
    settings.MEDIA_ROOT = tmp_path / "media"
    received = [0] * PARALLEL_READS
    tails = [b""] * PARALLEL_READS
    rss_before = _max_rss_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    responses = [
        alice_client.get("/media/clips/big.mp4", HTTP_RANGE="bytes=0-")
        for _ in range(PARALLEL_READS)
    ]

    def consume(n: int) -> None:
        for chunk in responses[n].streaming_content:
            received[n] += len(chunk)
            tails[n] = chunk[-4:]

    readers = [threading.Thread(target=consume, args=(n,)) for n in range(PARALLEL_READS)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(60)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = _max_rss_bytes() - rss_before

    publish(
        request,
        "media-ranges",
        "# Streaming range requests\n\n"
        f"{PARALLEL_READS} parallel `Range: bytes=0-` reads of a {BIG_SIZE // 2**20} MB clip, "
        f"{CHUNK_BYTES // 1024} KB chunks, through Django's test client.\n\n"
        "| figure | value |\n|---|---|\n"
        f"| Python allocations at peak (tracemalloc) | {peak / 2**20:.2f} MB |\n"
        f"| growth of the process's peak RSS | {rss_growth / 2**20:.1f} MB |\n"
        f"| bytes served | {sum(received) / 2**20:.0f} MB in {seconds:.2f} s |\n\n"
        f"Measured {machine_label()}.\n",
    )
    assert all(response.status_code == 206 for response in responses)
    assert all(r["Content-Range"] == f"bytes 0-{BIG_SIZE - 1}/{BIG_SIZE}" for r in responses)
    assert received == [BIG_SIZE] * PARALLEL_READS and tails == [b"END!"] * PARALLEL_READS
    assert peak < MEMORY_LIMIT_BYTES, f"{peak / 2**20:.1f} MB at peak"


def _max_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if os.uname().sysname == "Darwin" else rss * 1024
