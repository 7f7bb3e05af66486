"""Posters: the still a card shows before anyone presses play.

Made after the clip is stored and shown, so a burst of finished clips reaches the gallery at the
speed of downloads rather than of ffmpeg decoding; the card swaps the poster in when it arrives.
"""

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from .. import video
from ..models import Generation
from . import cadence

log = logging.getLogger(__name__)

MAX_POSTER_ATTEMPTS = 3


def make_poster(generation: Generation) -> None:
    try:
        with local_file(generation.video) as clip, tempfile.TemporaryDirectory() as workdir:
            poster_path = video.poster_frame(clip, Path(workdir) / "poster.jpg")
            with poster_path.open("rb") as poster:
                name = default_storage.save(f"posters/{generation.pk}.jpg", File(poster))
    except (video.VideoError, OSError) as error:
        handle_poster_failure(generation, error)
        return
    if not generation.mark_poster(name):
        default_storage.delete(name)  # the clip was deleted meanwhile


def handle_poster_failure(generation: Generation, error: Exception) -> None:
    attempts = generation.attempts + 1
    if attempts >= MAX_POSTER_ATTEMPTS:
        log.warning("No poster for %s after %s tries: %s", generation.pk, attempts, error)
        generation.forgo_poster(f"No poster could be made: {error}")
        return
    generation.schedule(
        timezone.now() + timedelta(seconds=cadence.retry_delay(attempts)),
        error=f"Making the poster failed ({error}); trying again.",
        attempts=attempts,
    )


@contextlib.contextmanager
def local_file(file: FieldFile) -> Iterator[Path]:
    """A path ffmpeg can read: the stored file itself, or a temporary copy from remote storage."""
    try:
        path = file.path
    except NotImplementedError:  # storages without local files (S3 and the like)
        path = None
    if path:
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="poster-") as workdir:
        copy = Path(workdir) / "clip.mp4"
        with file.open("rb") as source, copy.open("wb") as out:
            shutil.copyfileobj(source, out)
        yield copy
