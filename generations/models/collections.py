"""How a team keeps its work: stars (per member), boards (the team's), and share links that show
a clip or a board to anyone holding the link. The schema is here; the behaviours live on these
models and their QuerySets, beside the pages that use them."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Max, Q, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from .audit import AuditEntry, AuditKind
from .statuses import Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User

BOARD_NAME_MAX_LENGTH = 100


def seconds(moment) -> str | None:
    """A moment as the audit log keeps it (ISO 8601, to the second)."""
    return moment.isoformat(timespec="seconds") if moment else None


def new_share_token() -> str:
    """256 random bits, URL-safe (43 characters): unguessable, and throttled besides."""
    return secrets.token_urlsafe(32)


class StarQuerySet(models.QuerySet["Star"]):
    def changed_since(self, member, moment) -> StarQuerySet:
        """What `member` starred or unstarred after `moment`: their other tabs redraw those cards
        (and no teammate's tab does; a star leaves the clip's updated_at alone)."""
        return self.filter(member=member, changed_at__gt=moment)


class CurrentStars(models.Manager["Star"]):
    """Stars standing now; an unstarred row stays (removed_at) only to tell the member's tabs."""

    def get_queryset(self) -> StarQuerySet:
        return StarQuerySet(self.model, using=self._db).filter(removed_at__isnull=True)


