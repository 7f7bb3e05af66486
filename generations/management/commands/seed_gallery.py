"""Fill the database with a realistic team gallery: for benchmarks, demos and screenshots."""

import random
import tempfile
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from apiframe_simulator.render import render_clip
from generations import video
from generations.models import PRICE_TABLE, Board, BoardItem, Generation, Prompt, Star, Status

SUBJECTS = [
    "A lighthouse on a cliff at dusk", "A vintage car in a rainy neon city", "Clouds rolling over mountains",
    "A fox running through fresh snow", "Koi fish circling in a pond", "A hot-air balloon over vineyards",
    "Paper boats on a flooded street", "A glacier calving into the sea", "Fireflies in a summer forest",
    "A drone shot over a tropical coastline", "A street market at night", "Wind turbines in the fog",
]  # fmt: skip
STYLES = ["slow push-in", "handheld, documentary", "golden hour, cinematic", "time-lapse",
          "aerial view", "macro close-up", "35mm film grain", "smooth tracking shot"]  # fmt: skip
# A third of the prompts say a little more: words a search finds in few prompts.
DETAILS = ["under a full moon", "in heavy fog", "after a thunderstorm", "in early spring",
           "with falling leaves", "in a blizzard", "at blue hour", "seen through a window",
           "reflected in a puddle", "in slow motion", "with a warm colour grade",
           "in black and white"]  # fmt: skip
# Of every 100 generations: how many end up in each state.
MIX = [(Status.COMPLETED, 82), (Status.FAILED, 8), (Status.PROCESSING, 5), (Status.SUBMITTED, 3),
       (Status.WAITING, 2)]  # fmt: skip
