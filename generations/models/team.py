"""The team running itself: each member's profile (last seen, notification choice), the invites
staff hand out, and the changes staff make to a member (quota, role, active, a password-reset
link). Each change that moves money or access writes its audit entry in the same transaction."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .audit import AuditEntry, AuditKind
from .budgets import Budget, MemberQuota
from .generations import Generation

# Last seen is written at most this often per member (generations/last_seen.py).
SEEN_EVERY = timedelta(minutes=1)
# How long an invite link works.
INVITE_DAYS = 7
# What Invite.make hands out (secrets.token_urlsafe(32): 256 bits, 43 characters); anything else
# is no invite's, without a lookup.
INVITE_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)


class TeamRefusal(Exception):
    """A change to the team the studio refuses; the message is for staff, as is."""


class UsernameTaken(Exception):
    """Someone took the user name between the form's check and the new member's creation."""


class InviteGone(Exception):
    """The invite cannot be used: `state` says why ("used", "expired", "revoked")."""

    def __init__(self, invite: Invite) -> None:
        super().__init__(invite.state_words)
        self.state = invite.state


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def credits_words(credits: int | None) -> str:
    return "the team default" if credits is None else f"{credits} credits"


def team_default_words(credits: int | None) -> str:
    """The team's default quota, in words."""
    return "no limit" if credits is None else f"{credits} credits"


