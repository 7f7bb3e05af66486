"""Spend approval: a member refused by their quota or the team budget asks staff to let the
clip through. The request keeps the whole form (prompt, image, settings, how many takes)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst

from .audit import AuditEntry, AuditKind
from .budgets import Budget, BudgetRefusal, MemberQuota, month_bounds
from .generations import Generation
from .statuses import committed_credits

# The rules staff may approve past; "running" is not one (it resolves itself as clips finish).
APPROVABLE_RULES = ("quota", "team")
# How long a decided request stays in its member's panel and in staff's "recently decided".
RECENT = timedelta(days=7)


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Waiting for staff"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


def approval_image_path(request: ApprovalRequest, filename: str) -> str:
    # A random name: members may read the media folders, and nobody but the member and staff
    # is shown this one's address.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"approval-frames/{uuid.uuid4().hex}.{suffix}"


class NotApprovable(Exception):
    """A request staff cannot be asked for, or a decision that cannot be made; the message is
    for whoever tried, as is."""


class AlreadyDecided(NotApprovable):
    """Another staff member (or another tab) decided this request first."""


@dataclass(frozen=True)
class Refusal:
    """What the budget says of a clip now: the rule that refuses it first, its words, the estimate."""

    rule: str
    words: str
    estimate: int

    @property
    def approvable(self) -> bool:
        return self.rule in APPROVABLE_RULES


@dataclass(frozen=True)
class Spending:
    """What a request's member and the team have spent this month, beside their limits."""

    member_spent: int
    member_quota: int | None
    team_spent: int
    team_budget: int | None


def digest(image: File) -> str:
    image.seek(0)
    found = hashlib.sha256(image.read()).hexdigest()
    image.seek(0)
    return found


class ApprovalRequestQuerySet(models.QuerySet["ApprovalRequest"]):
    def pending(self) -> ApprovalRequestQuerySet:
        return self.filter(state=ApprovalState.PENDING)

    def decided(self) -> ApprovalRequestQuerySet:
        return self.exclude(state=ApprovalState.PENDING)

    def recent(self) -> ApprovalRequestQuerySet:
        """Pending ones, and those decided within RECENT."""
        since = timezone.now() - RECENT
        return self.filter(Q(state=ApprovalState.PENDING) | Q(decided_at__gte=since))

    def changed_since(self, member, moment) -> ApprovalRequestQuerySet:
        """`member`'s requests asked or decided after `moment`: their studio tabs redraw the
        panel (read through the member index: a member has few requests)."""
        return self.filter(Q(created_at__gt=moment) | Q(decided_at__gt=moment), member=member)

    def with_made_clip(self) -> ApprovalRequestQuerySet:
        """Each request with `made_clip`, the id of the first take it made (none until approved),
        in the same query."""
        made = Generation.objects.filter(
            Q(batch=OuterRef("batch")) | Q(pk=OuterRef("batch"))
        ).order_by("take")
        return self.select_related("member", "decided_by").annotate(
            made_clip=Subquery(made.values("pk")[:1])
        )

    def with_spending(self) -> list[tuple[ApprovalRequest, Spending]]:
        """These requests, each with its member's and the team's spending this month (five
        queries however many requests: no query per row)."""
        requests = list(self.select_related("member", "decided_by"))
        if not requests:
            return []
        budget = Budget.current()
        start, end = month_bounds()
        month = Generation.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
        members = {request.member_id for request in requests}
        spent = dict(
            month.filter(owner_id__in=members)
            .values("owner_id")
            .annotate(credits=Coalesce(Sum(committed_credits()), 0))
            .values_list("owner_id", "credits")
        )
        quotas = dict(
            MemberQuota.objects.filter(member_id__in=members).values_list(
                "member_id", "monthly_credits"
            )
        )
        team_spent = month.credits()
        return [
            (
                request,
                Spending(
                    member_spent=spent.get(request.member_id, 0),
                    member_quota=quotas.get(request.member_id, budget.member_monthly_credits),
                    team_spent=team_spent,
                    team_budget=budget.team_monthly_credits,
                ),
            )
            for request in requests
        ]


