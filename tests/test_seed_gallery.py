"""seed_gallery fills a gallery for benchmarks and demos: N generations by M members, in the
states a real gallery has, finished ones with a clip and poster (rendered once per size)."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from generations.models import Generation, Prompt, Status

SIZES = [("768p", 6), ("768p", 10), ("1080p", 6)]


@pytest.fixture
def rendered_media():
    """The clip and poster of each size already there, as after a first run (no ffmpeg here)."""
    root = Path(settings.MEDIA_ROOT)
    for resolution, duration in SIZES:
        for folder, suffix in (("clips", "mp4"), ("posters", "jpg")):
            path = root / folder / f"seed-{resolution}-{duration}s.{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"placeholder")


@pytest.mark.django_db
def test_it_adds_n_generations_by_m_members(rendered_media):
    out = StringIO()
    call_command("seed_gallery", generations=60, members=4, seed=3, stdout=out)
    assert "Added 60 generations by 4 members" in out.getvalue()
    assert Generation.objects.count() == 60
    owners = set(Generation.objects.values_list("owner__username", flat=True))
    assert owners <= {f"member{n}" for n in range(1, 5)} and len(owners) > 1
    assert get_user_model().objects.filter(username__startswith="member").count() == 4
    statuses = set(Generation.objects.values_list("status", flat=True))
    assert Status.COMPLETED in statuses and statuses <= {s.value for s in Status}


@pytest.mark.django_db
def test_finished_clips_link_the_rendered_files_and_nothing_is_due(rendered_media):
    call_command("seed_gallery", generations=40, members=2, seed=1, stdout=StringIO())
    for generation in Generation.objects.filter(status=Status.COMPLETED):
        size = f"{generation.resolution}-{generation.duration}s"
        assert generation.video.name == f"clips/seed-{size}.mp4"
        assert generation.poster.name == f"posters/seed-{size}.jpg"
        assert generation.stored_at >= generation.finished_at >= generation.submitted_at
    # Seeded jobs don't exist at Apiframe: the tracker must leave every one of them alone.
    assert not Generation.objects.due(timezone.now()).exists()


@pytest.mark.django_db
def test_the_prompt_library_counts_the_seeded_uses(rendered_media):
    call_command("seed_gallery", generations=30, members=3, stdout=StringIO())
    assert Prompt.objects.aggregate(uses=Sum("use_count"))["uses"] == 30


@pytest.mark.django_db
def test_it_refuses_nothing_to_seed():
    with pytest.raises(CommandError):
        call_command("seed_gallery", generations=0, members=3)
