"""Storing a 200 MB clip in an S3 bucket (SeaweedFS, started by the suite) and serving it back
holds a few MB at a time, as for a 20 MB one: the download streams to a temporary file, the upload
sends it a part at a time from disk, and the media view streams GetObject's answer a chunk at a
time. The figures go to the test's report."""

import hashlib
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from generations.models import Status
from generations.pipeline import storage
from generations.views.media import CHUNK_BYTES
from tests.reports import machine_label, publish

MB = 1024 * 1024
SIZES = (20 * MB, 200 * MB)
# Python's allocations at peak, storing or serving; what a whole clip in memory would far exceed.
MEMORY_LIMIT_BYTES = 16 * MB


def fake_mp4(path: Path, size: int) -> Path:
    """The boxes storing checks (ftyp, moov, mdat), the mdat sparse: no disk used for its bytes."""
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 512, b"isom")
    moov = struct.pack(">I4s", 16, b"moov") + b"\0" * 8
    with path.open("wb") as out:
        out.write(ftyp + moov + struct.pack(">I4s", size - len(ftyp) - len(moov), b"mdat"))
        out.seek(size - 4)
        out.write(b"END!")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture
def apiframe_files(tmp_path, settings) -> Iterator[str]:
    """A file server standing in for Apiframe's (trusted on loopback as the Apiframe host)."""
    folder = tmp_path / "apiframe-files"
    folder.mkdir()
    handler = partial(QuietFiles, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.APIFRAME_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield settings.APIFRAME_BASE_URL
    server.shutdown()
    server.server_close()


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


class RssSampler:
    """The process's resident memory above where it started, sampled every 10 ms."""

    def __init__(self) -> None:
        self.baseline = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measured(action: Callable[[], object]) -> tuple[float, int, int]:
    """(seconds, Python's peak allocations, peak RSS growth) of one action."""
    tracemalloc.start()
    started = time.perf_counter()
    with RssSampler() as rss:
        action()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, rss.growth


class Viewer:
    """Watches a clip through the media view: whole, then seeking to the middle."""

    def __init__(self, client: Client, path: str, size: int) -> None:
        self.client, self.path, self.size = client, path, size
        self.digest = hashlib.sha256()
        self.last_bytes = b""

    def watch(self) -> None:
        whole = self.client.get(self.path)
        assert whole.status_code == 200
        for chunk in whole.streaming_content:
            self.digest.update(chunk)
        seek = self.client.get(self.path, HTTP_RANGE=f"bytes={self.size // 2}-")
        assert seek.status_code == 206
        for chunk in seek.streaming_content:
            self.last_bytes = (self.last_bytes + chunk)[-4:]


def test_storing_and_serving_a_big_clip_on_s3_keeps_memory_flat(
    alice, alice_client, make_generation, s3_bucket, apiframe_files, tmp_path, request
):
    if not Path("/proc/self/status").exists():
        pytest.skip("resident memory is read from /proc (Linux)")
    # A running studio's client is made once: its S3 service model is not the clip's memory.
    assert not default_storage.exists("clips/warming-up.mp4")
    rows = []
    for size in SIZES:
        source = fake_mp4(tmp_path / "apiframe-files" / f"clip-{size}.mp4", size)
        generation = make_generation(
            alice, status="processing", result_url=f"{apiframe_files}/{source.name}"
        )
        stored = measured(partial(storage.store_clip, generation))
        generation.refresh_from_db()
        assert generation.status == Status.COMPLETED, generation.last_error
        head = s3_bucket.server.client().head_object(
            Bucket=s3_bucket.name, Key=generation.video.name
        )
        assert head["ContentLength"] == size and head["ContentType"] == "video/mp4"

        viewer = Viewer(alice_client, f"/media/{generation.video.name}", size)
        served = measured(viewer.watch)
        assert viewer.digest.hexdigest() == sha256_of(source)
        assert viewer.last_bytes == b"END!"
        rows.append((size, stored, served))

    lines = [
        f"| {size // MB} MB | {what} | {seconds:.1f} s | {peak / MB:.1f} MB | {rss / MB:.1f} MB |"
        for size, stored, served in rows
        for what, (seconds, peak, rss) in (("store (download, check, upload)", stored),
                                            ("serve (whole, then the second half)", served))
    ]  # fmt: skip
    publish(
        request,
        "s3-media-memory",
        "# Media on S3: memory while storing and serving a clip\n\n"
        "The clip is downloaded from a loopback file server standing in for Apiframe's, checked, "
        "and uploaded to SeaweedFS's S3 gateway on loopback (`storage.store_clip`); then served "
        f"through the media view (Django's test client), {CHUNK_BYTES // 1024} KB chunks, whole "
        "and from the middle.\n\n"
        "| clip | step | time | Python allocations at peak (tracemalloc) | resident memory "
        "growth at peak |\n|---|---|---|---|---|\n" + "\n".join(lines) + "\n\n"
        f"Measured {machine_label()}.\n",
    )
    for size, stored, served in rows:
        assert stored[1] < MEMORY_LIMIT_BYTES, f"storing {size // MB} MB: {stored[1] / MB:.1f} MB"
        assert served[1] < MEMORY_LIMIT_BYTES, f"serving {size // MB} MB: {served[1] / MB:.1f} MB"
