"""Generations: one clip from the form to the stored MP4. Every state change is a conditional
UPDATE whose row count says whether it won, so the poller, webhooks and two clusters race safely."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from ..apiframe.errors import FIRST_FRAME_NEEDED
from ..apiframe.payloads import Job, JobStatus
from .audit import AuditEntry, AuditKind
from .budgets import Budget, BudgetRefusal, Standing, month_bounds, renewal_words
from .collections import BoardItem, Star
from .first_frame_requirements import FirstFrameRequirement
from .prompts import Prompt
from .search import FEW_CLIPS, PromptHasWords, search_words
from .statuses import (
    ACTIVE_STATUSES,
    AWAITING_POSTER,
    BILLING_OPEN,
    FILES_TO_DROP,
    IN_FLIGHT,
    UNDOABLE,
    UPSTREAM_STATUSES,
    Status,
    committed_credits,
)

# If the queued submit task is lost (a cluster killed at the wrong moment), the tracker submits.
SUBMIT_FALLBACK_SECONDS = 10


def free_slots(owners: set[int], max_running: int) -> dict[int, int]:
    """Of these members, those with in-flight slots free, and how many (one query)."""
    busy = dict(
        Generation.objects.filter(IN_FLIGHT, owner_id__in=owners, awaits_slot=False)
        .values("owner_id")
        .annotate(clips=Count("pk"))
        .values_list("owner_id", "clips")
        .order_by()
    )
    free = {owner: max_running - busy.get(owner, 0) for owner in owners}
    return {owner: slots for owner, slots in free.items() if slots > 0}


def record_over_budget(generations: list[Generation], broken: list[tuple[str, str]], actor) -> None:
    """The audit log's entry for clips admitted past a rule (a staff override or approval)."""
    first = generations[0]
    takes = len(generations)
    what = f"{takes} takes of" if takes > 1 else "a clip of"
    rules = ", ".join(rule for rule, _ in broken)
    AuditEntry.record(
        AuditKind.OVER_BUDGET,
        f"{what} “{first.prompt.text[:80]}” submitted past: {rules}",
        actor=actor,
        member=first.owner,
        after={
            "clips": [str(g.pk) for g in generations],
            "credits": sum(g.estimated_credits for g in generations),
            "rules": [rule for rule, _ in broken],
            "approved_by": first.approved_by.get_username() if first.approved_by else None,
        },
    )


def record_running_delete(generation: Generation, by) -> None:
    """The audit log's entry for a clip deleted while Apiframe may still be making it: its
    reservation stays held until the job ends and bills."""
    AuditEntry.record(
        AuditKind.RUNNING_DELETED,
        f"Running clip “{generation.prompt.text[:80]}” deleted; its {generation.estimated_credits} "
        "credits stay reserved until Apiframe bills",
        actor=by,
        member=generation.owner,
        before={"clip": str(generation.pk), "status": generation.status, "deleted": False},
        after={
            "clip": str(generation.pk),
            "deleted": True,
            "estimated_credits": generation.estimated_credits,
        },
    )


# A stored clip's poster is made this long after, so the next finished clips are stored first.
POSTER_DELAY_SECONDS = 1.0
# A job the studio gave up on is first asked about again this long after.
FOLLOW_UP_DELAY = timedelta(seconds=60)
# How long a deleted finished clip keeps its files, so its author can undo the delete.
UNDO_SECONDS = 10
# One submission makes 1 to this many takes of its prompt (variations).
MAX_TAKES = 4
# A clip's page walks its chain of continuations up at most this many clips.
MAX_CHAIN_SHOWN = 12
# How many colours tell neighbouring batches apart in the gallery (static/css/studio.css).
BATCH_TINTS = 6


class Resolution(models.TextChoices):
    P768 = "768p", "768p"
    P1080 = "1080p", "1080p"


class Duration(models.IntegerChoices):
    SHORT = 6, "6 s"
    LONG = 10, "10 s"


def first_frame_path(generation: Generation, filename: str) -> str:
    # Stored names are generated, never the uploader's.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"first-frames/{generation.pk}.{suffix}"


def start_of_day(day: date, *, days_later: int = 0) -> datetime | None:
    """Midnight at the start of `day` (plus `days_later`) in the studio's time zone; None past
    either end of the calendar (9999-12-31 has no next day, 0001-01-01 no UTC midnight east of
    Greenwich)."""
    try:
        moment = timezone.make_aware(datetime.combine(day + timedelta(days=days_later), time.min))
        moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return moment


