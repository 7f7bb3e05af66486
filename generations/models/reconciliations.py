"""Checks of the studio's ledger against Apiframe's own list of jobs (GET /v2/jobs)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Reconciliation(models.Model):
    """One walk over Apiframe's jobs for a period, compared with the studio's rows by job id."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Could not finish"

    since = models.DateTimeField()
    until = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    jobs_seen = models.PositiveIntegerField(default=0)
    apiframe_billed = models.PositiveIntegerField(default=0)
    studio_recorded = models.PositiveIntegerField(
        default=0, help_text="What the studio had recorded for the same jobs, before corrections."
    )
    # [{"kind": "unknown" | "cost" | "ended" | "missing", "job_id": ..., "words": ...}]
    differences = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "ledger check against Apiframe"
        verbose_name_plural = "ledger checks against Apiframe"
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Ledger check from {self.since:%Y-%m-%d} ({self.get_state_display()})"

    @property
    def matches(self) -> bool:
        return self.state == self.State.DONE and not self.differences

    def finish(self, *, jobs_seen: int, apiframe_billed: int, studio_recorded: int, differences):
        self.jobs_seen, self.differences = jobs_seen, differences
        self.apiframe_billed, self.studio_recorded = apiframe_billed, studio_recorded
        self.state, self.finished_at = self.State.DONE, timezone.now()
        self.save()

    def give_up(self, error: str) -> None:
        self.state, self.error, self.finished_at = self.State.FAILED, error, timezone.now()
        self.save()
