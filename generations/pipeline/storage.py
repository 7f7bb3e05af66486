"""Keeping the studio's own copy of a finished clip: Apiframe's result URLs expire."""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from .. import video
from ..models import Generation
from ..safe_urls import UnsafeURL, fetch_stream
from . import cadence

log = logging.getLogger(__name__)

MAX_DOWNLOAD_ATTEMPTS = 4
# Seconds without a byte before a download is given up (and tried again).
DOWNLOAD_TIMEOUT_SECONDS = 60.0


class DownloadFailed(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def store_clip(generation: Generation) -> None:
    """Download the clip, check it is a video, and show it; its poster is made next."""
    if generation.deleted_at:
        generation.close_deleted()  # billed and recorded; nobody wants the copy
        return
    with tempfile.TemporaryDirectory(prefix="clip-") as workdir:
        clip_path = Path(workdir) / "clip.mp4"
        try:
            download(generation.result_url, clip_path)
            video.check_mp4(clip_path)
        except DownloadFailed as failure:
            handle_download_failure(generation, failure)
            return
        except video.VideoError as error:
            log.warning("Clip of %s is not playable: %s", generation.pk, error)
            handle_download_failure(
                generation,
                DownloadFailed("the file Apiframe sent is not a playable video", permanent=False),
            )
            return
        with clip_path.open("rb") as clip:
            video_name = default_storage.save(f"clips/{generation.pk}.mp4", File(clip))
    if generation.mark_stored(video=video_name):
        log.info("Generation %s stored as %s", generation.pk, video_name)
        return
    # Deleted or failed meanwhile: the file has no owner.
    default_storage.delete(video_name)
    generation.refresh_from_db()
    if generation.deleted_at:
        generation.close_deleted()


def download(url: str, destination: Path) -> None:
    limit = settings.MAX_CLIP_BYTES
    written = 0
    try:
        with fetch_stream(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            if response.status_code in (403, 404, 410):
                raise DownloadFailed(
                    f"Apiframe's link no longer works (HTTP {response.status_code})", permanent=True
                )
            if response.status_code != 200:
                raise DownloadFailed(
                    f"Apiframe's file server answered HTTP {response.status_code}", permanent=False
                )
            declared = int(response.headers.get("content-length") or 0)
            if declared > limit:
                raise DownloadFailed("the clip is larger than the studio accepts", permanent=True)
            with destination.open("wb") as out:
                for chunk in response.iter_bytes(1024 * 256):
                    written += len(chunk)
                    if written > limit:
                        raise DownloadFailed(
                            "the clip is larger than the studio accepts", permanent=True
                        )
                    out.write(chunk)
            if declared and written != declared:
                raise DownloadFailed("the download was cut short", permanent=False)
    except UnsafeURL as error:
        raise DownloadFailed(str(error), permanent=True) from error
    except httpx.TimeoutException as error:
        raise DownloadFailed("the download stalled", permanent=False) from error
    except httpx.ConnectError as error:
        raise DownloadFailed(
            "Apiframe's file server could not be reached", permanent=False
        ) from error
    except httpx.HTTPError as error:
        # Mostly a connection closed before the whole clip came.
        raise DownloadFailed("the download was cut short", permanent=False) from error


def handle_download_failure(generation: Generation, failure: DownloadFailed) -> None:
    attempts = generation.attempts + 1
    if failure.permanent or attempts >= MAX_DOWNLOAD_ATTEMPTS:
        log.warning("Clip of %s could not be stored: %s", generation.pk, failure)
        tries = "" if failure.permanent else f" after {attempts} tries"
        generation.fail(
            f"The clip was made, but the studio could not save its copy{tries}: {failure}."
        )
        return
    delay = cadence.retry_delay(attempts)
    generation.schedule(
        timezone.now() + timedelta(seconds=delay),
        error=f"Saving the clip failed ({failure}); trying again.",
        attempts=attempts,
    )
