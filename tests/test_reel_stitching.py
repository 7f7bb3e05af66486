"""Making a reel stitches its shots, in order, into one MP4 kept in the storage: by stream copy
when every shot has the same size and codec parameters, else re-encoded to the first shot's size,
letterboxed or pillarboxed (never stretched). Decoded, the file lasts the sum of its shots (within
a frame) and has the first shot's size. A remade reel replaces its previous file."""

import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from generations import stitching
from generations.models.reels import Reel, ReelState
from generations.pipeline import reels as making
from generations.video import ffmpeg_exe
from tests.reel_clips import SMALL_CLIP, frame_at, local_copy, stored_clip

# The stitching task renews its claim from a thread of its own: the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

FRAME = 1 / 24
# Small frames: stitching and decoding stay quick, and the rules are the same at any size.
WIDE = SMALL_CLIP
BLACK = 24  # a letterbox bar's channels stay below this (black, after H.264's rounding)


def decoded(video_name: str) -> tuple[int, float, bool]:
    """Frames decoded, seconds they last at 24 fps, and whether there is an audio stream."""
    with tempfile.TemporaryDirectory() as folder:
        path = local_copy(video_name, Path(folder))
        command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path),
                   "-map", "0:v:0", "-f", "null", "-"]  # fmt: skip
        proc = subprocess.run(command, capture_output=True, check=True, timeout=120)
    log = proc.stderr.decode()
    frames = int(re.findall(r"frame=\s*(\d+)", log)[-1])
    return frames, frames * FRAME, "Audio:" in log


def make(reel: Reel) -> Reel:
    reel.request_making()
    assert making.make_reel(reel.pk).startswith("made by"), Reel.objects.get(pk=reel.pk).error
    reel.refresh_from_db()
    return reel


def test_alike_shots_are_joined_by_stream_copy(alice, make_generation):
    lengths = [1.0, 2.0, 1.5]
    clips = [
        stored_clip(make_generation, alice, f"Shot {n}", seconds=seconds)
        for n, seconds in enumerate(lengths)
    ]
    reel = Reel.make(name="Alike", by=alice)
    reel.add([clip.pk for clip in clips], by=alice)
    reel = make(reel)

    assert reel.state == ReelState.READY and not reel.is_stale and reel.shows_file
    assert reel.method == stitching.COPY
    assert (reel.width, reel.height) == WIDE
    assert reel.duration == pytest.approx(sum(lengths), abs=FRAME)
    frames, seconds, _ = decoded(reel.file.name)
    assert frames == round(sum(lengths) * 24) and seconds == pytest.approx(sum(lengths), abs=FRAME)
    assert reel.file.name == f"reels/{reel.pk}-v{reel.version}.mp4"
    assert reel.progress == 100 and not reel.lease_token


