"""Real little MP4s for the reel tests, made with ffmpeg's test sources and kept in the storage
as finished clips (a disk or a bucket, whichever the test's settings name), and a frame of a
made reel decoded for its pixels."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from PIL import Image

from generations.video import ffmpeg_exe

# 16:9 like the studio's clips, small enough that encoding and stitching cost little.
SMALL_CLIP = (640, 360)


def encode(
    path: Path,
    *,
    size: tuple[int, int] = SMALL_CLIP,
    seconds: float = 1.0,
    rate: int = 24,
    colour: str = "",
    audio: bool = False,
) -> Path:
    """An H.264 MP4 of ffmpeg's moving test pattern (or one flat `colour`), with a tone if
    `audio`."""
    width, height = size
    source = (
        f"color=c={colour}:size={width}x{height}:rate={rate}:duration={seconds}"
        if colour
        else f"testsrc2=size={width}x{height}:rate={rate}:duration={seconds}"
    )
    command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        command += ["-c:a", "aac", "-shortest"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-g", str(rate), "-movflags", "+faststart", str(path)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return path


def stored_clip(make_generation, owner, prompt: str, **encoding):
    """A finished clip whose MP4 is really in the storage, `encoding` as `encode` takes it."""
    pk = uuid.uuid4()
    with tempfile.TemporaryDirectory() as folder:
        path = encode(Path(folder) / "clip.mp4", **encoding)
        with path.open("rb") as content:
            name = default_storage.save(f"clips/{pk}.mp4", File(content))
    seconds = encoding.get("seconds", 1.0)
    return make_generation(
        owner, prompt, "completed", id=pk, video=name, poster="", duration=round(seconds)
    )


def frame_at(video_name: str, seconds: float) -> Image.Image:
    """The frame of a stored video at `seconds`, as RGB."""
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / "made.mp4"
        with default_storage.open(video_name, "rb") as source, local.open("wb") as out:
            out.write(source.read())
        command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-ss", f"{seconds:.3f}",
                   "-i", str(local), "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"]  # fmt: skip
        proc = subprocess.run(command, capture_output=True, check=True, timeout=120)
    with tempfile.TemporaryFile() as png:
        png.write(proc.stdout)
        png.seek(0)
        return Image.open(png).convert("RGB")


def local_copy(video_name: str, folder: Path) -> Path:
    path = Path(folder) / Path(video_name).name
    with default_storage.open(video_name, "rb") as source, path.open("wb") as out:
        out.write(source.read())
    return path