def day_words(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def role_of(member: User) -> str:
    return "staff" if member.is_staff else "member"


class MemberProfile(models.Model):
    """What the studio keeps about a member beside Django's user: when they were last seen (at
    most once a minute) and whether they want a browser notification when a clip is done."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    notify_when_done = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.member}'s profile"

    @classmethod
    def note_seen(cls, member: User, now: datetime | None = None) -> None:
        """`member` was here now: one conditional UPDATE that writes nothing if they were seen
        within SEEN_EVERY (another tab, another worker); a profile is made the first time."""
        now = now or timezone.now()
        stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=now - SEEN_EVERY)
        if not cls.objects.filter(stale, member=member).update(last_seen_at=now):
            cls.objects.get_or_create(member=member, defaults={"last_seen_at": now})


class InviteQuerySet(models.QuerySet["Invite"]):
    def pending(self, now: datetime | None = None) -> InviteQuerySet:
        """Invites that still work: not used, not revoked, not expired."""
        now = now or timezone.now()
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)

    def finished(self, now: datetime | None = None) -> InviteQuerySet:
        """Used, revoked or expired: kept to read, never to use."""
        now = now or timezone.now()
        return self.exclude(pk__in=self.pending(now).values("pk"))

    def for_listing(self) -> InviteQuerySet:
        return self.select_related("made_by", "used_by", "revoked_by")


class Invite(models.Model):
    """A one-use link under /invite/<token>/ that lets someone join the team. Only the token's
    SHA-256 is stored: the link is shown once, to the staff member who made it."""

    token_hash = models.CharField(max_length=64, unique=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    as_staff = models.BooleanField(default=False)
    monthly_credits = models.PositiveIntegerField(
        null=True, blank=True, help_text="The new member's starting quota; empty: team default."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invite {self.pk}"

    @classmethod
    def make(
        cls, *, by: User, as_staff: bool = False, monthly_credits: int | None = None
    ) -> tuple[Invite, str]:
        """A new invite and its token, which is shown once and never stored (only its hash)."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        with transaction.atomic():
            invite = cls.objects.create(
                token_hash=token_digest(token),
                made_by=by,
                as_staff=as_staff,
                monthly_credits=monthly_credits,
                created_at=now,
                expires_at=now + timedelta(days=INVITE_DAYS),
            )
            AuditEntry.record(
                AuditKind.INVITE_MADE,
                f"Invite made for a new {invite.role_words}, {invite.quota_words}",
                actor=by,
                after=invite.audit_values(),
            )
        return invite, token

    @classmethod
    def find(cls, token: str) -> Invite | None:
        """The invite this token opens, whatever its state; None for a token that is no one's."""
        if not INVITE_TOKEN.fullmatch(token):
            return None
        return cls.objects.for_listing().filter(token_hash=token_digest(token)).first()

    @property
    def state(self) -> str:
        """One of "used", "revoked", "expired" or "open"."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"

    @property
    def state_words(self) -> str:
        """Why the invite does not work, for the person holding it ("" while it does)."""
        ask = "Ask a staff member for a new invite if you still need to join."
        if self.used_at is not None:
            return f"This invite was already used, on {day_words(self.used_at)}: each invite works once. {ask}"
        if self.revoked_at is not None:
            return f"This invite was withdrawn by staff on {day_words(self.revoked_at)}. {ask}"
        if self.state == "expired":
            return f"This invite expired on {day_words(self.expires_at)}: invites work for {INVITE_DAYS} days. {ask}"
        return ""

    @property
    def listing_words(self) -> str:
        """What became of it, for staff's list of used, expired and revoked invites."""
        if self.used_at is not None:
            joined = self.used_by.get_username() if self.used_by else "a former member"
            return f"Used by {joined} on {day_words(self.used_at)}"
        if self.revoked_at is not None:
            by = self.revoked_by.get_username() if self.revoked_by else "a former member"
            return f"Revoked by {by} on {day_words(self.revoked_at)}"
        if self.state == "expired":
            return f"Expired on {day_words(self.expires_at)}"
        return f"Works until {day_words(self.expires_at)}"

    @property
    def role_words(self) -> str:
        return "staff member" if self.as_staff else "member"

    @property
    def quota_words(self) -> str:
        return f"quota {credits_words(self.monthly_credits)}"

    def audit_values(self) -> dict[str, Any]:
        return {
            "invite": self.pk,
            "role": "staff" if self.as_staff else "member",
            "monthly_credits": self.monthly_credits,
            "expires_at": self.expires_at.isoformat(timespec="seconds"),
        }

    def accept(self, username: str, password: str) -> User:
        """Join the team through this invite: one conditional UPDATE claims it (of two tabs at
        once, one wins), and in the same transaction the member is made with the invite's role
        and quota. InviteGone if it no longer works; UsernameTaken if the name went meanwhile."""
        now = timezone.now()
        try:
            with transaction.atomic():
                won = Invite.objects.pending(now).filter(pk=self.pk).update(used_at=now)
                if not won:
                    self.refresh_from_db()
                    raise InviteGone(self)
                if User.objects.filter(username__iexact=username).exists():
                    raise UsernameTaken(username)
                member = User.objects.create_user(
                    username=username,
                    password=password,
                    is_staff=self.as_staff,
                    is_superuser=self.as_staff,
                )
                Invite.objects.filter(pk=self.pk).update(used_by=member)
                if self.monthly_credits is not None:
                    MemberQuota.set_for(member, self.monthly_credits)
                MemberProfile.objects.create(member=member)
                made_by = self.made_by.get_username() if self.made_by else "a former member"
                AuditEntry.record(
                    AuditKind.INVITE_USED,
                    f"{username} joined as a {self.role_words} through an invite from "
                    f"{made_by}, {self.quota_words}",
                    actor=member,
                    member=member,
                    before={"invite": self.pk, "state": "open"},
                    after={**self.audit_values(), "state": "used", "username": username},
                )
        except IntegrityError:
            if User.objects.filter(username=username).exists():
                raise UsernameTaken(username) from None
            raise
        self.used_at, self.used_by = now, member
        return member

    def revoke(self, by: User) -> bool:
        """Withdraw an unused invite: one conditional UPDATE; False if it was already used or
        revoked (of two staff at once, one wins)."""
        now = timezone.now()
        with transaction.atomic():
            state = self.state
            won = Invite.objects.filter(
                pk=self.pk, used_at__isnull=True, revoked_at__isnull=True
            ).update(revoked_at=now, revoked_by=by)
            if won:
                AuditEntry.record(
                    AuditKind.INVITE_REVOKED,
                    f"Invite for a new {self.role_words} revoked ({state} until now)",
                    actor=by,
                    before={**self.audit_values(), "state": state},
                    after={**self.audit_values(), "state": "revoked"},
                )
        if won:
            self.revoked_at, self.revoked_by = now, by
        else:
            self.refresh_from_db()
        return bool(won)


# Staff's changes to a member ------------------------------------------------------------------


def lock_active_staff() -> list[int]:
    """The ids of the active staff, locked until the transaction ends (in id order, so two
    changes at once queue instead of deadlocking). On PostgreSQL a second change waits here and
    then sees the first one's result; SQLite's IMMEDIATE transactions queue writers anyway."""
    staff = User.objects.select_for_update().filter(is_staff=True, is_active=True)
    return list(staff.order_by("pk").values_list("pk", flat=True))


def last_staff_refusal(member: User, doing: str) -> str:
    return (
        f"{member.get_username()} is the last active staff member: {doing} would leave no one "
        "to run the team. Make someone else staff first."
    )


def set_role(member: User, *, staff: bool, by: User | None) -> bool:
    """Make `member` staff (staff and superuser, as the studio's first account) or a member;
    TeamRefusal for the last active staff member. False if they already had that role."""
    with transaction.atomic():
        if not staff and lock_active_staff() == [member.pk]:
            raise TeamRefusal(last_staff_refusal(member, "making them a member"))
        changed = User.objects.filter(pk=member.pk, is_staff=not staff).update(
            is_staff=staff, is_superuser=staff
        )
        if changed:
            record_role_change(member, staff=staff, by=by)
    member.refresh_from_db(fields=["is_staff", "is_superuser"])
    return bool(changed)


def record_role_change(member: User, *, staff: bool, by: User | None) -> None:
    before, after = ("member", "staff") if staff else ("staff", "member")
    AuditEntry.record(
        AuditKind.ROLE_CHANGED,
        f"{member.get_username()} made {'staff' if staff else 'a member'}",
        actor=by,
        member=member,
        before={"role": before},
        after={"role": after},
    )


def set_active(member: User, *, active: bool, by: User) -> bool:
    """Deactivate `member` (Django then refuses their login, and every session of theirs ends;
    their clips stay) or reactivate them. TeamRefusal for oneself and for the last active staff
    member. False if they were already so."""
    with transaction.atomic():
        if not active and member.pk == by.pk:
            raise TeamRefusal("You can't deactivate yourself: ask another staff member to.")
        if not active and lock_active_staff() == [member.pk]:
            raise TeamRefusal(last_staff_refusal(member, "deactivating them"))
        changed = User.objects.filter(pk=member.pk, is_active=not active).update(is_active=active)
        if changed:
            record_active_change(member, active=active, by=by)
    member.refresh_from_db(fields=["is_active"])
    return bool(changed)


def record_active_change(member: User, *, active: bool, by: User | None) -> None:
    """The audit entry of a (de)activation; a deactivation also ends the member's sessions."""
    ended = 0 if active else end_sessions(member)
    after: dict[str, Any] = {"is_active": active}
    if not active:
        after["sessions_ended"] = ended
        # Their takes still waiting to be sent never go: deactivating stops the spending.
        after["clips_not_sent"] = member.generations.cancel_unsent(
            "Not sent: its member was deactivated."
        )
    AuditEntry.record(
        AuditKind.REACTIVATED if active else AuditKind.DEACTIVATED,
        f"{member.get_username()} {'reactivated' if active else 'deactivated'}",
        actor=by,
        member=member,
        before={"is_active": not active},
        after=after,
    )


def end_sessions(member: User) -> int:
    """Log `member` out everywhere by deleting their sessions (rather than rotating a key: a
    reactivated member then logs in afresh instead of finding old sessions alive again). With
    a session engine that keeps no rows there is nothing to delete, and Django's own refusal of
    inactive users still logs them out at their next request."""
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return 0
    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(member.pk)
    ]
    if settings.SESSION_ENGINE.endswith("cached_db"):
        from importlib import import_module

        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in theirs:
            store(session_key=key).delete()
    Session.objects.filter(pk__in=theirs).delete()
    return len(theirs)


