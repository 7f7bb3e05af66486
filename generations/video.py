"""ffmpeg work on clips: checking a stored clip and making its poster (tests probe renders with it).

It uses the ffmpeg binary that imageio-ffmpeg ships, so neither a system ffmpeg nor ffprobe is needed.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from PIL import Image

TIMEOUT = 120  # seconds for one probe or decode; a 10 s clip takes well under one
NULL_OUTPUT = ("-f", "null", "-")
ONE_RGB_FRAME = ("-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")


class VideoError(Exception):
    """ffmpeg could not read or write a clip."""


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    pix_fmt: str
    width: int
    height: int
    fps: float
    duration: float
    frames: int | None


def poster_frame(video: Path, destination: Path, *, at_seconds: float = 1.0) -> Path:
    """One frame of the clip as a JPEG: what the gallery shows before anyone presses play."""
    video, destination = Path(video), Path(destination)
    # One ffmpeg call seeking to the moment and decoding a single frame on one thread: the
    # tracker makes many posters side by side, so threads would only contend for the cores.
    frame = _decode_ppm(video, at_seconds) or _last_frame_before(video, at_seconds)
    with atomic_path(destination) as tmp:
        frame.save(tmp, "JPEG", quality=88, optimize=True, progressive=True)
    return destination


def _decode_ppm(video: Path, at_seconds: float) -> Image.Image | None:
    """The frame at `at_seconds`, or None when the clip ends before it."""
    if not video.is_file():
        raise VideoError(f"{video} does not exist")
    at = math.floor(max(0.0, at_seconds) * 1000) / 1000
    args = ["-nostdin", "-v", "error", "-threads", "1", "-ss", f"{at:.3f}", "-i", str(video)]
    proc = run_ffmpeg(
        [*args, "-map", "0:v:0", "-frames:v", "1", "-f", "image2pipe", "-c:v", "ppm", "-"],
        what=f"decode {video.name}",
    )
    if proc.returncode != 0:
        raise VideoError(f"no frame decoded from {video.name}: {log_tail(proc.stderr)}")
    if not proc.stdout:
        return None
    with Image.open(io.BytesIO(proc.stdout)) as image:
        return image.convert("RGB")


def _last_frame_before(video: Path, at_seconds: float) -> Image.Image:
    """For a moment past the end: the clip's last frame (the probe says where that is)."""
    info = probe(video)
    frames = info.frames or max(1, round(info.duration * info.fps))
    last = (frames - 1) / info.fps
    # Floor to whole milliseconds: -ss rounding up past the last frame would yield nothing.
    at = math.floor(min(max(0.0, at_seconds), last) * 1000) / 1000
    return _decode_one(video, info, ["-ss", f"{at:.3f}"])


# The final frame is looked for this far before the end (seeking to the keyframe before it and
# decoding forward); a clip whose last frames lie earlier (a longer audio track) is decoded whole.
LAST_FRAME_WINDOW_SECONDS = 1.0


def last_frame(video: Path, destination: Path, *, timeout: float = TIMEOUT) -> Path:
    """The clip's very last decoded frame at full size, as a lossless PNG: where a continuation
    of the clip starts. Each frame of the last second is written over one file, so the one left
    is the last (PPM, no compression per frame); only that one is encoded as PNG."""
    video, destination = Path(video), Path(destination)
    if not video.is_file():
        raise VideoError(f"{video} does not exist")
    with tempfile.TemporaryDirectory(prefix="last-frame-") as workdir:
        frame = Path(workdir) / "frame.ppm"
        every_frame_over_one = ("-fps_mode", "passthrough", "-update", "1", "-c:v", "ppm")
        for seek in (["-sseof", f"-{LAST_FRAME_WINDOW_SECONDS}"], []):
            args = ["-nostdin", "-v", "error", "-threads", "1", *seek, "-i", str(video)]
            proc = run_ffmpeg(
                [*args, "-map", "0:v:0", *every_frame_over_one, "-f", "image2", "-y", str(frame)],
                what=f"decode the end of {video.name}",
                timeout=timeout,
            )
            if proc.returncode != 0:
                raise VideoError(f"no frame decoded from {video.name}: {log_tail(proc.stderr)}")
            if frame.is_file() and frame.stat().st_size:
                break
        else:
            raise VideoError(f"{video.name} has no frame to continue from")
        with Image.open(frame) as image, atomic_path(destination) as tmp:
            image.convert("RGB").save(tmp, "PNG")
    return destination


