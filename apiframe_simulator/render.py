"""Real clips for the Apiframe simulator: H.264 MP4s shaped like Hailuo's output.

With a first-frame image the clip starts on that image and slowly pushes in or pans across it;
without one it is a procedural landscape, coloured from a hash of the prompt, that shows the
prompt's words. Frames are drawn with Pillow/numpy and piped as raw RGB into the ffmpeg binary
that imageio-ffmpeg ships, so neither a system ffmpeg nor ffprobe is needed. Probing and
posters live in generations.video, shared with the studio.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
from PIL import ExifTags, Image

from .scenes import Landscape, camera_move, open_image, prompt_rng

SUPPORTED_HEIGHTS = (768, 1080)
DEFAULT_ASPECT = 16 / 9
MIN_ASPECT, MAX_ASPECT = 2 / 5, 5 / 2
MAX_DURATION = 60  # seconds; far above Hailuo's 10, only a guard against absurd requests
CRF = 20  # visually clean, and keeps frame 0 within a few levels of the source image
# Convert with the BT.709 matrix and tag the video so: players guess differently for untagged
# HD video, which shifts colours.
TO_BT709 = (
    "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
)


class RenderError(Exception):
    """A clip could not be rendered (unreadable image, ffmpeg failure, ...)."""


# --- public API ----------------------------------------------------------------------------------


def clip_size(height: int, image_size: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height) of a clip: 16:9, or the first-frame image's aspect clamped to 2:5..5:2."""
    if height not in SUPPORTED_HEIGHTS:
        raise ValueError(f"height must be one of {SUPPORTED_HEIGHTS}, not {height!r}")
    aspect = DEFAULT_ASPECT
    if image_size is not None:
        width, tall = image_size
        if width <= 0 or tall <= 0:
            raise ValueError(f"bad image size {image_size!r}")
        aspect = min(max(width / tall, MIN_ASPECT), MAX_ASPECT)
    # yuv420p needs even sides.
    return max(2, round(height * aspect / 2) * 2), height


def first_frame_size(image: bytes) -> tuple[int, int]:
    """(width, height) of a first-frame image as shown, i.e. after its EXIF orientation, which is
    what `clip_size` wants. Reads only the header. Raises RenderError if it is not an image."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            width, height = opened.size
            # Orientations 5 to 8 are stored sideways: shown, they swap width and height.
            if opened.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8):
                return height, width
            return width, height
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise RenderError(f"the first-frame image cannot be read: {exc}") from exc


def render_clip(
    destination: Path,
    *,
    prompt: str,
    height: int,
    duration: int,
    image: bytes | None = None,
    fps: int = 24,
) -> Path:
    """Render the clip to `destination` (an .mp4 path); returns it. Raises RenderError on failure."""
    destination = Path(destination)
    if not 0 < duration <= MAX_DURATION or not 0 < fps <= 60:
        raise RenderError(f"unsupported duration {duration!r} s or fps {fps!r}")
    try:
        source = open_image(image) if image is not None else None
        size = clip_size(height, source.size if source is not None else None)
        count = duration * fps
        rng = prompt_rng(prompt)
        if source is not None:
            frames = camera_move(source, size, count, duration, rng)
        else:
            frames = Landscape(prompt, size, count, fps, rng).frames()
        _encode(frames, destination, size, fps, count)
    except RenderError:
        raise
    except Exception as exc:  # a simulator job should fail cleanly, whatever went wrong
        raise RenderError(f"could not render {destination.name}: {exc}") from exc
    return destination


def _encode(
    frames: Iterator[bytes], destination: Path, size: tuple[int, int], fps: int, count: int
) -> None:
    width, height = size
    with atomic_path(destination) as tmp, tempfile.TemporaryFile() as log:
        command = [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
            "-i", "-", "-frames:v", str(count), "-an",
            "-vf", TO_BT709,
            "-c:v", "libx264", "-preset", "veryfast", "-crf", str(CRF), "-g", str(2 * fps),
            "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4", str(tmp),
        ]  # fmt: skip
        try:
            proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log
            )
        except OSError as exc:
            raise RenderError(f"cannot start ffmpeg: {exc}") from exc
        assert proc.stdin is not None
        try:
            try:
                for frame in frames:
                    proc.stdin.write(frame)
            finally:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg quit early; its exit status and log say why
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if proc.wait() != 0:
            log.seek(0)
            raise RenderError(f"ffmpeg failed ({proc.returncode}): {log_tail(log.read())}")


def ffmpeg_exe() -> str:
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise RenderError(f"imageio-ffmpeg has no ffmpeg binary: {exc}") from exc


def log_tail(log: bytes, lines: int = 5) -> str:
    text = log.decode(errors="replace")
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


@contextlib.contextmanager
def atomic_path(destination: Path) -> Iterator[Path]:
    """A temporary path beside `destination`, renamed over it only if the block succeeds, so a
    reader never sees a half-written file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".part", dir=destination.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the clip is served like any other file
        os.replace(tmp, destination)
    finally:
        tmp.unlink(missing_ok=True)
