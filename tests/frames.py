"""One frame of a clip by its index, as an RGB image: how the render tests look at what was made."""

from pathlib import Path

from PIL import Image

from generations.video import ONE_RGB_FRAME, VideoError, log_tail, probe, run_ffmpeg


def read_frame(video: Path, index: int = 0) -> Image.Image:
    """Decode frame `index` (0-based) of a video as an RGB image."""
    video = Path(video)
    info = probe(video)
    if index < 0 or (info.frames is not None and index >= info.frames):
        raise VideoError(f"{video.name} has no frame {index} ({info.frames} frames)")
    select = ["-vf", f"select=eq(n\\,{index})", "-fps_mode", "passthrough"]
    args = ["-nostdin", "-v", "error", "-i", str(video), "-map", "0:v:0", *select]
    proc = run_ffmpeg([*args, *ONE_RGB_FRAME], what=f"decode {video.name}")
    expected = info.width * info.height * 3
    if proc.returncode != 0 or len(proc.stdout) < expected:
        raise VideoError(f"no frame decoded from {video.name}: {log_tail(proc.stderr)}")
    return Image.frombytes("RGB", (info.width, info.height), proc.stdout[:expected])