def check_mp4(video: Path) -> None:
    """Walk an MP4's top-level boxes, decoding nothing: an error page, a file cut short or one that
    is not an MP4 at all fails here, in microseconds. (ffmpeg decodes it for the poster.)"""
    video = Path(video)
    size = video.stat().st_size
    kinds: set[bytes] = set()
    offset = 0
    with video.open("rb") as file:
        while offset < size:
            file.seek(offset)
            header = file.read(8)
            if len(header) < 8:
                raise VideoError(f"{video.name} ends inside a box header")
            box_size, kind = struct.unpack(">I4s", header)
            if box_size == 1:  # a 64-bit size follows the type
                box_size = struct.unpack(">Q", file.read(8).rjust(8, b"\0"))[0]
            elif box_size == 0:  # the box runs to the end of the file
                box_size = size - offset
            if offset == 0 and kind != b"ftyp":
                raise VideoError(f"{video.name} is not an MP4 (it starts with {header[:8]!r})")
            if box_size < 8 or offset + box_size > size:
                raise VideoError(
                    f"{video.name} is cut short or damaged (its {kind.decode('latin-1')!r} box)"
                )
            kinds.add(kind)
            offset += box_size
    if not {b"moov", b"mdat"} <= kinds:
        raise VideoError(f"{video.name} has no {'moov' if b'moov' not in kinds else 'mdat'} box")


def probe(video: Path) -> VideoInfo:
    """Codec, pixel format, size, rate, duration and frame count of a video, without ffprobe."""
    video = Path(video)
    if not video.is_file():
        raise VideoError(f"{video} does not exist")
    # Stream-copying into the null muxer prints the header and counts frames without decoding.
    proc = run_ffmpeg(
        ["-nostdin", "-hide_banner", "-i", str(video), "-map", "0:v:0", "-c", "copy", *NULL_OUTPUT],
        what=f"probe {video.name}",
    )
    log = proc.stderr.decode(errors="replace")
    stream = _VIDEO_STREAM.search(log)
    if proc.returncode != 0 or stream is None:
        raise VideoError(f"{video.name} is not a readable video: {log_tail(log)}")
    return _parse_probe(log, stream.group(1))


# --- ffmpeg plumbing -----------------------------------------------------------------------------

_VIDEO_STREAM = re.compile(r"Stream #\d+:\d+.*?: Video: (.+)")
_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_FPS = re.compile(r"([\d.]+)(k?) fps")
_FRAME_COUNT = re.compile(r"frame=\s*(\d+)")
_SIZE = re.compile(r"(\d+)x(\d+)")


def ffmpeg_exe() -> str:
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise VideoError(f"imageio-ffmpeg has no ffmpeg binary: {exc}") from exc


def run_ffmpeg(
    args: list[str], *, what: str, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [ffmpeg_exe(), *args], capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VideoError(f"ffmpeg could not {what}: {exc}") from exc


def log_tail(log: str | bytes, lines: int = 5) -> str:
    if isinstance(log, bytes):
        log = log.decode(errors="replace")
    return " | ".join(line.strip() for line in log.strip().splitlines()[-lines:])


def _split_top_level(text: str) -> list[str]:
    """Split ffmpeg's stream description on commas that are not inside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _parse_probe(log: str, stream: str) -> VideoInfo:
    parts = _split_top_level(stream)
    sizes = [m for part in parts if (m := _SIZE.fullmatch(part.split(" ")[0]))]
    fps_match = _FPS.search(stream)
    if len(parts) < 3 or not sizes or fps_match is None:
        raise VideoError(f"cannot understand the video stream: {stream}")
    fps = float(fps_match.group(1)) * (1000 if fps_match.group(2) else 1)
    counts = _FRAME_COUNT.findall(log)
    frames = int(counts[-1]) if counts else None
    duration_match = _DURATION.search(log)
    if duration_match:
        hours, minutes, seconds = duration_match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    elif frames is not None:
        duration = frames / fps
    else:
        raise VideoError("the video has no duration")
    return VideoInfo(
        codec=parts[0].split(" ")[0],
        pix_fmt=parts[1].split("(")[0].strip(),
        width=int(sizes[0].group(1)),
        height=int(sizes[0].group(2)),
        fps=fps,
        duration=duration,
        frames=frames,
    )


def _decode_one(video: Path, info: VideoInfo, before: list[str]) -> Image.Image:
    """Decode a single frame to RGB; `before` goes ahead of -i (seeking)."""
    args = ["-nostdin", "-v", "error", *before, "-i", str(video), "-map", "0:v:0"]
    proc = run_ffmpeg([*args, *ONE_RGB_FRAME], what=f"decode {video.name}")
    expected = info.width * info.height * 3
    if proc.returncode != 0 or len(proc.stdout) < expected:
        raise VideoError(f"no frame decoded from {video.name}: {log_tail(proc.stderr)}")
    return Image.frombytes("RGB", (info.width, info.height), proc.stdout[:expected])


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
