"""Uploading a generation's local first frame once, however often its submit is retried.

A retried submit must send the very body of the first attempt: Apiframe answers 409 to an
Idempotency-Key reused with another body, and a first attempt whose answer was lost may well have
started (and billed) the job. So the upload's URL is kept on the generation's row, which every
worker on every machine reads.
"""

import mimetypes
from datetime import timedelta

from django.utils import timezone

from ..apiframe import get_client
from ..models import Generation

# An upload this close to its expiry is made again rather than handed to Apiframe.
EXPIRY_MARGIN = timedelta(minutes=2)


def first_frame_url(generation: Generation) -> str:
    """Apiframe's URL for the local first frame: the earlier upload's while it lasts."""
    if still_valid(generation):
        return generation.first_frame_upload_url
    name = generation.first_frame.name or ""  # never empty: opening would raise first
    with generation.first_frame.open("rb") as image:
        content = image.read()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    upload = get_client().upload(
        content, filename=name.rsplit("/", 1)[-1], content_type=content_type
    )
    generation.remember_upload(upload.url, upload.expires_at)
    return upload.url


def still_valid(generation: Generation) -> bool:
    if not generation.first_frame_upload_url:
        return False
    expires_at = generation.first_frame_upload_expires_at
    # Past the idempotency concern too: the deadline ends a generation long before this.
    return expires_at is None or expires_at - EXPIRY_MARGIN > timezone.now()
