"""The simulator's clip renderer: real H.264 clips, checked by decoding what was written.

Clips are rendered once per module (768p 6 s mostly, one 1080p, and a few 1 s clips for the
cheap checks), so the slow part of this file costs about ten seconds.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from apiframe_simulator.render import RenderError, clip_size, first_frame_size, render_clip
from generations.video import VideoError, VideoInfo, poster_frame, probe
from tests.frames import read_frame

PROMPT = "A lighthouse on a cliff at dusk, waves crashing, gulls circling, slow dolly in"
OTHER_PROMPT = "Neon city at night, rain on the streets, a lone cyclist passes by"


def picture(size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A non-trivial test picture: a two-way colour gradient with a few solid shapes."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.dstack(
        [xs * 255 // width, ys * 255 // height, 255 - (xs + ys) * 255 // (width + height)]
    ).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.1, height * 0.15, width * 0.35, height * 0.5), fill=(250, 220, 30))
    draw.rectangle((width * 0.55, height * 0.3, width * 0.85, height * 0.8), fill=(30, 50, 180))
    draw.polygon(
        [
            (width * 0.5, height * 0.05),
            (width * 0.65, height * 0.25),
            (width * 0.35, height * 0.25),
        ],
        fill=(200, 30, 60),
    )
    return image


def encoded(image: Image.Image, image_format: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(pixels(a) - pixels(b)).mean())


def top_level_boxes(video: Path) -> list[str]:
    """The MP4's top-level box types, in file order."""
    data, boxes, offset = video.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def assert_playable(info: VideoInfo, size: tuple[int, int], seconds: int) -> None:
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.width, info.height) == size
    assert info.fps == pytest.approx(24)
    assert info.duration == pytest.approx(seconds, abs=0.1)
    assert info.frames == seconds * 24


# Clips, rendered once for the module


@pytest.fixture(scope="module")
def clips_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module")
def source() -> Image.Image:
    return picture()


@pytest.fixture(scope="module")
def image_clip(clips_dir: Path, source: Image.Image) -> Path:
    return render_clip(
        clips_dir / "image.mp4", prompt=PROMPT, height=768, duration=6, image=encoded(source)
    )


@pytest.fixture(scope="module")
def scene_clip(clips_dir: Path) -> Path:
    return render_clip(clips_dir / "scene.mp4", prompt=PROMPT, height=768, duration=6)


@pytest.fixture(scope="module")
def short_scenes(clips_dir: Path) -> dict[str, Path]:
    """One-second clips: the same prompt twice, and another prompt."""
    return {
        name: render_clip(clips_dir / f"{name}.mp4", prompt=prompt, height=768, duration=1)
        for name, prompt in (("first", PROMPT), ("again", PROMPT), ("other", OTHER_PROMPT))
    }


# Sizes (no rendering)


@pytest.mark.parametrize(
    ("height", "image_size", "expected"),
    [
        (768, None, (1366, 768)),
        (1080, None, (1920, 1080)),
        (768, (800, 600), (1024, 768)),
        (1080, (800, 600), (1440, 1080)),
        (768, (512, 512), (768, 768)),
        (1080, (1280, 720), (1920, 1080)),
        (768, (1000, 1001), (768, 768)),  # rounded to an even width
        (768, (450, 1000), (346, 768)),  # 0.45 * 768 = 345.6 -> 346
        (768, (100, 1000), (308, 768)),  # 1:10 clamped to 2:5
        (1080, (5000, 1000), (2700, 1080)),  # 5:1 clamped to 5:2
    ],
)
def test_clip_size(height, image_size, expected):
    assert clip_size(height, image_size) == expected


@pytest.mark.parametrize(("height", "image_size"), [(720, None), (768, (0, 10))])
def test_clip_size_refuses_what_hailuo_cannot_make(height, image_size):
    with pytest.raises(ValueError):
        clip_size(height, image_size)


def test_first_frame_size_honours_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, shown rotated by 90 degrees
    sideways = encoded(picture((800, 600)), "JPEG", exif=exif)

    assert first_frame_size(encoded(picture((800, 600)), "WEBP")) == (800, 600)
    assert first_frame_size(sideways) == (600, 800)
    with pytest.raises(RenderError):
        first_frame_size(b"not an image")


# Failures (no rendering)


def test_unreadable_image_fails_cleanly_and_leaves_nothing(tmp_path):
    with pytest.raises(RenderError, match="image"):
        render_clip(tmp_path / "clip.mp4", prompt="x", height=768, duration=6, image=b"garbage")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("height", "duration"), [(720, 6), (768, 0)])
def test_bad_parameters_raise_render_error(tmp_path, height, duration):
    with pytest.raises(RenderError):
        render_clip(tmp_path / "clip.mp4", prompt="x", height=height, duration=duration)

    assert list(tmp_path.iterdir()) == []


