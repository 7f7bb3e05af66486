"""The team running itself: each member's profile (last seen, notification choice) and the
invites staff hand out. The schema is here; the behaviours live on these models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invite {self.pk}"
