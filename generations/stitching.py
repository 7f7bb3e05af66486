"""ffmpeg work for reels: reading each shot's format, and joining the shots into one MP4.

Shots alike in every parameter a decoder cares about are joined by the concat demuxer with
`-c copy` (seconds, whatever the length); otherwise every shot is re-encoded to the first one's
size and frame rate, scaled to fit and padded with black (letterboxed or pillarboxed, never
stretched). ffmpeg runs at the lowest CPU priority and dies with its parent (a killed worker
leaves no ffmpeg behind), and reports its progress on a pipe that `stitch` reads.

It uses the ffmpeg binary that imageio-ffmpeg ships (generations/video.py): ffprobe's facts are
read from ffmpeg's own description of its inputs.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .video import VideoError, ffmpeg_exe, log_tail

COPY = "copy"
REENCODE = "re-encode"
PROBE_TIMEOUT = 60  # seconds for reading one file's header
CRF = 20  # as the simulator renders: visually clean
PRESET = "veryfast"
AUDIO_RATE = 48000
# ffmpeg prints frame rates rounded; these are the NTSC rates they stand for.
NTSC_RATES = {"23.98": "24000/1001", "29.97": "30000/1001", "59.94": "60000/1001"}


class StitchError(Exception):
    """ffmpeg could not read a shot or join the shots; the message says which, in words."""


class Stopped(Exception):
    """The caller asked to stop (its claim on the reel is gone): nothing was made."""


@dataclass(frozen=True)
class ShotFormat:
    """What decides whether shots can be joined without re-encoding, read from one file."""

    codec: str
    profile: str
    # With its colour range, matrix and field order, e.g. "yuv420p(tv, bt709, progressive)".
    pix_fmt: str
    width: int
    height: int
    sample_aspect: str
    frame_rate: str
    time_base: str
    audio: str  # "" without an audio stream; else codec, rate, layout and sample format
    duration: float

    @property
    def copy_key(self) -> tuple:
        """Shots with equal keys concatenate by stream copy into a valid file."""
        return (
            self.codec,
            self.profile,
            self.pix_fmt,
            self.width,
            self.height,
            self.sample_aspect,
            self.frame_rate,
            self.time_base,
            self.audio,
        )

    @property
    def is_bt709(self) -> bool:
        return "bt709" in self.pix_fmt


_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\d+:\d+\S*: Video: (.+)")
_AUDIO = re.compile(r"Stream #\d+:\d+\S*: Audio: (.+)")
_SIZE = re.compile(r"(\d+)x(\d+)(?: \[SAR (\d+:\d+) DAR \d+:\d+\])?")


def probe(path: Path) -> ShotFormat:
    """The format of the video at `path` (its first video stream and first audio stream)."""
    path = Path(path)
    try:
        proc = subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)],
            capture_output=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired, VideoError) as exc:
        raise StitchError(f"ffmpeg could not read {path.name}: {exc}") from exc
    log = proc.stderr.decode(errors="replace")
    return parse_probe(log, path.name)


def parse_probe(log: str, name: str = "the file") -> ShotFormat:
    video, duration = _VIDEO.search(log), _DURATION.search(log)
    if video is None or duration is None:
        raise StitchError(f"{name} is not a readable video: {log_tail(log)}")
    parts = split_top_level(video.group(1))
    size = next((m for part in parts if (m := _SIZE.fullmatch(part.strip()))), None)
    if len(parts) < 3 or size is None:
        raise StitchError(f"cannot understand the video stream of {name}: {video.group(1)}")
    codec_words = parts[0].split(" ")
    profile = re.match(r"\(([^)]*)\)", " ".join(codec_words[1:]))
    hours, minutes, seconds = duration.groups()
    audio = _AUDIO.search(log)
    return ShotFormat(
        codec=codec_words[0],
        profile=profile.group(1) if profile else "",
        pix_fmt=parts[1],
        width=int(size.group(1)),
        height=int(size.group(2)),
        sample_aspect=size.group(3) or "",
        frame_rate=stream_value(parts, "fps"),
        time_base=stream_value(parts, "tbn"),
        audio=audio_key(audio.group(1)) if audio else "",
        duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
    )


def stream_value(parts: list[str], unit: str) -> str:
    """The number before `unit` ("24" from "24 fps"); "" if the stream does not say."""
    for part in parts:
        words = part.split()
        if len(words) >= 2 and words[1] == unit:
            return words[0]
    return ""


def audio_key(description: str) -> str:
    """An audio stream's codec, rate, layout and sample format, without its bitrate or tags."""
    parts = split_top_level(description)
    kept = [parts[0].split(" (")[0], *(p for p in parts[1:4] if not p.endswith("kb/s"))]
    return ", ".join(kept)


