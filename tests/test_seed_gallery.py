"""seed_gallery fills a gallery for benchmarks and demos: N generations by M members, in the
states a real gallery has, finished ones with a clip and poster (rendered once per size)."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from generations.models import Board, BoardItem, Generation, Prompt, Star, Status

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


@pytest.mark.django_db
def test_it_adds_stars_and_boards_of_the_new_clips(rendered_media):
    out = StringIO()
    call_command("seed_gallery", generations=80, members=4, stars=60, boards=3, board_clips=10,
                 stdout=out)  # fmt: skip
    stars = Star.objects.all()
    assert 40 <= stars.count() <= 60  # random pairs, a pair picked twice is one star
    assert {star.member.username for star in stars} <= {f"member{n}" for n in range(1, 5)}
    boards = Board.objects.order_by("pk")
    assert [board.name for board in boards] == [
        "Seeded board 1",
        "Seeded board 2",
        "Seeded board 3",
    ]
    for board in boards:
        positions = list(board.items.order_by("position").values_list("position", flat=True))
        assert 1 <= len(positions) <= 20 and positions == list(range(len(positions)))
    assert (
        f"Added {stars.count()} stars and 3 boards of {BoardItem.objects.count()} clips"
        in out.getvalue()
    )
    # Seeded again alike: more boards under new names; the same prompts, used twice as often.
    prompts = Prompt.objects.count()
    call_command("seed_gallery", generations=80, members=4, boards=1, stdout=StringIO())
    assert Board.objects.filter(name="Seeded board 4").exists()
    assert Prompt.objects.count() == prompts
    assert Prompt.objects.aggregate(uses=Sum("use_count"))["uses"] == 160


def has_every_word_as_a_prefix(text: str, query: str) -> bool:
    words = re.findall(r"[^\W_]+", text.lower())
    return all(any(w.startswith(q) for w in words) for q in query.lower().split())


@pytest.mark.django_db
def test_seeded_prompts_are_searchable(rendered_media):
    call_command("seed_gallery", generations=120, members=2, stdout=StringIO())
    everything = list(Generation.objects.select_related("prompt"))
    found = 0
    for query in ("neon car", "slow", "fog wind", "take 1", "push golden"):
        expected = {g.pk for g in everything if has_every_word_as_a_prefix(g.prompt.text, query)}
        assert (
            set(Generation.objects.matching(user=None, q=query).values_list("pk", flat=True))
            == expected
        )
        found += len(expected)
    assert found
