"""Uploading a generation's local first frame once, however often its submit is retried.

A retried submit must send the very body of the first attempt: Apiframe answers 409 to an
Idempotency-Key reused with another body, and a first attempt whose answer was lost may well have
started (and billed) the job. So the upload's URL is kept as a small receipt in the studio's
storage, which every worker on every machine shares, until the generation leaves WAITING.
"""

import json
import logging
import mimetypes
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..apiframe import get_client
from ..models import Generation

log = logging.getLogger(__name__)

# Not under a folder the media view serves: receipts are bookkeeping, not team files.
RECEIPTS_FOLDER = "apiframe-uploads"
# An upload this close to its expiry is made again rather than handed to Apiframe.
EXPIRY_MARGIN = timedelta(minutes=2)


def receipt_name(generation: Generation) -> str:
    return f"{RECEIPTS_FOLDER}/{generation.pk}.json"


def first_frame_url(generation: Generation) -> str:
    """Apiframe's URL for the local first frame: the earlier upload's while it lasts."""
    if url := recorded_url(generation):
        return url
    name = generation.first_frame.name
    with generation.first_frame.open("rb") as image:
        content = image.read()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    upload = get_client().upload(
        content, filename=name.rsplit("/", 1)[-1], content_type=content_type
    )
    record(generation, upload.url, upload.expires_at)
    return upload.url


def recorded_url(generation: Generation) -> str | None:
    name = receipt_name(generation)
    if not default_storage.exists(name):
        return None
    try:
        with default_storage.open(name, "rb") as receipt:
            data = json.loads(receipt.read())
    except (OSError, ValueError):
        return None
    expires_at = parse_datetime(data.get("expiresAt") or "")
    if expires_at is not None and expires_at - EXPIRY_MARGIN <= timezone.now():
        # Past the idempotency concern too: the deadline ends a generation long before this.
        return None
    return data.get("url") or None


def record(generation: Generation, url: str, expires_at: datetime | None) -> None:
    name = receipt_name(generation)
    data = {"url": url, "expiresAt": expires_at.isoformat() if expires_at else None}
    # Only the claim holder writes, so deleting first cannot race another writer.
    default_storage.delete(name)
    default_storage.save(name, ContentFile(json.dumps(data).encode()))


def forget(generation: Generation) -> None:
    """Drop the receipt once the generation is submitted or failed."""
    if generation.first_frame:
        try:
            default_storage.delete(receipt_name(generation))
        except OSError:
            log.warning("Could not delete the upload receipt of %s", generation.pk, exc_info=True)