def split_top_level(text: str) -> list[str]:
    """Split ffmpeg's stream description on commas that are not inside parentheses or brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def method_for(formats: list[ShotFormat]) -> str:
    """Stream copy when every shot is alike in every parameter that matters, else re-encode."""
    return COPY if len({f.copy_key for f in formats}) == 1 else REENCODE


def copy_arguments(paths: list[Path], workdir: Path) -> list[str]:
    listing = workdir / "shots.txt"
    # The concat demuxer's quoting: a single quote is closed, escaped and reopened.
    lines = ["file '" + str(p.resolve()).replace("'", "'\\''") + "'" for p in paths]
    listing.write_text("\n".join(lines) + "\n")
    return ["-f", "concat", "-safe", "0", "-i", str(listing),
            "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"]  # fmt: skip


def reencode_arguments(paths: list[Path], formats: list[ShotFormat]) -> list[str]:
    """Every shot scaled to fit the first one's frame, padded with black to fill it, at its frame
    rate; with audio if any shot has some (silence for those without)."""
    first = formats[0]
    width, height = first.width // 2 * 2, first.height // 2 * 2
    rate = NTSC_RATES.get(first.frame_rate, first.frame_rate or "24")
    with_audio = any(f.audio for f in formats)
    inputs: list[str] = []
    chains: list[str] = []
    joined = ""
    for i, (path, shot) in enumerate(zip(paths, formats, strict=True)):
        inputs += ["-i", str(path)]
        chains.append(
            f"[{i}:v:0]scale={width}:{height}:force_original_aspect_ratio=decrease:"
            f"force_divisible_by=2,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,"
            f"setsar=1,fps={rate},format=yuv420p[v{i}]"
        )
        joined += f"[v{i}]"
        if with_audio:
            if shot.audio:
                chains.append(
                    f"[{i}:a:0]aresample={AUDIO_RATE},aformat=sample_fmts=fltp:"
                    f"channel_layouts=stereo[a{i}]"
                )
            else:
                chains.append(
                    f"anullsrc=r={AUDIO_RATE}:cl=stereo,atrim=duration={shot.duration:.3f}[a{i}]"
                )
            joined += f"[a{i}]"
    audio_out = 1 if with_audio else 0
    chains.append(
        f"{joined}concat=n={len(paths)}:v=1:a={audio_out}[v]" + ("[a]" if with_audio else "")
    )
    arguments = [*inputs, "-filter_complex", ";".join(chains), "-map", "[v]"]
    if with_audio:
        arguments += ["-map", "[a]", "-c:a", "aac", "-b:a", "160k"]
    arguments += ["-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p"]
    if first.is_bt709:
        arguments += ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
    return arguments


def stitch(
    paths: list[Path],
    destination: Path,
    *,
    formats: list[ShotFormat] | None = None,
    on_progress: Callable[[float], None] = lambda fraction: None,
    should_stop: Callable[[], bool] = lambda: False,
    deadline_seconds: float = 20 * 60,
) -> str:
    """Join the videos at `paths`, in order, into `destination` (an .mp4); returns the method
    used (COPY or REENCODE). `on_progress` hears the fraction done (0..1) about once a second;
    `should_stop` is asked as often, and a True stops ffmpeg and raises Stopped."""
    if not paths:
        raise StitchError("there are no shots to join")
    paths = [Path(p) for p in paths]
    formats = formats or [probe(p) for p in paths]
    method = method_for(formats)
    total = sum(f.duration for f in formats)
    with tempfile.TemporaryDirectory(prefix="stitch-", dir=Path(destination).parent) as work:
        body = (
            copy_arguments(paths, Path(work))
            if method == COPY
            else reencode_arguments(paths, formats)
        )
        arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", *body,
                     "-movflags", "+faststart", "-progress", "pipe:1", "-nostats",
                     "-f", "mp4", str(destination)]  # fmt: skip
        run_with_progress(
            arguments,
            total_seconds=total,
            on_progress=on_progress,
            should_stop=should_stop,
            deadline_seconds=deadline_seconds,
        )
    return method


def low_priority() -> list[str]:
    """What runs ffmpeg at the lowest CPU priority (the tracker keeps its CPU) and kills it if
    the worker that started it dies (a killed cluster leaves no ffmpeg writing)."""
    prefix = []
    if nice := shutil.which("nice"):
        prefix += [nice, "-n", "19"]
    if setpriv := shutil.which("setpriv"):
        prefix += [setpriv, "--pdeathsig", "KILL"]
    return prefix


def run_with_progress(
    arguments: list[str],
    *,
    total_seconds: float,
    on_progress: Callable[[float], None],
    should_stop: Callable[[], bool],
    deadline_seconds: float,
) -> None:
    """Run ffmpeg with `-progress pipe:1`, reading its reports as they come."""
    began = time.monotonic()
    last_report = 0.0
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                [*low_priority(), ffmpeg_exe(), *arguments],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        except (OSError, VideoError) as exc:
            raise StitchError(f"ffmpeg could not start: {exc}") from exc
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        pending = b""
        try:
            while True:
                if should_stop():
                    raise Stopped("the reel's claim is gone")
                if time.monotonic() - began > deadline_seconds:
                    raise StitchError(
                        f"joining the shots took longer than {deadline_seconds / 60:.0f} minutes"
                    )
                if not selector.select(timeout=0.5):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                done = progress_seconds(lines)
                now = time.monotonic()
                if done is not None and total_seconds > 0 and now - last_report >= 1.0:
                    last_report = now
                    on_progress(min(1.0, done / total_seconds))
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            selector.close()
            proc.stdout.close()
        code = proc.wait()
        if code != 0:
            errors.seek(0)
            raise StitchError(f"ffmpeg could not join the shots: {log_tail(errors.read())}")


def progress_seconds(lines: list[bytes]) -> float | None:
    """The last `out_time_us` of ffmpeg's progress lines, in seconds (None if none is there)."""
    seconds = None
    for line in lines:
        key, _, value = line.decode(errors="replace").strip().partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit():
            seconds = max(0, int(value)) / 1_000_000
    return seconds