def set_quota(member: User, monthly_credits: int | None, *, by: User | None) -> bool:
    """Give `member` their own monthly quota, or (None) the team default; audited. False if
    it was that already."""
    with transaction.atomic():
        own = MemberQuota.objects.select_for_update().filter(member=member)
        before = own.values_list("monthly_credits", flat=True).first()
        if before == monthly_credits:
            return False
        MemberQuota.set_for(member, monthly_credits)
        AuditEntry.record(
            AuditKind.QUOTA_CHANGED,
            f"{member.get_username()}'s quota: {credits_words(before)} → "
            f"{credits_words(monthly_credits)}",
            actor=by,
            member=member,
            before={"monthly_credits": before},
            after={"monthly_credits": monthly_credits},
        )
    return True


def reset_link_path(member: User, *, by: User) -> str:
    """A one-time password-reset address for `member` (Django's own token: it stops working once
    the password changes or they log in, and after PASSWORD_RESET_TIMEOUT). Shown once, never
    stored; the audit log says it was made, not what it was."""
    if not member.is_active:
        raise TeamRefusal(
            f"{member.get_username()} is deactivated: reactivate them first, then make the link."
        )
    token = default_token_generator.make_token(member)
    expires = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    with transaction.atomic():
        AuditEntry.record(
            AuditKind.RESET_LINK,
            f"Password-reset link made for {member.get_username()}",
            actor=by,
            member=member,
            after={"expires_at": expires.isoformat(timespec="seconds")},
        )
    return reverse(
        "password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(member.pk)), token]
    )