def test_probe_and_poster_refuse_what_is_not_a_video(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypmp42 but nothing else")

    with pytest.raises(VideoError):
        probe(fake)
    with pytest.raises(VideoError):
        probe(tmp_path / "missing.mp4")
    with pytest.raises(VideoError):
        poster_frame(fake, tmp_path / "poster.jpg")
    assert not (tmp_path / "poster.jpg").exists()


# Clips with a first-frame image


@pytest.mark.slow
def test_image_clip_is_browser_ready_h264(image_clip):
    assert_playable(probe(image_clip), (1024, 768), 6)
    # faststart: the index comes before the media, so browsers can play while downloading.
    boxes = top_level_boxes(image_clip)
    assert boxes.index("moov") < boxes.index("mdat")
    # Written beside the destination, then renamed: nothing half-written is left around.
    assert not [path for path in image_clip.parent.iterdir() if path.name.startswith(".")]


@pytest.mark.slow
def test_image_clip_starts_on_the_image(image_clip, source):
    first = read_frame(image_clip, 0)

    expected = source.resize(first.size, Image.Resampling.LANCZOS)
    assert mean_difference(first, expected) < 6


@pytest.mark.slow
def test_image_clip_moves_smoothly_away_from_it(image_clip):
    frames = [read_frame(image_clip, index) for index in (0, 1, 72, 143)]

    assert mean_difference(frames[0], frames[1]) < 3  # no jump after the first frame
    assert mean_difference(frames[0], frames[2]) > 3
    assert mean_difference(frames[0], frames[3]) > mean_difference(frames[0], frames[2])


@pytest.mark.slow
def test_image_clip_follows_the_image_aspect_and_orientation(clips_dir):
    exif = Image.Exif()
    exif[0x0112] = 6  # a phone portrait: stored landscape, shown rotated by 90 degrees
    stored = picture((800, 600))
    image = encoded(stored, "JPEG", quality=95, exif=exif)

    clip = render_clip(clips_dir / "portrait.mp4", prompt="p", height=768, duration=1, image=image)

    assert_playable(probe(clip), (576, 768), 1)
    shown = stored.transpose(Image.Transpose.ROTATE_270).resize((576, 768))
    assert mean_difference(read_frame(clip, 0), shown) < 8


@pytest.mark.slow
def test_extreme_aspect_is_clamped_and_cropped(clips_dir):
    strip = picture((1200, 200))  # 6:1, wider than 5:2

    clip = render_clip(
        clips_dir / "strip.mp4", prompt="p", height=768, duration=1, image=encoded(strip)
    )

    assert_playable(probe(clip), (1920, 768), 1)
    middle = strip.crop((350, 0, 850, 200)).resize((1920, 768))  # the centred 5:2 part
    assert mean_difference(read_frame(clip, 0), middle) < 8


# Procedural clips without an image


@pytest.mark.slow
def test_scene_clip_is_16_9_h264_that_moves(scene_clip):
    assert_playable(probe(scene_clip), (1366, 768), 6)
    first, middle = read_frame(scene_clip, 0), read_frame(scene_clip, 72)

    assert mean_difference(first, middle) > 1
    # Colourful, not a flat or black frame.
    assert pixels(first).std() > 20


@pytest.mark.slow
def test_scene_shows_the_prompt_on_a_card_in_the_middle(scene_clip):
    frame = pixels(read_frame(scene_clip, 24)).mean(axis=2)
    # White lettering on the dark card: the middle of the frame has many near-white pixels and
    # sharp edges, the sky above it far fewer.
    card = frame[250:380, 250:1116]
    sky = frame[0:130, 250:1116]
    assert (card > 230).mean() > 0.03
    assert np.abs(np.diff(card, axis=1)).mean() > 2 * np.abs(np.diff(sky, axis=1)).mean()


@pytest.mark.slow
def test_same_prompt_same_scene_other_prompt_other_scene(short_scenes):
    first, again, other = (
        read_frame(short_scenes[name], 0) for name in ("first", "again", "other")
    )

    assert mean_difference(first, again) < 0.5
    assert mean_difference(first, other) > 10


@pytest.mark.slow
def test_1080p_without_image_is_full_hd(clips_dir):
    clip = render_clip(clips_dir / "hd.mp4", prompt=OTHER_PROMPT, height=1080, duration=6)

    assert_playable(probe(clip), (1920, 1080), 6)


# Posters


@pytest.mark.slow
def test_poster_is_a_jpeg_of_the_clip_size(image_clip, tmp_path):
    poster = poster_frame(image_clip, tmp_path / "posters" / "poster.jpg")

    with Image.open(poster) as opened:
        assert (opened.format, opened.size) == ("JPEG", (1024, 768))
        assert mean_difference(opened, read_frame(image_clip, 24)) < 4
    assert [path.name for path in poster.parent.iterdir()] == ["poster.jpg"]


@pytest.mark.slow
def test_poster_past_the_end_uses_the_last_frame(short_scenes, tmp_path):
    poster = poster_frame(short_scenes["first"], tmp_path / "late.jpg", at_seconds=30)

    with Image.open(poster) as opened:
        assert opened.size == (1366, 768)
        assert mean_difference(opened, read_frame(short_scenes["first"], 23)) < 4
