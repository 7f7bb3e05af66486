"""Before a downloaded clip is shown, a look at its MP4 boxes (no decoding) turns away what is not
a whole MP4: an error page, a file cut short, an image."""

import pytest

from apiframe_simulator.render import render_clip
from generations.video import VideoError, check_mp4


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("check-clips")
    return render_clip(
        folder / "c.mp4", prompt="Rain on a window", height=768, duration=1
    ).read_bytes()


def test_a_rendered_clip_passes(clip_bytes, tmp_path):
    (tmp_path / "clip.mp4").write_bytes(clip_bytes)
    check_mp4(tmp_path / "clip.mp4")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (lambda clip: b"<html><body>Access denied</body></html>", "is not an MP4"),
        (lambda clip: clip[: len(clip) // 2], "cut short or damaged"),
        (lambda clip: clip[:5], "ends inside a box header"),
        (lambda clip: clip + b"\0\0", "ends inside a box header"),
        (lambda clip: b"\xff\xd8\xff\xe0\x00\x10JFIF", "is not an MP4"),
        (lambda clip: clip[:32], "has no moov box"),
    ],
    ids=["error page", "half", "five bytes", "trailing bytes", "jpeg", "header only"],
)
def test_what_is_not_a_whole_mp4_is_refused(clip_bytes, tmp_path, content, says):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content(clip_bytes))
    with pytest.raises(VideoError, match=says):
        check_mp4(path)
