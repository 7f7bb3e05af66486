"""Last frames: where a continuation of a clip starts (Hailuo 2.3 Fast has no end-image input, so
the next clip takes it as its first frame, sent like any other).

Made on demand, the first time a member asks to continue the clip, from the stored MP4, and kept:
most clips are never continued (the tracker would decode and store a PNG for every clip), and
only the clip's last second is decoded: 0.3 s for a 768p 10 s clip and 0.5 s for a 1080p one on
the test machine at rest, under 1 s with its two cores loaded. From a bucket, the MP4 is first
copied to a temporary file, as for posters.
"""

import logging
import tempfile
from pathlib import Path

from django.core.files import File

from .. import video
from ..models import Generation, Status
from .posters import local_file

log = logging.getLogger(__name__)

# The member is waiting on the page, and a web thread with them: a clip whose end takes longer
# than this to decode (a second of it takes under 1 s) is refused in words.
DECODE_SECONDS = 10
VIDEO_GONE = "This clip's video file is gone, so it has no last frame to continue from."
UNREADABLE = "The studio could not read the end of this clip's video: the file may be damaged."


class NoLastFrame(Exception):
    """Why a clip has no last frame to continue from, in words for the member (and the status
    its page answers with)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def check_continuable(generation: Generation) -> None:
    """Raise NoLastFrame unless the clip is one a member can continue."""
    if generation.deleted_at is not None:
        raise NoLastFrame("That clip was deleted: there is nothing to continue.", status=410)
    if generation.status != Status.COMPLETED:
        state = "is still being made." if generation.is_active else "never finished."
        raise NoLastFrame(f"Only a finished clip can be continued: this one {state}")
    if not generation.video:
        raise NoLastFrame(VIDEO_GONE)


def last_frame_of(generation: Generation) -> Generation:
    """The clip with its last frame made and kept (once, however many ask at the same moment),
    or NoLastFrame saying why not; nothing is left behind when it fails."""
    check_continuable(generation)
    if generation.last_frame:
        return generation
    storage = generation.last_frame.storage
    try:
        with local_file(generation.video) as clip, tempfile.TemporaryDirectory() as workdir:
            frame = video.last_frame(clip, Path(workdir) / "last.png", timeout=DECODE_SECONDS)
            with frame.open("rb") as png:
                name = storage.save(f"last-frames/{generation.pk}.png", File(png))
    except (video.VideoError, OSError) as error:
        if video_missing(generation):
            raise NoLastFrame(VIDEO_GONE) from error
        log.warning("No last frame for %s: %s", generation.pk, error)
        raise NoLastFrame(UNREADABLE) from error
    if not generation.keep_last_frame(name):
        storage.delete(name)  # another request kept one first, or the clip was deleted meanwhile
        generation.refresh_from_db()
        check_continuable(generation)
        if not generation.last_frame:
            raise NoLastFrame(VIDEO_GONE)
    return generation


def video_missing(generation: Generation) -> bool:
    name = generation.video.name
    try:
        return not name or not generation.video.storage.exists(name)
    except OSError:
        return True
