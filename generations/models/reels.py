"""Reels: an ordered list of shots (each one chosen clip) that a background task stitches into
one MP4. The schema is here; the behaviours live on these models and their QuerySets.

Every edit (adding, moving, removing shots) moves `version` on, so a made file is current only
while `made_version` equals it. Making is a small state machine of conditional UPDATEs, like a
clip's: `request_making` queues it, `claim` hands it to one task under a lease token (a queued
reel, or one whose maker died and let its lease expire), and only the token's holder records
progress, `finish`es or `fail`s it. A task that lost its claim changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .generations import Generation
from .statuses import Status

REEL_NAME_MAX_LENGTH = 100
# A reel's shots at most: ten-second clips re-encoded stay well within the task's time.
MAX_SHOTS = 100
# A crashed attempt is taken up again until this long after the reel was asked for; then the
# reel fails in words (a file that kills its worker every time is not tried for ever).
GIVE_UP_AFTER = timedelta(hours=1)

# A shot whose clip was deleted (it stays, marked gone, until someone removes it).
GONE = Q(generation__deleted_at__isnull=False)
# A shot that can be stitched: its clip finished, stored and still in the gallery.
STITCHABLE = Q(generation__status=Status.COMPLETED, generation__deleted_at__isnull=True) & ~Q(
    generation__video=""
)


class ReelState(models.TextChoices):
    DRAFT = "draft", "Not made yet"
    QUEUED = "queued", "Waiting to be made"
    MAKING = "making", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Could not be made"


class ReelRefusal(Exception):
    """Why a reel cannot be made (or named) now, in words for the member."""


@dataclass(frozen=True)
class ShotsAdded:
    """What adding clips to a reel did, for the words that say so."""

    reel: Reel
    added: int
    already: int
    left_out: int  # failed or cancelled clips: they have no video to show
    no_room: int  # past MAX_SHOTS

    @property
    def words(self) -> str:
        words = f"Added {self.added} clip{'s' if self.added != 1 else ''} to “{self.reel.name}”."
        if self.already:
            words += f" {self.already} {'was' if self.already == 1 else 'were'} in it already."
        if self.left_out:
            words += (
                f" Left out {self.left_out} clip{'s' if self.left_out != 1 else ''} that failed: "
                "a failed clip has no video to put in a reel."
            )
        if self.no_room:
            words += f" {self.no_room} did not fit: a reel holds at most {MAX_SHOTS} shots."
        return words


class ReelQuerySet(models.QuerySet["Reel"]):
    def with_facts(self) -> ReelQuerySet:
        """Each reel's shots, gone shots and length in seconds (of the clips still there), in
        the same query."""
        return self.annotate(
            shot_count=Count("shots", distinct=True),
            gone_count=Count("shots", filter=Q(shots__generation__deleted_at__isnull=False)),
            shots_seconds=Sum(
                "shots__generation__duration",
                filter=Q(shots__generation__deleted_at__isnull=True),
                default=0,
            ),
        )

    def named(self, name: str) -> ReelQuerySet:
        """The reel of that name, whatever its case."""
        return self.alias(lower_name=Lower("name")).filter(lower_name=Lower(Value(name)))

    def holding(self, generation) -> ReelQuerySet:
        return self.filter(shots__generation=generation)

    def to_resume(self, now=None) -> ReelQuerySet:
        """Reels a task should make: queued, or being made by a task whose lease ran out."""
        now = now or timezone.now()
        expired = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        return self.filter(Q(state=ReelState.QUEUED) | (Q(state=ReelState.MAKING) & expired))

    def abandoned(self, now=None) -> ReelQuerySet:
        """Crashed attempts asked for so long ago that they are not taken up again."""
        now = now or timezone.now()
        expired = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        return self.filter(expired, state=ReelState.MAKING, requested_at__lt=now - GIVE_UP_AFTER)


class Reel(models.Model):
    """A team's reel. `version` counts edits; the file is current while `made_version` equals it,
    and stale (to be made again) once an edit moves `version` on."""

    name = models.CharField(max_length=REEL_NAME_MAX_LENGTH)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="reels"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    state = models.CharField(max_length=8, choices=ReelState.choices, default=ReelState.DRAFT)
    # The version the task is making (while QUEUED or MAKING) or made (READY).
    made_version = models.PositiveIntegerField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="reels/", blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds, of the made file.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    method = models.CharField(max_length=10, blank=True, help_text="copy or re-encode")
    requested_at = models.DateTimeField(null=True, blank=True)
    made_at = models.DateTimeField(null=True, blank=True)
    # The stitching task's claim (one conditional UPDATE wins it; renewed while ffmpeg runs).
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    objects = ReelQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reel_detail", args=[self.pk])

    # Derived facts --------------------------------------------------------------------------

    @property
    def is_stale(self) -> bool:
        """The file (if any) is not the reel as it stands: never made, edited since, or being
        made again."""
        return self.made_version != self.version or self.state != ReelState.READY

    @property
    def is_being_made(self) -> bool:
        return self.state in (ReelState.QUEUED, ReelState.MAKING)

    def gone_shots(self) -> int:
        """Shots whose clip was deleted (annotated by `with_facts`, else counted)."""
        annotated = getattr(self, "gone_count", None)
        return annotated if annotated is not None else self.shots.filter(GONE).count()

    @property
    def shows_file(self) -> bool:
        """Its file is played and downloaded only while it is the reel as it stands: a stale file
        may hold a clip deleted since (or taken out, then deleted), and a reel never shows one."""
        return bool(self.file) and not self.is_stale and not self.gone_shots()

    def state_words(self) -> str:
        if self.state == ReelState.QUEUED:
            return "Being made · waiting to start"
        if self.state == ReelState.MAKING:
            return f"Being made · {self.progress}%"
        if self.state == ReelState.FAILED:
            return f"Could not be made: {self.error}"
        if self.state == ReelState.DRAFT:
            return "Not made yet"
        if self.gone_shots():
            return "Stale: a clip in it was deleted"
        if self.made_version != self.version:
            return "Stale: edited since it was made"
        return "Ready"

    @property
    def download_name(self) -> str:
        return f"{slugify(self.name)[:60].strip('-') or 'reel'}-reel-{self.pk}.mp4"

    def file_name(self, version: int) -> str:
        return f"reels/{self.pk}-v{version}.mp4"

    def may_be_deleted_by(self, user) -> bool:
        """A reel is the team's to fill and arrange, but only its maker or staff delete it."""
        return user.is_staff or (self.made_by_id is not None and self.made_by_id == user.pk)

    def ordered_shots(self) -> models.QuerySet[Shot]:
        return self.shots.select_related("generation__prompt", "generation__owner", "added_by")

    def what_blocks_making(self, shots: list[Shot] | None = None) -> str:
        """Why the reel cannot be made as it stands, in words naming the shot; "" if it can.
        `shots`: its shots in order, if already read."""
        shots = list(self.ordered_shots()) if shots is None else shots
        if not shots:
            return "Add shots first: a reel with no shots has nothing to make."
        for shot in shots:
            if problem := shot.problem():
                return f"Shot {shot.position} (“{shot.short_prompt}”) {problem}"
        return ""

    # Edits (any member: a reel is the team's) ----------------------------------------------

    @classmethod
    def make(cls, *, name: str, by) -> Reel:
        return cls.objects.create(name=name, made_by=by)

    def add(self, generation_ids: Iterable[Any], by) -> ShotsAdded:
        """Put clips at the end of the reel, in the order given (a clip once at most; failed or
        deleted clips are left out)."""
        ids = list(dict.fromkeys(uuid.UUID(str(pk)) for pk in generation_ids))
        with transaction.atomic():
            self._lock()
            there = set(
                self.shots.filter(generation_id__in=ids).values_list("generation_id", flat=True)
            )
            usable = set(
                Generation.objects.visible()
                .filter(pk__in=ids)
                .exclude(status__in=(Status.FAILED, Status.CANCELLED))
                .values_list("pk", flat=True)
            )
            wanted = [pk for pk in ids if pk not in there and pk in usable]
            room = max(0, MAX_SHOTS - self.shots.count())
            last = self.shots.aggregate(last=Max("position"))["last"] or 0
            now = timezone.now()
            new = [
                Shot(reel=self, generation_id=pk, position=last + i, added_by=by, added_at=now)
                for i, pk in enumerate(wanted[:room], start=1)
            ]
            Shot.objects.bulk_create(new)
            if new:
                self._edited(now)
        return ShotsAdded(
            self,
            added=len(new),
            already=len(there),
            left_out=len([pk for pk in ids if pk not in there and pk not in usable]),
            no_room=len(wanted) - len(new),
        )

    def move(self, shot_id: Any, offset: int) -> int:
        """Move one shot `offset` places (-1: up, 1: down); returns shots renumbered."""
        with transaction.atomic():
            self._lock()
            order = list(self.shots.order_by("position", "pk").values_list("pk", flat=True))
            if shot_id not in order:
                return 0
            here = order.index(shot_id)
            there = max(0, min(len(order) - 1, here + offset))
            order.insert(there, order.pop(here))
            return self._renumber(order)

    def arrange(self, shot_ids: Iterable[Any]) -> int:
        """Put these shots in this order (as dragged): they take the places they held between
        them, every other shot keeps its own. Unknown ids are ignored; returns shots moved."""
        wanted = []
        for pk in shot_ids:
            try:
                wanted.append(int(str(pk)))
            except ValueError:
                continue
        with transaction.atomic():
            self._lock()
            order = list(self.shots.order_by("position", "pk").values_list("pk", flat=True))
            moving = [pk for pk in dict.fromkeys(wanted) if pk in set(order)]
            slots = iter(moving)
            chosen = set(moving)
            return self._renumber([next(slots) if pk in chosen else pk for pk in order])

    def remove(self, shot_id: Any) -> Shot | None:
        """Take a shot out (its clip stays in the gallery); the others close up, 1..n. Returns
        the shot taken out, or None if it was out already."""
        with transaction.atomic():
            self._lock()
            shot = self.shots.select_related("generation__prompt").filter(pk=shot_id).first()
            if shot is None:
                return None
            shot.delete()
            order = list(self.shots.order_by("position", "pk").values_list("pk", flat=True))
            self._renumber(order, edited=True)
        return shot

    def delete_with_file(self) -> None:
        """Delete the reel (its clips stay in the gallery) and its file."""
        name = self.file.name
        self.delete()
        if name:
            default_storage.delete(name)

    def _renumber(self, order: list[int], *, edited: bool = False) -> int:
        """Positions 1..n in `order`, written only where they changed; an edit if any did."""
        positions = dict(self.shots.values_list("pk", "position"))
        changed = [
            Shot(pk=pk, position=place)
            for place, pk in enumerate(order, start=1)
            if positions.get(pk) != place
        ]
        Shot.objects.bulk_update(changed, ["position"], batch_size=500)
        if changed or edited:
            self._edited(timezone.now())
        return len(changed)

    def _lock(self) -> None:
        """One change of the reel at a time (PostgreSQL locks the row; SQLite's transactions
        are already one at a time); a claim waits for an edit, so it reads one version whole."""
        Reel.objects.select_for_update().filter(pk=self.pk).first()

    def _edited(self, now) -> None:
        """Any edit: a new version, so a made file is stale until the reel is made again."""
        Reel.objects.filter(pk=self.pk).update(version=F("version") + 1, updated_at=now)
        self.refresh_from_db(fields=["version", "updated_at", "state", "made_version"])

    # Making: the state machine ----------------------------------------------------------------

    def request_making(self) -> bool:
        """Queue the reel to be made as it stands; True if this call queued it. Refused in
        words (ReelRefusal) without shots, with a shot whose clip was deleted or is not finished,
        or when it is already made or being made as it stands. One conditional UPDATE: of two
        presses at once, one queues it. A task making an older version loses its claim."""
        blocked = Shot.objects.filter(reel=OuterRef("pk")).exclude(STITCHABLE)
        now = timezone.now()
        won = (
            Reel.objects.filter(pk=self.pk)
            .filter(Exists(Shot.objects.filter(reel=OuterRef("pk"))), ~Exists(blocked))
            .exclude(state=ReelState.QUEUED)
            .exclude(state__in=(ReelState.MAKING, ReelState.READY), made_version=F("version"))
            .update(
                state=ReelState.QUEUED,
                made_version=F("version"),
                progress=0,
                error="",
                requested_at=now,
                lease_token="",
                lease_until=None,
            )
        )
        self.refresh_from_db()
        if won:
            return True
        raise ReelRefusal(
            self.what_blocks_making()
            or self.why_not_make_now()
            or "The reel changed a moment ago: look at it again, then press Make reel."
        )

    def why_not_make_now(self) -> str:
        """Why pressing Make reel again would change nothing, in words; "" if it would."""
        if self.state == ReelState.QUEUED:
            return "This reel is already waiting to be made."
        if self.state == ReelState.MAKING and self.made_version == self.version:
            return "This reel is already being made as it stands."
        if self.state == ReelState.READY and self.made_version == self.version:
            return "This reel is made and up to date: nothing has changed since."
        return ""

    def claim(self, token: str, *, lease_seconds: float) -> list[Shot] | None:
        """Take the reel to make it (queued, or left by a maker whose lease expired) under
        `token`: one conditional UPDATE, whose row count says who won. Returns the shots of the
        version claimed, read under the same lock an edit takes (so they are that version's), or
        None if another task has it or it is not waiting to be made."""
        now = timezone.now()
        with transaction.atomic():
            won = (
                Reel.objects.to_resume(now)
                .filter(pk=self.pk)
                .exclude(requested_at__lt=now - GIVE_UP_AFTER, state=ReelState.MAKING)
                .update(
                    state=ReelState.MAKING,
                    made_version=F("version"),
                    progress=0,
                    error="",
                    lease_token=token,
                    lease_until=now + timedelta(seconds=lease_seconds),
                )
            )
            if not won:
                return None
            self.refresh_from_db()
            return list(self.ordered_shots())

    def _mine(self, token: str) -> ReelQuerySet:
        return Reel.objects.filter(pk=self.pk, state=ReelState.MAKING, lease_token=token)

    def is_claimed_by(self, token: str) -> bool:
        return self._mine(token).exists()

    def renew(self, token: str, *, lease_seconds: float) -> bool:
        """Extend the claim; False if it is no longer `token`'s (superseded, or deleted)."""
        until = timezone.now() + timedelta(seconds=lease_seconds)
        return self._mine(token).update(lease_until=until) == 1

    def record_progress(self, token: str, percent: int) -> bool:
        """The maker's progress (0..99); only the claim's holder passes."""
        won = self._mine(token).update(progress=max(0, min(99, percent))) == 1
        if won:
            self.progress = percent
        return won

    def finish(
        self,
        token: str,
        *,
        name: str,
        duration: float,
        width: int,
        height: int,
        method: str,
        clips: Iterable[Any],
    ) -> bool:
        """The file is made and saved as `name`: the reel is READY with it, if the claim is still
        `token`'s and none of its `clips` was deleted meanwhile. Edited meanwhile, it stays
        stale (made_version is the version made). The previous file is deleted once this one is
        in place. False: the caller deletes its file, which nobody holds."""
        deleted = Generation.objects.filter(pk__in=list(clips), deleted_at__isnull=False)
        now = timezone.now()
        with transaction.atomic():
            previous = self._mine(token).values_list("file", flat=True).first()
            won = (
                self._mine(token)
                .filter(~Exists(deleted))
                .update(
                    state=ReelState.READY,
                    file=name,
                    duration=duration,
                    width=width,
                    height=height,
                    method=method,
                    progress=100,
                    error="",
                    made_at=now,
                    lease_token="",
                    lease_until=None,
                )
            )
        if won and previous and previous != name:
            default_storage.delete(previous)
        if won:
            self.refresh_from_db()
        return bool(won)

    def fail(self, token: str, reason: str) -> bool:
        """The reel could not be made, for `reason` (in words); its previous file stays, stale.
        Only the claim's holder passes (an empty token: a reel no task holds)."""
        rows = self._mine(token) if token else Reel.objects.filter(pk=self.pk)
        won = rows.update(
            state=ReelState.FAILED, error=reason, progress=0, lease_token="", lease_until=None
        )
        if won:
            self.refresh_from_db()
        return bool(won)


class Shot(models.Model):
    """One clip in a reel, at `position` (1 = first)."""

    reel = models.ForeignKey(Reel, on_delete=models.CASCADE, related_name="shots")
    generation = models.ForeignKey("Generation", on_delete=models.CASCADE, related_name="shots")
    position = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reel", "generation"], name="one_shot_per_clip")
        ]

    def __str__(self) -> str:
        return f"{self.reel} #{self.position}"

    @property
    def is_gone(self) -> bool:
        """Its clip was deleted: the shot stays, marked gone, until someone takes it out."""
        return self.generation.deleted_at is not None

    @property
    def short_prompt(self) -> str:
        text = self.generation.prompt.text
        return text if len(text) <= 50 else text[:49] + "…"

    def problem(self) -> str:
        """Why this shot cannot be stitched now, in words that follow its name; "" if it can."""
        clip = self.generation
        if clip.deleted_at is not None:
            return "is gone: its clip was deleted. Remove the shot, then make the reel."
        if clip.status in (Status.FAILED, Status.CANCELLED):
            return "failed and has no video. Remove the shot, then make the reel."
        if clip.status != Status.COMPLETED or not clip.video:
            return "is not finished yet. Wait for it to finish, or remove the shot."
        return ""