# The team page's figures ----------------------------------------------------------------------


@dataclass
class TeamRow:
    """One member as the team page shows them, with what staff just typed or were told."""

    member: User
    spent: int
    running: int
    own_quota: int | None  # None: the team default
    quota: int | None  # what applies (None: no limit)
    last_seen_at: datetime | None
    error: str = ""
    words: str = ""
    typed_quota: str | None = None
    reset_link: str = ""

    @property
    def role(self) -> str:
        return role_of(self.member)

    @property
    def quota_value(self) -> str:
        """What the quota field holds: what was typed, else the member's own quota."""
        if self.typed_quota is not None:
            return self.typed_quota
        return "" if self.own_quota is None else str(self.own_quota)

    @property
    def last_seen_words(self) -> str:
        if self.last_seen_at is None:
            return "never"
        seconds = (timezone.now() - self.last_seen_at).total_seconds()
        if seconds < 60:
            return "just now"
        from django.utils.timesince import timesince

        return f"{timesince(self.last_seen_at, depth=1)} ago".replace("\xa0", " ")


def team_rows(member: User | None = None, moment: datetime | None = None) -> list[TeamRow]:
    """Every member (or one) with this month's spending, quota, clips in flight and last seen,
    in three queries for the whole team: the members, the budget, the figures."""
    default = Budget.current().member_monthly_credits
    members = User.objects.select_related("quota", "profile").order_by("-is_active", "username")
    if member is not None:
        members = members.filter(pk=member.pk)
    figures = Generation.objects.all()
    if member is not None:
        figures = figures.filter(owner=member)
    by_member = figures.spending_by_member(moment)
    rows = []
    for one in members:
        own = getattr(_related(one, "quota"), "monthly_credits", None)
        spent, running = by_member.get(one.pk, (0, 0))
        rows.append(
            TeamRow(
                member=one,
                spent=spent,
                running=running,
                own_quota=own,
                quota=default if own is None else own,
                last_seen_at=getattr(_related(one, "profile"), "last_seen_at", None),
            )
        )
    return rows


def _related(member: User, name: str) -> Any:
    """A reverse one-to-one fetched by select_related, or None when the member has none."""
    try:
        return getattr(member, name)
    except (MemberQuota.DoesNotExist, MemberProfile.DoesNotExist):
        return None
