"""Finished clips whose MP4 and poster really are in the storage, for the ZIP and share tests
(make_generation alone names files that are not there)."""

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def clip_bytes(seed: str, size: int) -> bytes:
    """`size` bytes that differ from clip to clip (so a mix-up between clips shows)."""
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def stored_clip(make_generation, owner, prompt="A lighthouse in a storm", *, size=4096, **fields):
    """A completed generation with `size` bytes of video and a small poster in the storage."""
    pk = fields.pop("id", None) or uuid.uuid4()
    video = default_storage.save(f"clips/{pk}.mp4", ContentFile(clip_bytes(str(pk), size)))
    poster = default_storage.save(f"posters/{pk}.jpg", ContentFile(b"\xff\xd8poster" + pk.bytes))
    return make_generation(
        owner, prompt, status="completed", id=pk, video=video, poster=poster, **fields
    )
