"""A finished clip shows as soon as it is stored; the tracker makes its poster right after, and
the card swaps it in. A poster that cannot be made never takes the clip away."""

import shutil
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apiframe_simulator.render import render_clip
from generations.models import Generation, Status
from generations.pipeline import posters, track

HTMX = {"HTTP_HX_REQUEST": "true"}

# The tracker's threads use their own connections: the rows must be committed for them to see.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def rendered_clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("poster-clips")
    return render_clip(folder / "clip.mp4", prompt="A kite over a beach", height=768, duration=2)


@pytest.fixture
def stored_clip(alice, make_generation, rendered_clip, settings) -> Generation:
    """What storing leaves behind: the clip in media, shown as completed, its poster to come."""
    (Path(settings.MEDIA_ROOT) / "clips").mkdir(parents=True)
    shutil.copy(rendered_clip, Path(settings.MEDIA_ROOT) / "clips" / "kite.mp4")
    generation = make_generation(
        alice, status="processing", result_url="http://apiframe.invalid/kite.mp4"
    )
    assert generation.mark_stored(video="clips/kite.mp4")
    return Generation.objects.get(pk=generation.pk)


def card(client, generation: Generation) -> str:
    html = client.get(reverse("studio")).content.decode()
    start = html.index(f'id="gen-{generation.pk}"')
    return html[start : html.index("</article>", start)]


def test_the_clip_shows_before_its_poster_is_made(alice_client, stored_clip):
    assert stored_clip.status == Status.COMPLETED and stored_clip.awaits_poster
    html = card(alice_client, stored_clip)
    assert 'src="/media/clips/kite.mp4"' in html
    assert "data-poster" not in html and "<img" not in html
    assert 'preload="metadata"' in html  # the clip's own first frame stands in meanwhile
    assert alice_client.get(stored_clip.get_absolute_url()).status_code == 200


def test_the_tracker_makes_the_poster_and_the_gallery_is_told(alice_client, stored_clip):
    Generation.objects.filter(pk=stored_clip.pk).update(next_check_at=timezone.now())
    since = timezone.now()
    assert track.run_tracker(seconds=20)
    made = Generation.objects.get(pk=stored_clip.pk)
    assert made.poster.name == f"posters/{made.pk}.jpg" and not made.awaits_poster
    with Image.open(made.poster.path) as poster:
        assert (poster.format, poster.height) == ("JPEG", 768)
    assert not Generation.objects.in_pipeline().exists()

    updates = alice_client.get(reverse("gallery_updates"), {"since": since.isoformat()}, **HTMX)
    assert updates.status_code == 200
    html = updates.content.decode()
    assert "data-poster" in html and f'src="/media/posters/{made.pk}.jpg"' in html
    assert 'preload="none"' in html


def test_while_a_poster_is_pending_the_gallery_keeps_asking_often(alice_client, stored_clip):
    studio = alice_client.get(reverse("studio")).content.decode()
    assert 'hx-swap="none" data-busy' in studio  # studio.js asks every 3 s meanwhile


def test_a_poster_that_cannot_be_made_is_tried_again_then_forgone(alice_client, stored_clip):
    Path(stored_clip.video.path).write_bytes(b"<html>not a video</html>")
    for attempt in range(1, posters.MAX_POSTER_ATTEMPTS):
        posters.make_poster(Generation.objects.get(pk=stored_clip.pk))
        retried = Generation.objects.get(pk=stored_clip.pk)
        assert retried.attempts == attempt and retried.awaits_poster
        assert retried.next_check_at > timezone.now()
        assert retried.last_error.startswith("Making the poster failed")

    posters.make_poster(Generation.objects.get(pk=stored_clip.pk))
    forgone = Generation.objects.get(pk=stored_clip.pk)
    assert forgone.status == Status.COMPLETED and not forgone.poster
    assert not forgone.awaits_poster and not Generation.objects.in_pipeline().exists()
    assert 'src="/media/clips/kite.mp4"' in card(alice_client, forgone)


def test_a_clip_deleted_while_its_poster_is_made_keeps_no_poster(stored_clip, monkeypatch):
    original = posters.video.poster_frame

    def delete_meanwhile(*args, **kwargs):
        Generation.objects.get(pk=stored_clip.pk).soft_delete()
        return original(*args, **kwargs)

    monkeypatch.setattr(posters.video, "poster_frame", delete_meanwhile)
    posters.make_poster(stored_clip)
    deleted = Generation.objects.get(pk=stored_clip.pk)
    assert deleted.deleted_at and not deleted.poster
    assert not default_storage.exists(f"posters/{stored_clip.pk}.jpg")
    # What is left for the tracker is dropping the clip's files when the undo runs out.
    assert list(Generation.objects.in_pipeline()) == [deleted]
    assert list(Generation.objects.files_to_drop()) == [deleted]


def test_a_poster_left_by_a_crashed_cluster_is_made_when_tracking_resumes(stored_clip):
    # A claim whose holder died: it expires, and the next tracker takes the poster over.
    Generation.objects.filter(pk=stored_clip.pk).update(
        lease_token="dead", lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert track.run_tracker(seconds=20)
    assert Generation.objects.get(pk=stored_clip.pk).poster


class RecordingPool:
    """Takes the tracker's work without running it, to see what it claimed."""

    def __init__(self) -> None:
        self.started: list[Generation] = []

    def submit(self, function, generation: Generation) -> Future:
        self.started.append(generation)
        return Future()


@pytest.mark.parametrize(("threads", "posters"), [(4, 1), (8, track.BACKGROUND_THREADS)])
def test_posters_take_only_threads_active_work_leaves_free(
    make_generation, alice, threads, posters
):
    past = timezone.now() - timedelta(seconds=1)
    for number in range(3):
        make_generation(alice, status="submitted", next_check_at=past)
        make_generation(alice, status="completed", poster="", video=f"clips/{number}.mp4",
                        next_check_at=past - timedelta(minutes=1))  # fmt: skip
    pool = RecordingPool()
    loop = track.TrackerLoop("holder", "test-tracker", threads)

    assert loop.claim_into(pool) == 3 + posters
    assert [g.status for g in pool.started] == [Status.SUBMITTED] * 3 + [Status.COMPLETED] * posters
    assert loop.claim_into(pool) == 0  # posters in flight already fill their share