class GenerationQuerySet(models.QuerySet["Generation"]):
    def visible(self) -> GenerationQuerySet:
        return self.filter(deleted_at__isnull=True)

    def active(self) -> GenerationQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def awaiting_poster(self) -> GenerationQuerySet:
        return self.filter(AWAITING_POSTER)

    def changing(self) -> GenerationQuerySet:
        """What a gallery shows as still on its way: clips being made, posters to come."""
        return self.filter(Q(status__in=ACTIVE_STATUSES) | AWAITING_POSTER)

    def billing_open(self) -> GenerationQuerySet:
        return self.filter(BILLING_OPEN)

    def in_pipeline(self) -> GenerationQuerySet:
        """What the tracker still has to do: active generations, posters to make, jobs the
        member is done with that Apiframe may still bill, and files of deleted clips to drop."""
        return self.filter(
            Q(status__in=ACTIVE_STATUSES) | AWAITING_POSTER | BILLING_OPEN | FILES_TO_DROP
        )

    def files_to_drop(self) -> GenerationQuerySet:
        return self.filter(FILES_TO_DROP)

    def needing_the_tracker(self, within: timedelta) -> GenerationQuerySet:
        """What keeps a tracker loop running: clips on their way, files of deleted clips to drop,
        and jobs to follow that are due within `within` (a later one is left to the next
        scheduled loop)."""
        follow_soon = BILLING_OPEN & Q(next_check_at__lte=timezone.now() + within)
        # Files to drop are due within the undo's few seconds: the loop waits for them.
        return self.filter(
            Q(status__in=ACTIVE_STATUSES) | AWAITING_POSTER | FILES_TO_DROP | follow_soon
        )

    def for_cards(self, member=None) -> GenerationQuerySet:
        """What a card shows: its author and prompt and, given a member, whether they starred
        it (`starred`, in the same query: no query per card)."""
        cards = self.select_related("owner", "prompt")
        if member is None:
            return cards
        return cards.annotate(
            starred=Exists(Star.objects.filter(member=member, generation=OuterRef("pk")))
        )

    def delete_for(self, member) -> tuple[list[Generation], list[Generation]]:
        """Delete those of these clips `member` may (their own; staff any), each by its own
        `soft_delete`; returns those deleted and those left alone, for the member to be told."""
        deleted, left_alone = [], []
        for generation in self.for_cards().order_by("-created_at", "-id"):
            if generation.can_be_changed_by(member):
                generation.soft_delete(by=member)
                deleted.append(generation)
            else:
                left_alone.append(generation)
        return deleted, left_alone

    def waiting_for_a_slot(self) -> GenerationQuerySet:
        return self.filter(awaits_slot=True, status=Status.WAITING)

    def unclaimed(self, now: datetime | None = None) -> GenerationQuerySet:
        now = now or timezone.now()
        return self.in_pipeline().filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))

    def due(self, now: datetime | None = None) -> GenerationQuerySet:
        now = now or timezone.now()
        return self.unclaimed(now).filter(next_check_at__lte=now)

    def claim(self, *, limit: int, lease_seconds: float) -> list[Generation]:
        """Lease up to `limit` of these generations to the caller in one conditional UPDATE.

        Whoever's token the rows carry afterwards won them; a competing worker's UPDATE finds
        them leased and skips them, so no generation is submitted or checked twice at once.
        """
        now = timezone.now()
        unclaimed = self.unclaimed(now)
        candidates = list(unclaimed.order_by("next_check_at").values_list("pk", flat=True)[:limit])
        if not candidates:
            return []
        token = uuid.uuid4().hex
        won = unclaimed.filter(pk__in=candidates).update(
            lease_token=token, lease_until=now + timedelta(seconds=lease_seconds)
        )
        return list(Generation.objects.filter(lease_token=token)) if won else []

    def matching(
        self,
        *,
        user,
        who: str = "",
        status: str = "",
        resolution: str = "",
        q: str = "",
        member: int | None = None,
        starred: bool = False,
        board: int | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> GenerationQuerySet:
        """The gallery's filters, all at once: whose ("mine", or a member's id), which status
        ("running" for any active), size, words (every one, in any order, each as a prefix),
        `user`'s stars, a board, and the days made on (`start` to `end`, both included, in the
        studio's time zone)."""
        generations: GenerationQuerySet = self
        if who == "mine":
            generations = generations.filter(owner=user)
        if member is not None:
            generations = generations.filter(owner_id=member)
        if status == "running":
            generations = generations.filter(status__in=ACTIVE_STATUSES)
        elif status:
            generations = generations.filter(status=status)
        if resolution:
            generations = generations.filter(resolution=resolution)
        if words := search_words(q):
            generations = generations.with_words(words)
        if starred:
            stars = Star.objects.filter(member=user).values("generation_id")
            generations = generations.filter(pk__in=stars)
        if board is not None:
            items = BoardItem.objects.filter(board_id=board).values("generation_id")
            generations = generations.filter(pk__in=items)
        if start and (since := start_of_day(start)):
            generations = generations.filter(created_at__gte=since)
        if end and (until := start_of_day(end, days_later=1)):
            generations = generations.filter(created_at__lt=until)
        return generations

    def with_words(self, words: list[str]) -> GenerationQuerySet:
        """Clips whose prompt holds every one of `words` (each as a prefix), in two steps: the
        prompts found and how often each is used (one query through the full-text index, at most
        FEW_CLIPS + 1 rows), then none, those prompts' clips by id (few: read through the prompt
        index and sorted), or the full-text condition itself (many: the gallery walked newest
        first until a page is full). Left to itself, each database guesses the other way round
        for a rare word, and walks all 100,000 clips for one no prompt holds."""
        found = Prompt.objects.filter(PromptHasWords(F("pk"), words)).order_by()
        uses = list(found.values_list("pk", "use_count")[: FEW_CLIPS + 1])
        if not uses:
            return self.none()
        if len(uses) <= FEW_CLIPS and sum(count for _, count in uses) <= FEW_CLIPS:
            return self.filter(prompt_id__in=[pk for pk, _ in uses])
        return self.filter(PromptHasWords(F("prompt_id"), words, walk=True))

    def page_before(
        self, cursor: tuple[datetime, uuid.UUID | str] | None, size: int
    ) -> list[Generation]:
        """Newest first, `size` cards older than the cursor (keyset: stable while cards arrive)."""
        generations = self.order_by("-created_at", "-id")
        if cursor:
            created_at, pk = cursor
            generations = generations.filter(
                Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
            )
        return list(generations[:size])

    def neighbours(self, generation: Generation) -> tuple[Generation | None, Generation | None]:
        """The clips shown just before (newer) and after (older) `generation` in this gallery."""
        newer = (
            self.filter(
                Q(created_at__gt=generation.created_at)
                | Q(created_at=generation.created_at, id__gt=generation.pk)
            )
            .order_by("created_at", "id")
            .first()
        )
        older = self.page_before((generation.created_at, generation.pk), 1)
        return newer, older[0] if older else None

    def overdue(self, now: datetime | None = None) -> GenerationQuerySet:
        now = now or timezone.now()
        deadline = timedelta(seconds=settings.GENERATION_DEADLINE_SECONDS)
        # A take that waited for a slot counts from when it got one; waiting is not overdue.
        started = Coalesce("slot_freed_at", "created_at")
        return (
            self.active()
            .filter(awaits_slot=False)
            .alias(started=started)
            .filter(started__lt=now - deadline)
        )

    def release_waiting_takes(self) -> int:
        """Give waiting takes the in-flight slots their members have free, oldest first, under
        the budget's lock (so two trackers never hand out one slot twice); how many went. The
        tracker asks every loop: without a free slot it reads, and never takes the lock."""
        waiting = self.filter(awaits_slot=True, status=Status.WAITING, owner__is_active=True)
        owners = set(waiting.values_list("owner_id", flat=True))
        if not owners or not free_slots(owners, Budget.current().max_running_per_member):
            return 0
        released = 0
        now = timezone.now()
        with transaction.atomic():
            budget = Budget.current(lock=True)
            for owner_id, free in free_slots(owners, budget.max_running_per_member).items():
                next_takes = waiting.filter(owner_id=owner_id).order_by("created_at", "take")
                pks = list(next_takes.values_list("pk", flat=True)[:free])
                released += waiting.filter(pk__in=pks).update(
                    awaits_slot=False, slot_freed_at=now, next_check_at=now, updated_at=now
                )
        return released

    def cancel_unsent(self, reason: str) -> int:
        """End these clips that were never sent (unclaimed, never tried: nothing can bill them),
        such as a deactivated member's waiting takes; how many."""
        now = timezone.now()
        return self.filter(status=Status.WAITING, attempts=0, lease_token="").update(
            status=Status.CANCELLED,
            failure_reason=reason,
            awaits_slot=False,
            next_check_at=None,
            settled_at=now,
            updated_at=now,
        )

    def credits(self) -> int:
        """What these generations cost by the studio's one rule (see statuses.py)."""
        return self.aggregate(credits=Coalesce(Sum(committed_credits()), 0))["credits"]

    def standing(self, member, budget: Budget | None = None, moment=None) -> Standing:
        """Where `member` stands this month, in one query over the month's generations."""
        budget = budget or Budget.current()
        start, end = month_bounds(moment)
        this_month = Q(created_at__gte=start, created_at__lt=end)
        in_flight = Q(owner=member) & IN_FLIGHT  # a job from last month may still be running
        figures = self.filter(this_month | in_flight).aggregate(
            spent=Coalesce(Sum(committed_credits(), filter=this_month & Q(owner=member)), 0),
            team_spent=Coalesce(Sum(committed_credits(), filter=this_month), 0),
            running=Count("pk", filter=in_flight),
            waiting=Count("pk", filter=in_flight & Q(awaits_slot=True, status=Status.WAITING)),
        )
        return Standing(
            **figures,
            quota=budget.quota_for(member),
            team_budget=budget.team_monthly_credits,
            max_running=budget.max_running_per_member,
            renews=renewal_words(moment),
        )

    def spending_by_member(self, moment=None) -> dict[int, tuple[int, int]]:
        """Each member's (credits spent this month, clips in flight), by member id, in one query
        for the whole team (the team page); by the same rules as `standing`."""
        start, end = month_bounds(moment)
        this_month = Q(created_at__gte=start, created_at__lt=end)
        rows = (
            self.filter(this_month | IN_FLIGHT)
            .values("owner")
            .annotate(
                spent=Coalesce(Sum(committed_credits(), filter=this_month), 0),
                running=Count("pk", filter=IN_FLIGHT),
            )
            .order_by()
        )
        return {row["owner"]: (row["spent"], row["running"]) for row in rows}


class Generation(models.Model):
    """One clip requested by a team member, from the form to the stored MP4."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="generations"
    )
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="generations")
    resolution = models.CharField(max_length=5, choices=Resolution.choices, default=Resolution.P768)
    duration = models.PositiveSmallIntegerField(choices=Duration.choices, default=Duration.SHORT)
    prompt_optimizer = models.BooleanField(default=True)
    first_frame = models.ImageField(upload_to=first_frame_path, blank=True)
    first_frame_url = models.URLField(max_length=2000, blank=True)
    # Apiframe's copy of a local first frame (/v2/uploads): every retried submit sends this same
    # URL, since Apiframe refuses an Idempotency-Key reused with another body.
    first_frame_upload_url = models.URLField(max_length=2000, blank=True)
    first_frame_upload_expires_at = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    # Variations: the takes of one submission share a batch (take 1..batch_size of it).
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    take = models.PositiveSmallIntegerField(default=1)
    batch_size = models.PositiveSmallIntegerField(default=1)
    awaits_slot = models.BooleanField(
        default=False,
        help_text="A take admitted (its credits reserved) that waits for a free in-flight slot.",
    )
    # When a waiting take got its slot: its deadline counts from then, not from its creation.
    slot_freed_at = models.DateTimeField(null=True, blank=True)
    # Continue from the last frame: the clip this one continues, and its own last frame (made
    # once, from the stored MP4, and kept).
    continues = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="continuations"
    )
    last_frame = models.ImageField(upload_to="last-frames/", blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who approved this clip past its member's quota or budget.",
    )

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    failure_reason = models.TextField(blank=True)
    job_id = models.CharField(max_length=64, blank=True, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    estimated_credits = models.PositiveIntegerField(
        default=0, help_text="Reserved at submission from the price table, until Apiframe bills."
    )
    over_budget = models.BooleanField(
        default=False, help_text="Submitted by staff past a budget, quota or in-flight limit."
    )
    credit_cost = models.PositiveIntegerField(null=True, blank=True)
    result_url = models.URLField(max_length=2000, blank=True)
    video = models.FileField(upload_to="clips/", blank=True)
    poster = models.ImageField(upload_to="posters/", blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Finished at Apiframe.")
    stored_at = models.DateTimeField(null=True, blank=True, help_text="Clip saved in the studio.")
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deleted_while_running = models.BooleanField(
        default=False, help_text="Deleted before Apiframe finished it: still billed if it did."
    )
    settled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the studio learned what Apiframe billed; empty while it may still bill.",
    )

    # The tracker's bookkeeping: when to look next, how often it tried, who holds the lease.
    next_check_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed tries in a row.")
    overdue_checks = models.PositiveSmallIntegerField(
        default=0, help_text="Checks since the job should have been done."
    )
    last_error = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, db_index=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="gallery_order"),
            models.Index(fields=["status", "next_check_at"], name="tracker_due"),
            # A prompt's newest clips (the library's latest clip of each prompt on its page).
            models.Index(fields=["prompt", "-created_at"], name="prompt_clips"),
        ]

    def __str__(self) -> str:
        return f"{self.prompt} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("generation_detail", args=[self.pk])

    # Derived facts --------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_storing(self) -> bool:
        """Finished at Apiframe; the studio is downloading its copy."""
        return self.status == Status.PROCESSING and bool(self.result_url)

    @property
    def awaits_poster(self) -> bool:
        """Stored and shown; the tracker has yet to make its poster."""
        return (
            self.status == Status.COMPLETED and not self.poster and self.next_check_at is not None
        )

    @property
    def has_first_frame(self) -> bool:
        return bool(self.first_frame or self.first_frame_url)

    @property
    def is_text_only(self) -> bool:
        """Sent without an image (a deleted clip's first frame may be gone, not its upload's URL)."""
        return not (self.has_first_frame or self.first_frame_upload_url)

    @property
    def awaits_first_frame(self) -> bool:
        """Its first frame was given by web address and has yet to be fetched."""
        return self.status == Status.WAITING and bool(self.first_frame_url) and not self.first_frame

    @property
    def is_take(self) -> bool:
        """One of several takes of a submission (variations)."""
        return self.batch is not None and self.batch_size > 1

    @property
    def is_waiting_for_slot(self) -> bool:
        """Admitted, its credits reserved, not yet sent: its member has no in-flight slot free."""
        return self.awaits_slot and self.status == Status.WAITING

    @property
    def take_label(self) -> str:
        return f"Take {self.take} of {self.batch_size}" if self.is_take else ""

    @property
    def batch_tint(self) -> int:
        """Which of a few colours marks this take's batch in the gallery (the same for every
        take of it, so a batch reads as one group)."""
        return self.batch.int % BATCH_TINTS if self.batch else 0

    @property
    def seconds_elapsed(self) -> int:
        end = timezone.now() if self.is_active else (self.stored_at or self.updated_at)
        return max(0, int((end - self.created_at).total_seconds()))

    @property
    def seconds_to_clip(self) -> float | None:
        if self.submitted_at and self.stored_at:
            return (self.stored_at - self.submitted_at).total_seconds()
        return None

    @property
    def can_be_continued(self) -> bool:
        """A finished clip in the gallery with its MP4: its last frame can start the next clip."""
        return self.status == Status.COMPLETED and bool(self.video) and self.deleted_at is None

    def chain_before(self, steps: int = MAX_CHAIN_SHOWN) -> list[Generation]:
        """The clips this one continues, oldest first, walked up at most `steps` (a query each)."""
        chain: list[Generation] = []
        seen = {self.pk}
        parent_id = self.continues_id
        while parent_id and parent_id not in seen and len(chain) < steps:
            parent = Generation.objects.for_cards().filter(pk=parent_id).first()
            if parent is None:
                break
            chain.append(parent)
            seen.add(parent.pk)
            parent_id = parent.continues_id
        return chain[::-1]

    def continued_by(self) -> list[Generation]:
        """The clips in the gallery that continue this one, oldest first."""
        return list(self.continuations.visible().for_cards().order_by("created_at", "pk"))

    def can_be_changed_by(self, user) -> bool:
        """Deleting and retrying belong to the owner and to staff."""
        return user.is_staff or user.pk == self.owner_id

    @property
    def is_undoable(self) -> bool:
        """UNDOABLE (statuses.py) for this one row: finished, and nothing more can bill it."""
        return self.status in (Status.COMPLETED, Status.FAILED) and not self.may_still_bill

    def can_be_restored_by(self, user) -> bool:
        """Whether `user` may still undo this clip's delete (see `restore`)."""
        return (
            self.can_be_changed_by(user)
            and self.deleted_at is not None
            and not self.deleted_while_running
            and self.is_undoable
            and timezone.now() < self.undo_until
        )

    @property
    def undo_until(self) -> datetime:
        return (self.deleted_at or timezone.now()) + timedelta(seconds=UNDO_SECONDS)

    @property
    def cursor(self) -> str:
        return f"{self.created_at.isoformat()}_{self.pk}"

    @property
    def download_name(self) -> str:
        """The MP4's name when downloaded: the prompt's first words and the clip's id."""
        words = slugify(self.prompt.text)[:60].strip("-") or "clip"
        return f"{words}-{str(self.pk)[:8]}.mp4"

    @property
    def may_still_bill(self) -> bool:
        return self.settled_at is None

    @property
    def delete_warning(self) -> str:
        """What deleting costs, in words, for the confirmation a member answers first."""
        if not self.may_still_bill:
            return "Delete this clip for the whole team?"
        credits = f"{self.estimated_credits} credit{'s' if self.estimated_credits != 1 else ''}"
        return (
            "Apiframe may still be making this clip, and it cannot be stopped: if Apiframe "
            f"finishes it, it is still billed (about {credits}) and counts against your quota, "
            "though the clip is not kept. Delete it for the whole team?"
        )

    @classmethod
    def start(cls, **kwargs: Any) -> Generation:
        """One new generation (a batch of one take); see `start_batch`."""
        return cls.start_batch(takes=1, **kwargs)[0]

    @classmethod
    def start_batch(
        cls,
        *,
        owner,
        prompt_text: str,
        takes: int = 1,
        first_frame=None,
        over_budget: bool = False,
        approved_by=None,
        past_team_budget: bool = False,
        **settings_: Any,
    ) -> list[Generation]:
        """`takes` new WAITING generations of one prompt and settings, admitted together or not
        at all under the budget's lock (BudgetRefusal says why not, and which rule).

        Each take is its own Apiframe job and is reserved its credits now. Takes beyond the
        member's free in-flight slots wait (`awaits_slot`) and are released as slots free
        (`GenerationQuerySet.release_waiting_takes`). `over_budget` is a staff member's override
        of every rule for their own clips; `approved_by`, a staff member approving a member's
        request, lifts the quota and the in-flight limit, and the team budget too with
        `past_team_budget`. The caller enqueues the submissions (`tasks.enqueue_submissions`).
        """
        if not 1 <= takes <= MAX_TAKES:
            raise ValueError(f"A batch has 1 to {MAX_TAKES} takes, not {takes}.")
        batch = uuid.uuid4() if takes > 1 else None
        generations = [
            cls(
                owner=owner,
                batch=batch,
                take=n,
                batch_size=takes,
                approved_by=approved_by,
                **settings_,
            )
            for n in range(1, takes + 1)
        ]
        if first_frame is not None:
            # Written before the transaction, so the budget lock is never held over file I/O.
            for generation in generations:
                first_frame.seek(0)
                generation.first_frame.save(first_frame.name, first_frame, save=False)
        try:
            with transaction.atomic():
                budget = Budget.current(lock=True)
                price = budget.price(generations[0].resolution, generations[0].duration)
                standing = Generation.objects.standing(owner, budget)
                broken = standing.broken_rules(price * takes, takes)
                lifted = cls._lifted_rules(owner, over_budget, approved_by, past_team_budget)
                refused = [(rule, words) for rule, words in broken if rule not in lifted]
                if refused:
                    raise BudgetRefusal(refused[0][1], rule=refused[0][0])
                prompt = Prompt.record_use(prompt_text, owner, times=takes)
                now = timezone.now()
                # A lifted in-flight limit (staff's override, an approval) lets every take go now.
                free = takes if "running" in lifted else standing.free_slots
                for generation in generations:
                    generation.estimated_credits = price
                    generation.over_budget = bool(broken)
                    generation.prompt = prompt
                    generation.awaits_slot = generation.take > free
                    generation.next_check_at = (
                        None
                        if generation.awaits_slot
                        else now + timedelta(seconds=SUBMIT_FALLBACK_SECONDS)
                    )
                    generation.save(force_insert=True)
                if broken:
                    record_over_budget(generations, broken, approved_by or owner)
        except BudgetRefusal:
            for generation in generations:
                if generation.first_frame:
                    generation.first_frame.delete(save=False)
            raise
        return generations

    @staticmethod
    def _lifted_rules(owner, over_budget: bool, approved_by, past_team_budget: bool) -> set[str]:
        if over_budget and owner.is_staff:
            return {"running", "quota", "team"}
        if approved_by is not None and approved_by.is_staff:
            return {"running", "quota", "team"} if past_team_budget else {"running", "quota"}
        return set()

    def retry(self, by, *, over_budget: bool = False) -> Generation:
        """A fresh generation with the same prompt and settings (a new Idempotency-Key)."""
        first_frame = None
        if name := self.first_frame.name:  # a FieldFile is true when it has a name
            with self.first_frame.open("rb") as image:
                first_frame = ContentFile(image.read(), name=name.rsplit("/", 1)[-1])
        return Generation.start(
            owner=by,
            prompt_text=self.prompt.text,
            first_frame=first_frame,
            resolution=self.resolution,
            duration=self.duration,
            prompt_optimizer=self.prompt_optimizer,
            first_frame_url=self.first_frame_url,
            continues_id=self.continues_id,  # a retried continuation still continues its clip
            retry_of=self,
            over_budget=over_budget,
        )

    # State changes -------------------------------------------------------------------------

    def _transition(self, allowed: tuple[str, ...], extra: Q | None = None, **changes: Any) -> bool:
        """Apply `changes` only if the row is still in an allowed status; True if this call won."""
        # A deleted clip's progress is nobody's to see: leave updated_at, so no gallery redraws.
        changes.setdefault("updated_at", F("updated_at") if self.deleted_at else timezone.now())
        rows = Generation.objects.filter(pk=self.pk, status__in=allowed)
        if extra is not None:
            rows = rows.filter(extra)
        won = rows.update(**changes) == 1
        if won:
            for field, value in changes.items():
                setattr(self, field, value)
        return won

    def remember_upload(self, url: str, expires_at: datetime | None) -> None:
        """Keep Apiframe's URL of the uploaded first frame for the submits to come."""
        Generation.objects.filter(pk=self.pk).update(
            first_frame_upload_url=url, first_frame_upload_expires_at=expires_at
        )
        self.first_frame_upload_url, self.first_frame_upload_expires_at = url, expires_at

    def keep_first_frame(self, name: str) -> bool:
        """The image fetched from its web address, kept like an upload; False if too late."""
        return self._transition(
            (Status.WAITING,), Q(first_frame=""), first_frame=name, updated_at=F("updated_at")
        )

    def mark_submitted(self, job_id: str, *, first_check_at: datetime | None) -> bool:
        now = timezone.now()
        return self._transition(
            (Status.WAITING,),
            status=Status.SUBMITTED,
            job_id=job_id,
            submitted_at=now,
            next_check_at=first_check_at,
            attempts=0,
            last_error="",
            lease_until=None,
            lease_token="",
        )

    def apply_job(self, job: Job) -> bool:
        """Record what Apiframe says of the job; True if it changed anything (poller or webhook)."""
        if job.status == JobStatus.COMPLETED:
            finished = self.mark_finished_upstream(job)
            if finished and self.is_text_only:
                FirstFrameRequirement.record_text_only_success()
            return finished
        if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            reason = job.error or "Apiframe could not make this clip."
            wanted_image = job.wants_first_frame and self.is_text_only
            failed = self.fail(
                FIRST_FRAME_NEEDED
                if wanted_image
                else f"Apiframe could not make this clip: {reason}",
                credit_cost=job.credit_cost or 0,
                finished_at=job.completed_at or timezone.now(),
            )
            if failed and wanted_image:
                FirstFrameRequirement.record_refusal()
            return failed
        if job.status == JobStatus.PROCESSING:
            progress = min(99, job.progress or 0)
            return self._transition(
                UPSTREAM_STATUSES,
                # Progress only rises, and a late event never undoes a finished job (progress 100).
                Q(status=Status.SUBMITTED) | Q(progress__lt=progress),
                status=Status.PROCESSING,
                progress=progress,
            )
        return False

    def billed_by(self, job: Job) -> int:
        """What Apiframe billed for its finished job (its estimate if it did not say)."""
        if job.status != JobStatus.COMPLETED:
            return job.credit_cost or 0
        return self.estimated_credits if job.credit_cost is None else job.credit_cost

    def mark_finished_upstream(self, job: Job) -> bool:
        """Apiframe finished and billed: record the cost; storing the clip comes next."""
        url = job.video_url
        finished_at = job.completed_at or timezone.now()
        if not url:
            return self.fail(
                "Apiframe finished the job but sent no video.",
                credit_cost=self.billed_by(job),
                finished_at=finished_at,
            )
        return self._transition(
            UPSTREAM_STATUSES,
            Q(result_url=""),
            status=Status.PROCESSING,
            progress=100,
            result_url=url,
            credit_cost=self.billed_by(job),
            finished_at=finished_at,
            settled_at=timezone.now(),
            next_check_at=timezone.now(),
            attempts=0,
        )

    def mark_stored(self, *, video: str, poster: str = "") -> bool:
        """The clip is the studio's: show it. Without a poster, the tracker makes one next."""
        now = timezone.now()
        return self._transition(
            (Status.PROCESSING,),
            ~Q(result_url="") & Q(deleted_at__isnull=True),
            status=Status.COMPLETED,
            video=video,
            poster=poster,
            stored_at=now,
            settled_at=self.settled_at or now,  # billed when Apiframe finished; never open here
            next_check_at=None if poster else now + timedelta(seconds=POSTER_DELAY_SECONDS),
            attempts=0,
            lease_until=None,
            lease_token="",
        )

    def close_deleted(self) -> bool:
        """Apiframe finished a clip deleted while running: its cost is recorded, no copy kept."""
        return self._transition(
            (Status.PROCESSING,),
            ~Q(result_url="") & Q(deleted_at__isnull=False),
            status=Status.COMPLETED,
            next_check_at=None,
            attempts=0,
            lease_until=None,
            lease_token="",
        )

    def keep_last_frame(self, name: str) -> bool:
        """Its last frame is made: kept by the first of two makers (the other deletes its file);
        False too if the clip was deleted meanwhile. Not a visible change: no gallery redraws."""
        return self._transition(
            (Status.COMPLETED,),
            Q(last_frame="", deleted_at__isnull=True),
            last_frame=name,
            updated_at=F("updated_at"),
        )

    def mark_poster(self, poster: str) -> bool:
        """The poster is made; False if the clip was deleted meanwhile (the file has no owner)."""
        return self._transition(
            (Status.COMPLETED,),
            Q(poster="", deleted_at__isnull=True),
            poster=poster,
            next_check_at=None,
            attempts=0,
            last_error="",
            lease_until=None,
            lease_token="",
        )

    def forgo_poster(self, reason: str) -> bool:
        """Stop trying: the clip stays playable, its card shows the video's own first frame."""
        return self._transition(
            (Status.COMPLETED,),
            Q(poster=""),
            updated_at=F("updated_at"),
            next_check_at=None,
            last_error=reason,
            lease_until=None,
            lease_token="",
        )

    def fail(
        self, reason: str, *, may_still_bill: bool = False, follow_at=None, **changes: Any
    ) -> bool:
        """The clip failed for the member. With `may_still_bill` (the studio gave up on a job
        Apiframe is still making), its reservation stays and the tracker follows the job from
        `follow_at` until Apiframe says what it billed."""
        following = may_still_bill and bool(self.job_id)
        now = timezone.now()
        return self._transition(
            ACTIVE_STATUSES,
            status=Status.FAILED,
            failure_reason=reason,
            next_check_at=(follow_at or now + FOLLOW_UP_DELAY) if following else None,
            settled_at=None if following else (self.settled_at or now),
            attempts=0,
            lease_until=None,
            lease_token="",
            **changes,
        )

    def apply_late_job(self, job: Job) -> bool:
        """What Apiframe says of a job the member is done with (failed by the studio, deleted):
        once it ended, record what it billed. A clip it finished after all is stored, unless
        deleted, as the member would want."""
        if job.status not in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED):
            return False
        now = timezone.now()
        ended: dict[str, Any] = {
            "credit_cost": self.billed_by(job),
            "finished_at": job.completed_at or now,
            "settled_at": now,
            "attempts": 0,
            "lease_until": None,
            "lease_token": "",
        }
        url = job.video_url if job.status == JobStatus.COMPLETED and not job.expired else None
        if url and not self.deleted_at:
            return self._transition(
                (Status.FAILED,),
                BILLING_OPEN & Q(deleted_at__isnull=True),
                status=Status.PROCESSING,
                failure_reason="",
                progress=100,
                result_url=url,
                next_check_at=now,
                **ended,
            )
        if job.status == JobStatus.COMPLETED and self.deleted_at:
            ended["status"] = Status.COMPLETED  # billed; deleted, so no copy is kept
        return self._transition(
            (Status.FAILED, Status.CANCELLED),
            BILLING_OPEN,
            next_check_at=None,
            **ended,
        )

    def correct_cost(self, credit_cost: int) -> bool:
        """Apiframe's own ledger says the job cost something else: Apiframe's word stands."""
        return self._transition(
            tuple(Status),
            Q(settled_at__isnull=False) & ~Q(credit_cost=credit_cost),
            credit_cost=credit_cost,
            updated_at=F("updated_at"),
        )

    def settle(self, note: str, *, credit_cost: int | None = None) -> bool:
        """Stop following a job whose end Apiframe will not tell (unknown to it, or too old)."""
        return self._transition(
            (Status.FAILED, Status.CANCELLED),
            BILLING_OPEN,
            credit_cost=credit_cost,
            settled_at=timezone.now(),
            next_check_at=None,
            last_error=note,
            lease_until=None,
            lease_token="",
        )

    def schedule(
        self,
        at: datetime,
        *,
        error: str = "",
        attempts: int | None = None,
        overdue_checks: int | None = None,
    ) -> bool:
        """Release this worker's claim and say when to look again; False if the claim is no
        longer this worker's (it expired and another took the generation over)."""
        changes: dict[str, Any] = {
            "next_check_at": at,
            "lease_until": None,
            "lease_token": "",
            "last_error": error,
        }
        if attempts is not None:
            changes["attempts"] = attempts
        if overdue_checks is not None:
            changes["overdue_checks"] = overdue_checks
        # Not a visible change: leave updated_at alone so the gallery is not told to redraw.
        return self._transition(
            tuple(Status),
            (Q(status__in=ACTIVE_STATUSES) | AWAITING_POSTER | BILLING_OPEN)
            & Q(lease_token=self.lease_token),
            updated_at=F("updated_at"),
            **changes,
        )

    def soft_delete(self, by=None) -> None:
        """Hide from the gallery; the row stays for the team's figures.

        A finished clip keeps its files for UNDO_SECONDS, so its author can take the delete
        back (`restore`); `drop_files_past_undo` removes them afterwards. Apiframe cannot be
        told to stop, so a clip it may still be making keeps its reservation and in-flight slot:
        the tracker follows the job to its end and records what it billed. Only a clip never
        sent (unclaimed, never tried) ends here, as nothing can be billed.
        """
        now = timezone.now()
        self._transition(
            (Status.WAITING,),
            Q(attempts=0, lease_token=""),
            status=Status.CANCELLED,
            next_check_at=None,
            settled_at=now,
        )
        files = [f.name for f in (self.video, self.poster, self.first_frame, self.last_frame) if f]
        kept = Q(UNDOABLE)
        gone = Generation.objects.filter(pk=self.pk, deleted_at__isnull=True).update(
            deleted_at=now,
            deleted_by=by,
            deleted_while_running=Case(When(IN_FLIGHT, then=Value(True)), default=Value(False)),
            updated_at=now,
            video=Case(
                When(kept, then=F("video")), default=Value(""), output_field=models.CharField()
            ),
            poster=Case(
                When(kept, then=F("poster")), default=Value(""), output_field=models.CharField()
            ),
            last_frame=Case(
                When(kept, then=F("last_frame")), default=Value(""), output_field=models.CharField()
            ),
            # A clip still to be submitted needs its first frame for the submit's replay.
            first_frame=Case(
                When(kept | Q(status=Status.WAITING), then=F("first_frame")),
                default=Value(""),
                output_field=models.CharField(),
            ),
            # The tracker drops a finished clip's files once the undo has run out (and makes no
            # poster meanwhile: `restore` asks for it again).
            next_check_at=Case(
                When(kept, then=Value(now + timedelta(seconds=UNDO_SECONDS))),
                When(status=Status.COMPLETED, then=Value(None)),
                default=F("next_check_at"),
            ),
        )
        if gone:
            self.refresh_from_db()
            if self.deleted_while_running:
                record_running_delete(self, by)
            still_kept = {
                f.name for f in (self.video, self.poster, self.first_frame, self.last_frame) if f
            }
            self._delete_files(name for name in files if name not in still_kept)

    def restore(self) -> bool:
        """Take back a delete of a finished clip within UNDO_SECONDS; False once it is too late
        (its files may be going) or if it was never one to undo."""
        now = timezone.now()
        restored = Generation.objects.filter(
            UNDOABLE,
            pk=self.pk,
            deleted_at__gte=now - timedelta(seconds=UNDO_SECONDS),
            deleted_while_running=False,
        ).update(
            deleted_at=None,
            deleted_by=None,
            updated_at=now,
            next_check_at=Case(
                When(Q(status=Status.COMPLETED, poster=""), then=Value(now)), default=Value(None)
            ),
        )
        if restored:
            self.refresh_from_db()
        return bool(restored)

    def drop_files_after_undo(self) -> bool:
        """The undo of this clip's delete has run out: its files go (the row stays for the
        team's figures). False if it was restored meanwhile, or is not due yet."""
        cutoff = timezone.now() - timedelta(seconds=UNDO_SECONDS)
        names = [f.name for f in (self.video, self.poster, self.first_frame, self.last_frame) if f]
        if not self._transition(
            (Status.COMPLETED, Status.FAILED),
            Q(deleted_at__lt=cutoff, lease_token=self.lease_token),
            updated_at=F("updated_at"),
            video="",
            poster="",
            first_frame="",
            last_frame="",
            next_check_at=None,
            lease_until=None,
            lease_token="",
        ):
            return False
        self._delete_files(names)
        return True

    def drop_first_frame_once_sent(self) -> None:
        """A deleted clip keeps its first frame only until it leaves WAITING (submitted or not)."""
        name = self.first_frame.name
        if not name or not Generation.objects.filter(
            ~Q(status=Status.WAITING), pk=self.pk, deleted_at__isnull=False, first_frame=name
        ).update(first_frame=""):
            return
        self.first_frame = ""
        self._delete_files([name])

    def _delete_files(self, names) -> None:
        storage = self.video.storage
        for name in names:
            storage.delete(name)