FAILURES = ["Apiframe could not make this clip: content policy",
            "Apiframe did not finish this clip within 15 minutes."]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Add N generations by M members (finished ones with real clips and posters), and "
        "optionally members' stars and team boards."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--generations", type=int, default=200)
        parser.add_argument("--members", type=int, default=8)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, default=60, help="Spread over this many days.")
        parser.add_argument(
            "--stars", type=int, default=0, help="Stars on the new clips, spread over the members."
        )
        parser.add_argument("--boards", type=int, default=0, help="Team boards to add.")
        parser.add_argument(
            "--board-clips", type=int, default=50, help="Clips per board, on average (1 to 2×)."
        )
        parser.add_argument(
            "--clip-fps",
            type=int,
            default=24,
            help="Frames per second of the few real clips the seeded ones share (fewer: sooner).",
        )

    def handle(
        self, *args, generations: int, members: int, seed: int, days: int, stars: int = 0,
        boards: int = 0, board_clips: int = 50, clip_fps: int = 24, **options,
    ) -> None:  # fmt: skip
        if generations < 1 or members < 1:
            raise CommandError("--generations and --members must be at least 1.")
        if stars < 0 or boards < 0 or board_clips < 1:
            raise CommandError("--stars and --boards can't be negative, --board-clips below 1.")
        if not 1 <= clip_fps <= 60:
            raise CommandError("--clip-fps must be between 1 and 60.")
        rng = random.Random(seed)
        team = self.team(members)
        prompts = self.prompts(team, rng, count=max(1, generations // 6))
        media = self.media_files(clip_fps)
        now = timezone.now()
        rows = []
        for index in range(generations):
            rows.append(self.generation(rng, team, prompts, media, now, days, index))
        with transaction.atomic():
            Generation.objects.bulk_create(rows, batch_size=1000)
            self.count_uses(prompts)
            starred = self.stars(rng, team, rows, stars)
            boarded = self.boards(rng, team, rows, boards, board_clips)
        self.stdout.write(f"Added {generations} generations by {members} members.")
        if stars or boards:
            self.stdout.write(f"Added {starred} stars and {boards} boards of {boarded} clips.")

    def team(self, members: int) -> list:
        User = get_user_model()
        team = []
        for number in range(1, members + 1):
            user, created = User.objects.get_or_create(username=f"member{number}")
            if created:
                user.set_password("seeded member password")
                user.save()
            team.append(user)
        return team

    def prompts(self, team, rng: random.Random, count: int) -> list[Prompt]:
        """`count` prompts, made in bulk (a prompt a run before made is used again)."""
        texts = []
        for index in range(count):
            detail = f", {rng.choice(DETAILS)}" if rng.random() < 1 / 3 else ""
            texts.append(f"{rng.choice(SUBJECTS)}, {rng.choice(STYLES)}{detail} (take {index + 1})")
        new = [Prompt(text=text, digest=Prompt.digest_of(text), created_by=rng.choice(team),
                      use_count=0) for text in texts]  # fmt: skip
        Prompt.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        by_digest = {}
        for chunk in range(0, len(new), 1000):
            digests = [prompt.digest for prompt in new[chunk : chunk + 1000]]
            by_digest.update(Prompt.objects.in_bulk(digests, field_name="digest"))
        return [by_digest[prompt.digest] for prompt in new]

    @staticmethod
    def count_uses(prompts: list[Prompt]) -> None:
        """bulk_create skips Prompt.record_use: bring the library's counts in line."""
        uses = (
            Generation.objects.filter(prompt__in={prompt.pk for prompt in prompts})
            .values("prompt")
            .annotate(count=Count("pk"), last=Max("created_at"))
            .order_by()
        )
        used = {row["prompt"]: row for row in uses}
        changed = []
        for prompt in prompts:
            if prompt.pk in used:
                prompt.use_count = used[prompt.pk]["count"]
                prompt.last_used_at = used[prompt.pk]["last"]
                changed.append(prompt)
        Prompt.objects.bulk_update(changed, ["use_count", "last_used_at"], batch_size=500)

    @staticmethod
    def stars(rng: random.Random, team, rows: list[Generation], count: int) -> int:
        """Up to `count` stars on the new clips, each by a member picked at random."""
        pairs = {(rng.choice(team).pk, rng.choice(rows).pk) for _ in range(count)}
        now = timezone.now()
        made = [Star(member_id=member, generation_id=generation, created_at=now)
                for member, generation in pairs]  # fmt: skip
        Star.objects.bulk_create(made, batch_size=1000, ignore_conflicts=True)
        return len(made)

    @staticmethod
    def boards(rng: random.Random, team, rows: list[Generation], count: int, clips: int) -> int:
        """`count` boards ("Seeded board N", after those a run before made), each holding from
        one to twice `clips` of the new clips, in the team's order."""
        if not count:
            return 0
        first = Board.objects.filter(name__startswith="Seeded board ").count() + 1
        boards = Board.objects.bulk_create(
            [Board(name=f"Seeded board {n}", created_by=rng.choice(team))
             for n in range(first, first + count)]
        )  # fmt: skip
        if any(board.pk is None for board in boards):  # no RETURNING: read them back
            names = [board.name for board in boards]
            boards = list(Board.objects.filter(name__in=names))
        items = []
        for board in boards:
            chosen = rng.sample(rows, min(len(rows), rng.randint(1, 2 * clips)))
            items += [BoardItem(board=board, generation=clip, added_by=rng.choice(team),
                                position=position) for position, clip in enumerate(chosen)]  # fmt: skip
        BoardItem.objects.bulk_create(items, batch_size=1000)
        return len(items)

    def media_files(self, fps: int) -> dict[tuple[str, int], tuple[str, str]]:
        """One real clip and poster per size, rendered once into the studio's storage (disk or
        bucket); every seeded clip links to them."""
        files = {}
        for resolution, duration in (("768p", 6), ("768p", 10), ("1080p", 6)):
            name = f"seed-{resolution}-{duration}s"
            clip, poster = f"clips/{name}.mp4", f"posters/{name}.jpg"
            if not default_storage.exists(clip):
                height = 1080 if resolution == "1080p" else 768
                with tempfile.TemporaryDirectory() as work:
                    rendered = render_clip(Path(work) / "clip.mp4", prompt=f"Seeded {resolution} {duration} s clip",
                                           height=height, duration=duration, fps=fps)  # fmt: skip
                    still = video.poster_frame(rendered, Path(work) / "poster.jpg")
                    # The clip last: once it is there, a later run knows both are.
                    for stored, local in ((poster, still), (clip, rendered)):
                        default_storage.delete(stored)  # a half-finished run's, if any
                        with local.open("rb") as content:
                            default_storage.save(stored, File(content))
            files[(resolution, duration)] = (clip, poster)
        return files

    def generation(self, rng, team, prompts, media, now, days, index) -> Generation:
        status = rng.choices([s for s, _ in MIX], weights=[w for _, w in MIX])[0]
        resolution, duration = rng.choice([("768p", 6), ("768p", 6), ("768p", 10), ("1080p", 6)])
        created = now - timedelta(seconds=rng.uniform(0, days * 86400)) if status in (
            Status.COMPLETED, Status.FAILED) else now - timedelta(seconds=rng.uniform(5, 80))  # fmt: skip
        price = PRICE_TABLE[(resolution, duration)]
        generation = Generation(
            owner=rng.choice(team), prompt=rng.choice(prompts), resolution=resolution,
            duration=duration, prompt_optimizer=rng.random() < 0.7, status=status,
            created_at=created, updated_at=created, estimated_credits=price,
        )  # fmt: skip
        submitted = created
        if status != Status.WAITING:
            generation.job_id = f"seed-{index:08d}"
            submitted = generation.submitted_at = created + timedelta(seconds=rng.uniform(0.3, 2))
            # Far in the future: seeded jobs don't exist at Apiframe, so the tracker leaves them be.
            generation.next_check_at = now + timedelta(days=3650)
        if status == Status.PROCESSING:
            generation.progress = rng.randint(5, 95)
        if status == Status.COMPLETED:
            generation.video, generation.poster = media[(resolution, duration)]
            generation.credit_cost = price
            generation.progress = 100
            finished = generation.finished_at = submitted + timedelta(seconds=rng.gauss(90, 12))
            generation.stored_at = finished + timedelta(seconds=rng.uniform(0.5, 3))
        if status == Status.FAILED:
            generation.failure_reason = rng.choice(FAILURES)
            generation.credit_cost = 0
        return generation