class Star(models.Model):
    """A member's star on a clip: stars are per member, and filter the gallery to "Starred"."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stars"
    )
    generation = models.ForeignKey("Generation", on_delete=models.CASCADE, related_name="stars")
    created_at = models.DateTimeField(default=timezone.now)
    # Unstarring keeps the row, so the member's other tabs can hear of it (changed_at).
    removed_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    objects = CurrentStars()
    changes = StarQuerySet.as_manager()  # unstarred rows too

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "generation"], name="one_star_per_member")
        ]
        indexes = [models.Index(fields=["member", "changed_at"], name="stars_changed")]

    def __str__(self) -> str:
        return f"{self.member} starred {self.generation_id}"

    @classmethod
    def set(cls, member: User, generation_ids: Iterable[Any], starred: bool) -> int:
        """Star (or unstar) these clips for `member`, in conditional UPDATEs and one INSERT that
        skips rows another tab made first; returns how many changed. Asking for the state a clip
        already has changes nothing, so a stale tab never flips a star the wrong way."""
        ids = list(dict.fromkeys(uuid.UUID(str(pk)) for pk in generation_ids))
        now = timezone.now()
        if not starred:
            mine = cls.objects.filter(member=member, generation_id__in=ids)
            return mine.update(removed_at=now, changed_at=now)
        unstarred = cls.changes.filter(
            member=member, generation_id__in=ids, removed_at__isnull=False
        )
        revived = unstarred.update(removed_at=None, created_at=now, changed_at=now)
        known = set(
            cls.changes.filter(member=member, generation_id__in=ids).values_list(
                "generation_id", flat=True
            )
        )
        new = [
            cls(member=member, generation_id=pk, created_at=now, changed_at=now)
            for pk in ids
            if pk not in known
        ]
        cls.changes.bulk_create(new, ignore_conflicts=True)
        return revived + len(new)


class BoardQuerySet(models.QuerySet["Board"]):
    def with_counts(self) -> BoardQuerySet:
        """Each board's clips still in the gallery (a deleted clip leaves its boards' counts)."""
        shown = Q(items__generation__deleted_at__isnull=True)
        return self.annotate(clip_count=Count("items", filter=shown))

    def named(self, name: str) -> BoardQuerySet:
        """The board of that name, whatever its case, compared as the unique constraint does."""
        return self.alias(lower_name=Lower("name")).filter(lower_name=Lower(Value(name)))

    def holding(self, generation) -> BoardQuerySet:
        return self.filter(items__generation=generation)


class BoardNameTaken(Exception):
    """Another board has this name (whatever its case): names tell boards apart."""

    def __init__(self, name: str) -> None:
        super().__init__(f"There is already a board named “{name}”: choose another name.")
        self.name = name


@dataclass(frozen=True)
class Added:
    """What adding clips to a board did: how many went on, how many were there already."""

    board: Board
    added: int
    already: int


class Board(models.Model):
    """A team board: any member makes one and adds clips; renaming or deleting it never deletes
    a clip."""

    class Order(models.TextChoices):
        NEWEST = "newest", "Newest first"
        MANUAL = "manual", "In the team's order"

    name = models.CharField(max_length=BOARD_NAME_MAX_LENGTH)
    description = models.TextField(blank=True)
    order = models.CharField(max_length=10, choices=Order.choices, default=Order.NEWEST)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="boards"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = BoardQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), name="board_names_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("board_detail", args=[self.pk])

    @classmethod
    def make(cls, *, name: str, description: str = "", by) -> Board:
        """A new board; BoardNameTaken if the name is taken, even by one made a moment ago."""
        try:
            with transaction.atomic():
                return cls.objects.create(name=name, description=description, created_by=by)
        except IntegrityError:
            raise BoardNameTaken(name) from None

    def rename(self, *, name: str, description: str) -> None:
        """A new name and description (never touching its clips); BoardNameTaken as `make`."""
        now = timezone.now()
        try:
            with transaction.atomic():
                Board.objects.filter(pk=self.pk).update(
                    name=name, description=description, updated_at=now
                )
        except IntegrityError:
            raise BoardNameTaken(name) from None
        self.name, self.description, self.updated_at = name, description, now

    def may_be_deleted_by(self, user) -> bool:
        """A board is the team's to fill and arrange, but only its maker or staff delete it."""
        return user.is_staff or (self.created_by_id is not None and self.created_by_id == user.pk)

    def shown_items(self) -> models.QuerySet[BoardItem]:
        """Its clips still in the gallery, in the board's order: the team's, or newest first."""
        items = self.items.filter(generation__deleted_at__isnull=True)
        if self.order == self.Order.MANUAL:
            return items.order_by("position", "-added_at", "pk")
        return items.order_by("-generation__created_at", "-generation_id")

    def add(self, generation_ids: Iterable[Any], by) -> Added:
        """Put clips on the board after the last in the team's order (a clip once at most: one
        already on it, or put on by a teammate at the same moment, is skipped)."""
        ids = list(dict.fromkeys(uuid.UUID(str(pk)) for pk in generation_ids))
        with transaction.atomic():
            self._lock()
            there = set(
                self.items.filter(generation_id__in=ids).values_list("generation_id", flat=True)
            )
            last = self.items.aggregate(last=Max("position"))["last"]
            start = 0 if last is None else last + 1
            now = timezone.now()
            new = [
                BoardItem(
                    board=self, generation_id=pk, added_by=by, added_at=now, position=start + i
                )
                for i, pk in enumerate(pk for pk in ids if pk not in there)
            ]
            BoardItem.objects.bulk_create(new, ignore_conflicts=True)
            self._touch(now)
        return Added(self, added=len(new), already=len(ids) - len(new))

    def remove(self, item: BoardItem, by) -> bool:
        """Take a clip off the board, if `by` may (see BoardItem.may_be_removed_by): one DELETE,
        conditional on who added it; False if it was already off (or `by` may not)."""
        items = BoardItem.objects.filter(pk=item.pk, board=self)
        if not by.is_staff:
            items = items.filter(added_by=by)
        removed, _ = items.delete()
        if removed:
            self._touch(timezone.now())
        return bool(removed)

    def set_order(self, order: str) -> bool:
        """Newest first, or the team's order; False for an order there is not."""
        if order not in self.Order.values:
            return False
        Board.objects.filter(pk=self.pk).update(order=order, updated_at=timezone.now())
        self.order = order
        return True

    def arrange(self, generation_ids: Iterable[Any]) -> int:
        """Put these clips of the board in this order (as dragged on one page of it): they take
        the places they held between them, every other clip keeps its own. Ids that are not on
        the board are ignored. The board then shows the team's order. Returns clips moved."""
        wanted = []
        for pk in generation_ids:
            try:
                wanted.append(uuid.UUID(str(pk)))
            except ValueError:
                continue
        with transaction.atomic():
            self._lock()
            rows = self._rows()
            shown = {generation for _, generation, _, deleted in rows if not deleted}
            order = [pk for pk in dict.fromkeys(wanted) if pk in shown]
            return self._renumber(rows, order)

    def move(self, generation_id: Any, offset: int) -> int:
        """Move one clip `offset` places in the team's order (-1: up, 1: down), among the clips
        the board shows; the board then shows the team's order. Returns clips moved."""
        with transaction.atomic():
            self._lock()
            rows = self._rows()
            order = [generation for _, generation, _, deleted in rows if not deleted]
            try:
                here = order.index(uuid.UUID(str(generation_id)))
            except ValueError:
                return 0
            there = max(0, min(len(order) - 1, here + offset))
            order.insert(there, order.pop(here))
            return self._renumber(rows, order)

    def _rows(self) -> list[tuple[int, uuid.UUID, int, bool]]:
        """Every item in the team's order, deleted clips too (they keep their places)."""
        rows = self.items.order_by("position", "-added_at", "pk").values_list(
            "pk", "generation_id", "position", "generation__deleted_at"
        )
        return [
            (pk, generation, position, deleted is not None)
            for pk, generation, position, deleted in rows
        ]

    def _renumber(self, rows, order: list[uuid.UUID]) -> int:
        """`order`'s clips into the slots they hold between them; then every position is its
        place (0, 1, 2…), written only where it changed."""
        moving = set(order)
        slots = iter(order)
        arranged = [
            next(slots) if generation in moving else generation for _, generation, _, _ in rows
        ]
        by_generation = {generation: (pk, position) for pk, generation, position, _ in rows}
        changed = []
        for place, generation in enumerate(arranged):
            pk, position = by_generation[generation]
            if position != place:
                changed.append(BoardItem(pk=pk, position=place))
        BoardItem.objects.bulk_update(changed, ["position"], batch_size=500)
        Board.objects.filter(pk=self.pk).update(order=self.Order.MANUAL, updated_at=timezone.now())
        self.order = self.Order.MANUAL
        return len(changed)

    def _lock(self) -> None:
        """One change of the board's clips at a time (PostgreSQL locks the row; SQLite's
        transactions are already one at a time)."""
        Board.objects.select_for_update().filter(pk=self.pk).first()

    def _touch(self, now) -> None:
        Board.objects.filter(pk=self.pk).update(updated_at=now)


