"""Reels: an ordered list of shots (each one chosen clip) that a background task stitches into
one MP4. The schema is here; the behaviours live on these models and their QuerySets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

REEL_NAME_MAX_LENGTH = 100


class ReelState(models.TextChoices):
    DRAFT = "draft", "Not made yet"
    QUEUED = "queued", "Waiting to be made"
    MAKING = "making", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Could not be made"


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

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reel_detail", args=[self.pk])


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