class ApprovalRequest(models.Model):
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_requests"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    refusal = models.TextField(help_text="What the budget said when the clip was refused.")
    estimated_credits = models.PositiveIntegerField(default=0)

    # The form, kept whole.
    prompt_text = models.TextField()
    resolution = models.CharField(max_length=5)
    duration = models.PositiveSmallIntegerField()
    prompt_optimizer = models.BooleanField(default=True)
    clips = models.PositiveSmallIntegerField(default=1)
    first_frame = models.ImageField(upload_to=approval_image_path, blank=True)
    first_frame_url = models.URLField(max_length=2000, blank=True)
    continues = models.ForeignKey(
        "Generation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    state = models.CharField(
        max_length=8, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why staff declined.")
    past_team_budget = models.BooleanField(default=False)
    batch = models.UUIDField(null=True, blank=True, help_text="The approved clips' batch.")

    objects = ApprovalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "-created_at"], name="approvals_pending")]

    def __str__(self) -> str:
        return f"{self.member}: {self.prompt_text[:40]} ({self.get_state_display()})"

    # Derived facts --------------------------------------------------------------------------

    @property
    def is_pending(self) -> bool:
        return self.state == ApprovalState.PENDING

    @property
    def what(self) -> str:
        """The clip or its takes, for the audit log's summaries."""
        return f"{self.clips} takes of" if self.clips > 1 else "a clip of"

    @property
    def asked_words(self) -> str:
        clips = f"these {self.clips} takes" if self.clips > 1 else "this clip"
        return f"Asked staff to approve {clips} (about {self.estimated_credits} credits)."

    @property
    def asked_again_words(self) -> str:
        clips = f"these {self.clips} takes" if self.clips > 1 else "this clip"
        return (
            f"You already asked staff to approve {clips} (about {self.estimated_credits} "
            "credits): it is waiting for them."
        )

    @property
    def already_decided_words(self) -> str:
        """Why a decision came too late, naming who decided and when."""
        by = self.decided_by.get_username() if self.decided_by else "a staff member"
        when = naturaltime(self.decided_at) if self.decided_at else "earlier"
        state = self.get_state_display().lower()
        return (
            f"{capfirst(self.member.get_username())}'s request was already {state} by {by} {when}."
        )

    @staticmethod
    def refusal_for(member, resolution: str, duration: int, clips: int = 1) -> Refusal | None:
        """What the budget says now of `clips` takes at this size (None: it admits them)."""
        budget = Budget.current()
        estimate = budget.price(resolution, duration) * clips
        broken = Generation.objects.standing(member, budget).broken_rules(estimate, clips)
        return Refusal(broken[0][0], broken[0][1], estimate) if broken else None

    # State changes -------------------------------------------------------------------------

    @classmethod
    def ask(
        cls,
        member,
        *,
        prompt_text: str,
        resolution: str,
        duration: int,
        prompt_optimizer: bool = True,
        clips: int = 1,
        first_frame: File | None = None,
        first_frame_url: str = "",
        continues: Generation | None = None,
        note: str = "",
    ) -> tuple[ApprovalRequest, bool]:
        """Ask staff to let through a clip the member's quota or the team budget refuses, the
        whole form kept (an uploaded or reused image as a copy of its own); returns the request
        and whether it is new. The budget is asked again here: a clip it admits needs no
        approval, and one refused for the in-flight limit waits for a clip to finish instead.

        One pending request per identical form: asking again (a double click, a second tab)
        returns the one already waiting. The member's row is locked meanwhile, so two asks at
        once cannot both find none; the image is written before, never under the lock."""
        if member.is_staff:
            raise NotApprovable(
                "Staff need no approval: tick “Go past the budget” and press Generate."
            )
        refusal = cls.refusal_for(member, resolution, duration, clips)
        if refusal is None:
            raise NotApprovable(
                "Your quota and the team's budget have room for this clip now: press Generate."
            )
        if not refusal.approvable:
            raise NotApprovable(refusal.words)
        request = cls(
            member=member,
            note=note.strip(),
            refusal=refusal.words,
            estimated_credits=refusal.estimate,
            prompt_text=prompt_text,
            resolution=resolution,
            duration=duration,
            prompt_optimizer=prompt_optimizer,
            clips=clips,
            first_frame_url=first_frame_url,
            continues=continues,
        )
        image_digest = digest(first_frame) if first_frame is not None else None
        if first_frame is not None:
            request.first_frame.save(
                getattr(first_frame, "name", "") or "image", first_frame, save=False
            )
        try:
            with transaction.atomic():
                list(get_user_model().objects.select_for_update().filter(pk=member.pk).values("pk"))
                waiting = request.same_form_waiting(image_digest)
                if waiting is None:
                    request.save(force_insert=True)
                    AuditEntry.record(
                        AuditKind.APPROVAL_ASKED,
                        f"asked for approval of {request.what} “{prompt_text[:80]}” "
                        f"(about {refusal.estimate} credits)",
                        actor=member,
                        member=member,
                        after=request.audit_figures()
                        | {"refused_by": refusal.rule, "note": request.note},
                    )
        except BaseException:
            request.drop_unsaved_image()
            raise
        if waiting is not None:
            request.drop_unsaved_image()
            return waiting, False
        return request, True

    def drop_unsaved_image(self) -> None:
        """The copy written for a request that was not made (the same one was waiting)."""
        if self.first_frame:
            self.first_frame.delete(save=False)

    def same_form_waiting(self, image_digest: str | None) -> ApprovalRequest | None:
        """A pending request of this member's with this very form (the image compared by its
        content), if there is one."""
        candidates = ApprovalRequest.objects.pending().filter(
            member=self.member,
            prompt_text=self.prompt_text,
            resolution=self.resolution,
            duration=self.duration,
            prompt_optimizer=self.prompt_optimizer,
            clips=self.clips,
            first_frame_url=self.first_frame_url,
            continues=self.continues,
        )
        for candidate in candidates:
            if image_digest is None and not candidate.first_frame:
                return candidate
            if image_digest is not None and candidate.first_frame:
                with candidate.first_frame.open("rb") as image:
                    if digest(image) == image_digest:
                        return candidate
        return None

    def audit_figures(self) -> dict[str, Any]:
        return {
            "request": self.pk,
            "state": self.state,
            "estimated_credits": self.estimated_credits,
            "clips": self.clips,
            "past_team_budget": self.past_team_budget,
        }

    def approve(self, by, *, past_team_budget: bool = False) -> list[Generation]:
        """Submit the clip as the member's, marked approved by `by`: past the member's quota
        and in-flight limit, and past the team budget too only with `past_team_budget`. Returns
        the takes made; the caller enqueues them (`tasks.enqueue_submissions`).

        The claim (one conditional UPDATE from PENDING) and the admission are one transaction:
        of two staff approving at once, the second's UPDATE waits for the first's to commit and
        finds the request decided (AlreadyDecided); a refusal by the team budget (BudgetRefusal,
        raised as is) rolls the claim back, so the request is pending again with nothing made.
        The price: the takes' copies of the image are written while the claim's lock is held
        (the request's row on PostgreSQL, the database's write lock on SQLite). The request's
        own copy goes once the clips have theirs."""
        self.refresh_from_db()
        if not self.is_pending:
            raise AlreadyDecided(self.already_decided_words)
        if not self.member.is_active:
            raise NotApprovable(
                f"{self.member.get_username()} can no longer make clips (their account is "
                "deactivated): decline the request instead."
            )
        try:
            image = self.image_copy()  # read before the transaction: no storage I/O under the lock
        except OSError:
            # Another staff member decided it this moment, and its copy went with the decision.
            self.refresh_from_db()
            if self.is_pending:
                raise
            raise AlreadyDecided(self.already_decided_words) from None
        with transaction.atomic():
            if not self._decide(ApprovalState.APPROVED, by, past_team_budget=past_team_budget):
                self.refresh_from_db()
                raise AlreadyDecided(self.already_decided_words)
            try:
                takes = Generation.start_batch(
                    owner=self.member,
                    prompt_text=self.prompt_text,
                    takes=self.clips,
                    first_frame=image,
                    approved_by=by,
                    past_team_budget=past_team_budget,
                    resolution=self.resolution,
                    duration=self.duration,
                    prompt_optimizer=self.prompt_optimizer,
                    first_frame_url=self.first_frame_url,
                    continues=self.continues,
                )
            except BudgetRefusal:
                self.state, self.decided_by, self.decided_at = ApprovalState.PENDING, None, None
                self.past_team_budget = False
                raise  # the claim rolls back with the transaction
            # A batch of one has no batch id: the clip's own id stands for it.
            self.batch = takes[0].batch or takes[0].pk
            ApprovalRequest.objects.filter(pk=self.pk).update(batch=self.batch)
            before = self.audit_figures() | {
                "state": ApprovalState.PENDING,
                "past_team_budget": False,
            }
            AuditEntry.record(
                AuditKind.APPROVED,
                f"approved {self.member.get_username()}'s request for {self.what} "
                f"“{self.prompt_text[:80]}” (about {self.estimated_credits} credits)"
                + (", past the team budget" if past_team_budget else ""),
                actor=by,
                member=self.member,
                before=before,
                after=self.audit_figures()
                | {"batch": str(self.batch), "made": [str(take.pk) for take in takes]},
            )
            transaction.on_commit(self.drop_image)
        return takes

    def decline(self, by, reason: str) -> None:
        """Refuse the request, saying why (the member reads the reason in their studio)."""
        reason = reason.strip()
        if not reason:
            raise NotApprovable(
                f"Say why you decline, so {self.member.get_username()} knows: the reason can't "
                "be empty."
            )
        with transaction.atomic():
            if not self._decide(ApprovalState.DECLINED, by, reason=reason):
                self.refresh_from_db()
                raise AlreadyDecided(self.already_decided_words)
            AuditEntry.record(
                AuditKind.DECLINED,
                f"declined {self.member.get_username()}'s request for {self.what} "
                f"“{self.prompt_text[:80]}”: {reason[:200]}",
                actor=by,
                member=self.member,
                before=self.audit_figures() | {"state": ApprovalState.PENDING},
                after=self.audit_figures() | {"reason": reason},
            )
            transaction.on_commit(self.drop_image)

    def _decide(self, state: str, by, **changes: Any) -> bool:
        """Move from PENDING to `state` in one conditional UPDATE; True if this call won."""
        now = timezone.now()
        won = (
            ApprovalRequest.objects.filter(pk=self.pk, state=ApprovalState.PENDING).update(
                state=state, decided_by=by, decided_at=now, **changes
            )
            == 1
        )
        if won:
            self.state, self.decided_by, self.decided_at = state, by, now
            for field, value in changes.items():
                setattr(self, field, value)
        return won

    def image_copy(self) -> ContentFile | None:
        """The request's image, read into memory for the clips to keep their own copies."""
        name = self.first_frame.name
        if not name:
            return None
        with self.first_frame.open("rb") as image:
            return ContentFile(image.read(), name=name.rsplit("/", 1)[-1])

    def drop_image(self) -> None:
        """A decided request needs its copy no more: the clips have theirs, a declined one none."""
        name = self.first_frame.name
        if name and ApprovalRequest.objects.filter(pk=self.pk, first_frame=name).update(
            first_frame=""
        ):
            self.first_frame.storage.delete(name)
            self.first_frame = ""