class BoardItem(models.Model):
    """A clip on a board: who added it and when, and its place in the team's order."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="items")
    generation = models.ForeignKey(
        "Generation", on_delete=models.CASCADE, related_name="board_items"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "-added_at"]
        constraints = [
            models.UniqueConstraint(fields=["board", "generation"], name="a_clip_once_per_board")
        ]
        indexes = [models.Index(fields=["board", "position"], name="board_order")]

    def __str__(self) -> str:
        return f"{self.generation_id} on {self.board}"

    def may_be_removed_by(self, user) -> bool:
        """Members take off the clips they added; staff any."""
        return user.is_staff or (self.added_by_id is not None and self.added_by_id == user.pk)


class ShareRefusal(Exception):
    """Why a share link was not made, in words for the member."""


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def live(self, now=None) -> ShareLinkQuerySet:
        """Links that still open: not revoked, not expired, and not to a deleted clip (a deleted
        board takes its links with it)."""
        now = now or timezone.now()
        return self.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            Q(generation__isnull=True) | Q(generation__deleted_at__isnull=True),
            revoked_at__isnull=True,
        )

    def for_listing(self) -> ShareLinkQuerySet:
        """What a list of links shows of each: what it shares, who made and revoked it."""
        return self.select_related("generation__prompt", "board", "created_by", "revoked_by")

    def made_by(self, member) -> ShareLinkQuerySet:
        return self.filter(created_by=member)


class ShareLink(models.Model):
    """A view-only link under /s/<token>/ to one clip or one board, for anyone holding it."""

    class Expiry(models.IntegerChoices):
        WEEK = 7, "7 days"
        MONTH = 30, "30 days"
        NEVER = 0, "Never"

    token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    generation = models.ForeignKey(
        "Generation", null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    board = models.ForeignKey(
        Board, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    allow_download = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="share_links"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    views = models.PositiveIntegerField(default=0)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(generation__isnull=False, board__isnull=True)
                | Q(generation__isnull=True, board__isnull=False),
                name="share_one_clip_or_one_board",
            )
        ]

    def __str__(self) -> str:
        return f"Share link to {self.board or self.generation_id}"

    def get_absolute_url(self) -> str:
        return reverse("share_page", args=[self.token])

    @classmethod
    def make(
        cls, *, by, generation=None, board=None, expiry_days: int, allow_download: bool
    ) -> ShareLink:
        """A new link to a finished clip still in the gallery, or to a board; ShareRefusal says
        why not. `expiry_days` is one of Expiry's values (0: never)."""
        if expiry_days not in cls.Expiry.values:
            raise ShareRefusal("Choose when the link stops working: in 7 days, 30 days or never.")
        if (generation is None) == (board is None):
            raise ShareRefusal("A link shares one clip or one board.")
        if generation is not None and generation.deleted_at is not None:
            raise ShareRefusal("This clip was deleted: there is nothing to share.")
        if generation is not None and not (
            generation.status == Status.COMPLETED and generation.video
        ):
            raise ShareRefusal("Only a finished clip can be shared: this one has no video yet.")
        now = timezone.now()
        with transaction.atomic():
            link = cls.objects.create(
                generation=generation,
                board=board,
                created_by=by,
                created_at=now,
                expires_at=now + timedelta(days=expiry_days) if expiry_days else None,
                allow_download=allow_download,
            )
            AuditEntry.record(
                AuditKind.SHARE_MADE,
                f"Share link made to {link.what[:120]}",
                actor=by,
                member=by,
                after=link.audit_values(),
            )
        return link

    def audit_values(self) -> dict[str, Any]:
        """What the audit log keeps of a link (never its token)."""
        return {
            "link": self.pk,
            "board": self.board_id,
            "clip": str(self.generation_id) if self.generation_id else None,
            "expires_at": seconds(self.expires_at),
            "allow_download": self.allow_download,
            "revoked_at": seconds(self.revoked_at),
        }

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_live(self) -> bool:
        """It still opens (the same test as ShareLinkQuerySet.live, for one link in hand)."""
        clip_gone = self.generation is not None and self.generation.deleted_at is not None
        return not (self.is_revoked or self.is_expired or clip_gone)

    @property
    def state_words(self) -> str:
        if self.is_revoked:
            return "Turned off"
        if self.is_expired:
            return "Expired"
        if not self.is_live:
            return "Its clip was deleted"
        return "Open"

    @property
    def what(self) -> str:
        """What it shares, in words for the member's list (never shown on the public page)."""
        if self.board is not None:
            return f"Board “{self.board.name}”"
        return f"Clip “{self.generation.prompt.text}”" if self.generation else "Nothing"

    def can_be_revoked_by(self, user) -> bool:
        """Its maker and staff turn a link off."""
        return user.is_staff or (self.created_by_id is not None and self.created_by_id == user.pk)

    def revoke(self, by) -> bool:
        """Turn the link off for good: one conditional UPDATE, so of two at once one wins; False
        if it was already off."""
        now = timezone.now()
        with transaction.atomic():
            won = ShareLink.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=now, revoked_by=by
            )
            if won:
                before = self.audit_values()
                self.revoked_at, self.revoked_by = now, by
                AuditEntry.record(
                    AuditKind.SHARE_REVOKED,
                    f"Share link to {self.what[:120]} revoked",
                    actor=by,
                    member=self.created_by,
                    before=before,
                    after=self.audit_values(),
                )
        return bool(won)

    def count_view(self) -> bool:
        """One more view, counted only while the link is live (one conditional UPDATE); False if
        it was turned off or ran out a moment ago."""
        live = ShareLink.objects.live().filter(pk=self.pk)
        return bool(live.update(views=models.F("views") + 1))

    def clips(self) -> list:
        """The finished clips still in the gallery that the link shows, in the board's order."""
        if self.generation_id is not None:
            return list(self._shown().filter(pk=self.generation_id))
        assert self.board is not None
        order = list(self.board.shown_items().values_list("generation_id", flat=True))
        by_id = self._shown().in_bulk(order)
        return [by_id[pk] for pk in order if pk in by_id]

    def clip(self, pk):
        """One clip the link shows, or None: its media answer for no other clip."""
        if self.generation_id is not None:
            return self._shown().filter(pk=self.generation_id).filter(pk=pk).first()
        return self._shown().filter(pk=pk, board_items__board_id=self.board_id).first()

    def _shown(self):
        from .generations import Generation  # generations imports this module

        finished = Generation.objects.visible().filter(status=Status.COMPLETED).exclude(video="")
        return finished.select_related("prompt")
