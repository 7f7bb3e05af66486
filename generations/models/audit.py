"""The audit log: every event that moves money or access, with who, when, what, and the values
before and after. Entries are written once and never changed: nothing in the studio edits or
deletes one (save refuses an update, delete refuses always, and so do their QuerySets)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditKind(models.TextChoices):
    BUDGET_CHANGED = "budget", "Team budget or prices changed"
    QUOTA_CHANGED = "quota", "Quota changed"
    APPROVAL_ASKED = "asked", "Approval asked for"
    APPROVED = "approved", "Clip approved"
    DECLINED = "declined", "Clip declined"
    OVER_BUDGET = "over", "Submitted past a budget"
    RUNNING_DELETED = "deleted", "Running clip deleted"
    INVITE_MADE = "invite", "Invite made"
    INVITE_USED = "joined", "Invite used"
    INVITE_REVOKED = "uninvite", "Invite revoked"
    ROLE_CHANGED = "role", "Role changed"
    DEACTIVATED = "deactivate", "Member deactivated"
    REACTIVATED = "reactivate", "Member reactivated"
    RESET_LINK = "reset", "Password-reset link made"
    SHARE_MADE = "share", "Share link made"
    SHARE_REVOKED = "unshare", "Share link revoked"


class Immutable(Exception):
    """An audit entry cannot be changed or deleted."""


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise Immutable("Audit entries are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise Immutable("Audit entries are never deleted.")


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it (empty: the studio itself).",
    )
    kind = models.CharField(max_length=10, choices=AuditKind.choices, db_index=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The member it concerns, if any.",
    )
    # Names as they were, so an entry still reads right after a member is renamed or removed.
    actor_name = models.CharField(max_length=150, blank=True)
    member_name = models.CharField(max_length=150, blank=True)
    summary = models.TextField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise Immutable("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise Immutable("Audit entries are never deleted.")

    @classmethod
    def record(
        cls,
        kind: AuditKind,
        summary: str,
        *,
        actor=None,
        member=None,
        before: Any = None,
        after: Any = None,
    ) -> AuditEntry:
        """Write one entry (inside the caller's transaction, so it lands with the change)."""
        return cls.objects.create(
            kind=kind,
            summary=summary,
            actor=actor,
            actor_name=actor.get_username() if actor else "",
            member=member,
            member_name=member.get_username() if member else "",
            before=before,
            after=after,
        )
