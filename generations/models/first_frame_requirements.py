"""Whether Apiframe is refusing clips without a first frame, as the studio last learned it.

MiniMax documents Hailuo 2.3 Fast as image-to-video while Apiframe's schema leaves the image
optional, so only a refusal tells. The team-wide mark stands from a refusal until a text-only clip
succeeds; while it stands the form asks for an image. Once it is a day old the form lets one
text-only clip through again, so the studio finds out when Apiframe changes its mind.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

# How long a refusal (or the text-only clip let through to look again) holds the mark.
RETRY_TEXT_ONLY_AFTER = timedelta(hours=24)
SINGLETON = 1


class FirstFrameRequirement(models.Model):
    """One row: since when Apiframe refuses clips without a first frame (empty: it takes them)."""

    refused_at = models.DateTimeField(
        null=True, blank=True, help_text="Apiframe's latest refusal of a clip without an image."
    )
    retried_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A clip without an image let through since, to see if Apiframe takes them now.",
    )

    class Meta:
        verbose_name = "first-frame requirement"

    def __str__(self) -> str:
        return f"Refused since {self.refused_at:%Y-%m-%d %H:%M}" if self.refused_at else "Optional"

    @classmethod
    def current(cls) -> FirstFrameRequirement:
        """The row as it is (an unsaved empty one before any refusal)."""
        return cls.objects.filter(pk=SINGLETON).first() or cls(pk=SINGLETON)

    def stands(self, now: datetime | None = None) -> bool:
        """Whether the form should ask for a first frame now."""
        if self.refused_at is None:
            return False
        last_seen = max(self.refused_at, self.retried_at or self.refused_at)
        return (now or timezone.now()) - last_seen < RETRY_TEXT_ONLY_AFTER

    @classmethod
    def record_refusal(cls) -> None:
        """Apiframe refused a clip for want of an image: ask for one for the next day."""
        cls.objects.update_or_create(
            pk=SINGLETON, defaults={"refused_at": timezone.now(), "retried_at": None}
        )

    @classmethod
    def record_text_only_success(cls) -> None:
        """Apiframe made a clip without an image: the first frame is optional again."""
        cls.objects.filter(pk=SINGLETON, refused_at__isnull=False).update(
            refused_at=None, retried_at=None
        )

    @classmethod
    def admit_text_only(cls) -> bool:
        """Whether a clip without an image may go to Apiframe now: always without a mark; with a
        mark older than a day, once (one conditional UPDATE, so two members cannot both win)."""
        requirement = cls.current()
        if requirement.refused_at is None:
            return True
        if requirement.stands():
            return False
        stale = timezone.now() - RETRY_TEXT_ONLY_AFTER
        return (
            cls.objects.filter(
                Q(retried_at__isnull=True) | Q(retried_at__lte=stale),
                pk=SINGLETON,
                refused_at__lte=stale,
            ).update(retried_at=timezone.now())
            == 1
        )
