"""ffmpeg work the studio does on clips (the binary that imageio-ffmpeg ships; no system ffmpeg)."""

import subprocess
from pathlib import Path

import imageio_ffmpeg


class VideoError(Exception):
    """ffmpeg could not read or write a clip."""


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def poster_frame(video: Path, destination: Path, *, at_seconds: float = 1.0) -> Path:
    """One frame of the clip as a JPEG: what the gallery shows before anyone presses play."""
    command = [
        ffmpeg_exe(), "-v", "error", "-y", "-ss", f"{at_seconds:.2f}", "-i", str(video),
        "-frames:v", "1", "-q:v", "4", str(destination),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=60, check=False)
    if result.returncode != 0 or not destination.exists() or destination.stat().st_size == 0:
        raise VideoError(result.stderr.decode(errors="replace").strip()[-300:] or "no frame")
    return destination
