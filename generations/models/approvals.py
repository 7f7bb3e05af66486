"""Spend approval: a member refused by their quota or the team budget asks staff to let the
clip through. The request keeps the whole form (prompt, image, settings, how many takes)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Waiting for staff"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


def approval_image_path(request: ApprovalRequest, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"approval-frames/{timezone.now():%Y%m%d%H%M%S}-{request.member_id}.{suffix}"


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

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "-created_at"], name="approvals_pending")]

    def __str__(self) -> str:
        return f"{self.member}: {self.prompt_text[:40]} ({self.get_state_display()})"
