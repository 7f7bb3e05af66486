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
from generations.models import PRICE_TABLE, Generation, Prompt, Status

SUBJECTS = [
    "A lighthouse on a cliff at dusk", "A vintage car in a rainy neon city", "Clouds rolling over mountains",
    "A fox running through fresh snow", "Koi fish circling in a pond", "A hot-air balloon over vineyards",
    "Paper boats on a flooded street", "A glacier calving into the sea", "Fireflies in a summer forest",
    "A drone shot over a tropical coastline", "A street market at night", "Wind turbines in the fog",
]  # fmt: skip
STYLES = ["slow push-in", "handheld, documentary", "golden hour, cinematic", "time-lapse",
          "aerial view", "macro close-up", "35mm film grain", "smooth tracking shot"]  # fmt: skip
# Of every 100 generations: how many end up in each state.
MIX = [(Status.COMPLETED, 82), (Status.FAILED, 8), (Status.PROCESSING, 5), (Status.SUBMITTED, 3),
       (Status.WAITING, 2)]  # fmt: skip
FAILURES = ["Apiframe could not make this clip: content policy",
            "Apiframe did not finish this clip within 15 minutes."]  # fmt: skip


class Command(BaseCommand):
    help = "Add N generations by M members (finished ones with real clips and posters)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--generations", type=int, default=200)
        parser.add_argument("--members", type=int, default=8)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, default=60, help="Spread over this many days.")

    def handle(
        self, *args, generations: int, members: int, seed: int, days: int, **options
    ) -> None:
        if generations < 1 or members < 1:
            raise CommandError("--generations and --members must be at least 1.")
        rng = random.Random(seed)
        team = self.team(members)
        prompts = self.prompts(team, rng, count=max(1, generations // 6))
        media = self.media_files()
        now = timezone.now()
        rows = []
        for index in range(generations):
            rows.append(self.generation(rng, team, prompts, media, now, days, index))
        with transaction.atomic():
            Generation.objects.bulk_create(rows, batch_size=1000)
            self.count_uses(prompts)
        self.stdout.write(f"Added {generations} generations by {members} members.")

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
        made = []
        for index in range(count):
            text = f"{rng.choice(SUBJECTS)}, {rng.choice(STYLES)} (take {index + 1})"
            made.append(Prompt.record_use(text, rng.choice(team)))
        return made

    @staticmethod
    def count_uses(prompts: list[Prompt]) -> None:
        """bulk_create skips Prompt.record_use: bring the library's counts in line."""
        for prompt in prompts:
            uses = prompt.generations.aggregate(count=Count("pk"), last=Max("created_at"))
            if uses["count"]:
                Prompt.objects.filter(pk=prompt.pk).update(
                    use_count=uses["count"], last_used_at=uses["last"]
                )

    def media_files(self) -> dict[tuple[str, int], tuple[str, str]]:
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
                                           height=height, duration=duration)  # fmt: skip
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
