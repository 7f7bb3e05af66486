"""A clip's last frame, where its continuation starts: the clip's very final frame at full size as
a lossless PNG, made once from the stored MP4 (on disk or in a bucket) and kept, and deleted with
the clip's other files."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageChops

from apiframe_simulator.render import render_clip
from generations import video
from generations.models import Generation
from generations.models.generations import UNDO_SECONDS
from generations.pipeline import last_frames
from generations.pipeline.last_frames import NoLastFrame, last_frame_of
from tests.frames import read_frame


@pytest.fixture(scope="module")
def rendered_clip(tmp_path_factory) -> Path:
    """Two seconds of a moving landscape: every frame differs from the one before."""
    folder = tmp_path_factory.mktemp("last-frame-clips")
    return render_clip(folder / "clip.mp4", prompt="A kite over a beach", height=768, duration=2)


@pytest.fixture
def finished(alice, make_generation, rendered_clip) -> Generation:
    """A finished clip whose MP4 is in the storage (whichever the settings name)."""
    with rendered_clip.open("rb") as clip:
        name = default_storage.save("clips/kite.mp4", File(clip))
    return make_generation(alice, "A kite over a beach", "completed", video=name, poster="")


def stored_image(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def last_frames_kept() -> list[str]:
    folders = default_storage.listdir("")[0]
    return default_storage.listdir("last-frames")[1] if "last-frames" in folders else []


def assert_is_the_final_frame(image: Image.Image, clip: Path) -> None:
    info = video.probe(clip)
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.size == (info.width, info.height)  # full size
    final = read_frame(clip, info.frames - 1)  # decoded on its own, by frame index
    assert ImageChops.difference(image, final).getbbox() is None, "not the final frame"
    before = read_frame(clip, info.frames - 2)
    assert ImageChops.difference(image, before).getbbox() is not None  # the test can tell


def test_it_is_the_clips_final_frame_pixel_for_pixel(finished, rendered_clip):
    made = last_frame_of(finished)
    assert made.last_frame.name == f"last-frames/{finished.pk}.png"
    assert Generation.objects.get(pk=finished.pk).last_frame.name == made.last_frame.name
    assert_is_the_final_frame(stored_image(made.last_frame.name), rendered_clip)


def test_it_is_made_once_and_kept(finished, monkeypatch):
    made = last_frame_of(finished).last_frame.name

    def decode_again(*args, **kwargs):
        raise AssertionError("the last frame was made a second time")

    monkeypatch.setattr(last_frames.video, "last_frame", decode_again)
    again = last_frame_of(Generation.objects.get(pk=finished.pk))
    assert again.last_frame.name == made
    assert last_frames_kept() == [Path(made).name]


def test_two_requests_at_once_keep_one_file(finished):
    """Both decoded before either kept theirs: the second's conditional UPDATE loses, and it
    deletes its own file and answers with the first's."""
    first, second = Generation.objects.get(pk=finished.pk), Generation.objects.get(pk=finished.pk)
    kept = last_frame_of(first).last_frame.name
    assert not second.last_frame  # it read the row before the first kept its frame
    assert last_frame_of(second).last_frame.name == kept
    assert last_frames_kept() == [Path(kept).name]


def test_the_file_goes_with_the_clip_and_stays_through_an_undo(finished):
    name = last_frame_of(finished).last_frame.name
    finished.soft_delete()
    assert default_storage.exists(name)  # kept while the delete can be undone
    assert finished.restore()
    assert Generation.objects.get(pk=finished.pk).last_frame.name == name

    finished.soft_delete()
    with time_machine.travel(timezone.now() + timedelta(seconds=UNDO_SECONDS + 1)):
        assert Generation.objects.get(pk=finished.pk).drop_files_after_undo()
    assert not default_storage.exists(name)
    assert not Generation.objects.get(pk=finished.pk).last_frame


def test_a_clip_whose_video_is_gone_has_none_and_leaves_nothing(finished):
    default_storage.delete(finished.video.name)
    with pytest.raises(NoLastFrame, match="video file is gone"):
        last_frame_of(finished)
    assert last_frames_kept() == [] and not Generation.objects.get(pk=finished.pk).last_frame


def test_a_damaged_video_is_refused_in_words(finished):
    with default_storage.open(finished.video.name, "wb") as file:
        file.write(b"<html>not a video</html>")
    with pytest.raises(NoLastFrame, match="could not read the end"):
        last_frame_of(finished)
    assert last_frames_kept() == []


def test_a_clip_still_being_made_has_none(alice, make_generation):
    running = make_generation(alice, status="processing")
    with pytest.raises(NoLastFrame, match="still being made"):
        last_frame_of(running)


@pytest.mark.django_db(transaction=True)
def test_from_a_clip_in_a_bucket_through_the_storage_alone(
    s3_bucket, alice, make_generation, rendered_clip, settings
):
    with rendered_clip.open("rb") as clip:
        name = default_storage.save("clips/kite.mp4", File(clip))
    finished = make_generation(alice, "A kite over a beach", "completed", video=name, poster="")
    made = last_frame_of(finished).last_frame.name
    assert s3_bucket.object_names() == sorted([name, made])
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert_is_the_final_frame(stored_image(made), rendered_clip)
