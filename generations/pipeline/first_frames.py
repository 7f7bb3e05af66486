"""A first frame given by web address is fetched here, in the task cluster, never in a web request:
a slow or hostile site then holds a tracker thread that would be waiting anyway, not one of the
web server's. The image is checked like an upload and kept; the submit then uploads it to
Apiframe like any local first frame."""

import logging
from datetime import timedelta

import httpx
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from ..images import MAX_BYTES, ImageRejected, check_first_frame
from ..models import Generation, first_frame_path
from ..safe_urls import UnsafeURL, fetch_stream
from . import cadence
from .storage import DownloadFailed as FetchFailed  # a fetch that failed, for good or for now

log = logging.getLogger(__name__)

# The whole fetch, however slowly the server trickles its bytes.
FETCH_SECONDS = 20.0
MAX_FETCH_ATTEMPTS = 3


def fetch_first_frame(generation: Generation) -> bool:
    """Fetch, check and keep the image; False if the clip failed or is to be tried again."""
    try:
        content = download_image(generation.first_frame_url)
        checked = check_first_frame(content)
    except ImageRejected as rejected:
        generation.fail(
            "The image at that address can't be a first frame: " + " ".join(rejected.problems)
        )
        return False
    except FetchFailed as failure:
        attempts = generation.attempts + 1
        if failure.permanent or attempts >= MAX_FETCH_ATTEMPTS:
            generation.fail(f"The first frame could not be fetched: {failure}.")
        else:
            generation.schedule(
                timezone.now() + timedelta(seconds=cadence.retry_delay(attempts)),
                error=f"Fetching the first frame failed ({failure}); trying again.",
                attempts=attempts,
            )
        return False
    name = default_storage.save(
        first_frame_path(generation, f"image.{checked.extension}"), ContentFile(content)
    )
    if not generation.keep_first_frame(name):
        default_storage.delete(name)  # deleted or failed meanwhile
        return False
    return True


def download_image(url: str) -> bytes:
    try:
        with fetch_stream(url, timeout=10.0, max_seconds=FETCH_SECONDS) as response:
            if response.status_code != 200:
                raise FetchFailed(
                    f"the address answered {response.status_code} instead of an image",
                    permanent=response.status_code < 500,
                )
            content = bytearray()
            for chunk in response.iter_bytes():
                content.extend(chunk)
                if len(content) > MAX_BYTES:
                    raise FetchFailed("the image at that address is over 20 MB", permanent=True)
            return bytes(content)
    except UnsafeURL as error:
        raise FetchFailed(f"that address can't be used: {error}", permanent=True) from None
    except httpx.TimeoutException:
        raise FetchFailed("the site took too long to send it", permanent=False) from None
    except httpx.HTTPError:
        raise FetchFailed("the site could not be reached", permanent=False) from None