def test_shots_of_other_sizes_are_letterboxed_to_the_first_ones(alice, make_generation):
    width, height = WIDE
    wide = stored_clip(make_generation, alice, "Wide", size=WIDE, seconds=1.0)
    # A flat blue portrait clip: in the wide frame it must stand full height, centred, as wide
    # as its shape allows (height * height / width columns), black either side.
    tall = stored_clip(
        make_generation, alice, "Tall", size=(height, width), seconds=1.0, colour="0x2050e0"
    )
    last = stored_clip(make_generation, alice, "Wide again", size=WIDE, seconds=1.0)
    reel = Reel.make(name="Mixed", by=alice)
    reel.add([wide.pk, tall.pk, last.pk], by=alice)
    reel = make(reel)

    assert reel.method == stitching.REENCODE
    assert (reel.width, reel.height) == WIDE
    assert reel.duration == pytest.approx(3.0, abs=FRAME)
    frames, seconds, _ = decoded(reel.file.name)
    assert frames == 72 and seconds == pytest.approx(3.0, abs=FRAME)

    frame = frame_at(reel.file.name, 1.5)  # in the middle of the portrait shot
    assert frame.size == WIDE
    middle = height // 2
    middle_row = [frame.getpixel((x, middle)) for x in range(width)]
    picture = [x for x, pixel in enumerate(middle_row) if max(pixel) > BLACK]
    left, right = picture[0], picture[-1]
    columns = height * height / width  # not stretched
    assert right - left + 1 == pytest.approx(columns, abs=4)
    assert left == pytest.approx((width - columns) / 2, abs=4)
    bars = (0, width // 6, width - width // 6, width - 1)
    assert all(max(frame.getpixel((x, y))) <= BLACK for x in bars for y in (0, middle, height - 1))
    red, _, blue = frame.getpixel((width // 2, middle))
    assert blue > 150 and red < 80  # the clip's own colour, in the middle
    top, bottom = frame.getpixel((width // 2, 2)), frame.getpixel((width // 2, height - 3))
    assert min(top[2], bottom[2]) > 150  # the portrait clip fills the frame's height


def test_a_shot_with_sound_beside_silent_ones_gives_a_reel_with_sound(alice, make_generation):
    silent = stored_clip(make_generation, alice, "Silent", seconds=1.0)
    loud = stored_clip(make_generation, alice, "With a tone", seconds=1.0, audio=True)
    reel = Reel.make(name="Sound", by=alice)
    reel.add([silent.pk, loud.pk], by=alice)
    reel = make(reel)

    assert reel.method == stitching.REENCODE  # the audio streams differ
    assert reel.duration == pytest.approx(2.0, abs=2 * FRAME)
    frames, _, has_audio = decoded(reel.file.name)
    assert frames == 48 and has_audio


def test_making_it_again_replaces_the_previous_file(alice, make_generation):
    clips = [stored_clip(make_generation, alice, f"Shot {n}", seconds=1.0) for n in range(2)]
    reel = Reel.make(name="Twice", by=alice)
    reel.add([clip.pk for clip in clips], by=alice)
    first = make(reel).file.name
    first_shot = reel.ordered_shots().first()
    reel.move(first_shot.pk, 1)
    reel.refresh_from_db()
    assert reel.is_stale and default_storage.exists(first)
    second = make(reel).file.name
    assert second != first and default_storage.exists(second)
    assert not default_storage.exists(first)


def test_an_edit_while_it_is_being_made_leaves_it_stale(alice, make_generation, monkeypatch):
    clips = [stored_clip(make_generation, alice, f"Shot {n}", seconds=1.0) for n in range(2)]
    reel = Reel.make(name="Moving target", by=alice)
    reel.add([clip.pk for clip in clips], by=alice)
    reel.request_making()
    stitch = stitching.stitch

    def edited_meanwhile(*args, **kwargs):
        method = stitch(*args, **kwargs)
        Reel.objects.get(pk=reel.pk).add([stored_clip(make_generation, alice, "Late").pk], by=alice)
        return method

    monkeypatch.setattr(stitching, "stitch", edited_meanwhile)
    making.make_reel(reel.pk)
    reel = Reel.objects.get(pk=reel.pk)
    assert reel.state == ReelState.READY and reel.made_version == reel.version - 1
    assert reel.is_stale and reel.state_words() == "Stale: edited since it was made"
    assert reel.duration == pytest.approx(2.0, abs=FRAME)  # the version it made


def test_ffmpegs_description_of_a_clip_is_read_like_ffprobes():
    log = (
        "  Duration: 00:00:06.00, start: 0.000000, bitrate: 307 kb/s\n"
        "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, "
        "progressive), 1366x768 [SAR 1:1 DAR 683:384], 304 kb/s, 24 fps, 24 tbr, 12288 tbn "
        "(default)\n"
        "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, "
        "128 kb/s (default)\n"
    )
    shot = stitching.parse_probe(log)
    assert (shot.codec, shot.profile, shot.width, shot.height) == ("h264", "High", 1366, 768)
    assert (shot.frame_rate, shot.time_base, shot.sample_aspect) == ("24", "12288", "1:1")
    assert shot.pix_fmt == "yuv420p(tv, bt709, progressive)" and shot.is_bt709
    assert shot.audio == "aac, 44100 Hz, stereo, fltp" and shot.duration == 6.0
    louder = stitching.parse_probe(log.replace("128 kb/s", "192 kb/s"))
    assert stitching.method_for([shot, louder]) == stitching.COPY  # a bitrate is no parameter
    smaller = stitching.parse_probe(log.replace("1366x768", "1280x720"))
    assert stitching.method_for([shot, smaller]) == stitching.REENCODE
    with pytest.raises(stitching.StitchError):
        stitching.parse_probe("not a video at all")


def test_progress_is_read_from_ffmpegs_progress_lines():
    lines = [b"frame=10", b"out_time_us=1500000", b"progress=continue", b"out_time_us=N/A"]
    assert stitching.progress_seconds(lines) == 1.5
    assert stitching.progress_seconds([b"progress=end"]) is None
