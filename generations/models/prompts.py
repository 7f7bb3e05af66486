"""Prompts: the words the team has used, shared so anyone can reuse a teammate's."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

PROMPT_MAX_LENGTH = 2000


class PromptQuerySet(models.QuerySet["Prompt"]):
    def search(self, query: str) -> PromptQuerySet:
        return self.filter(text__icontains=query) if query else self

    def in_use(self) -> PromptQuerySet:
        """Prompts a visible clip uses: a deleted clip's words leave the library with it."""
        return self.filter(generations__deleted_at__isnull=True).distinct()

    def library_order(self) -> PromptQuerySet:
        return self.order_by("-use_count", "-last_used_at", "-pk")


class Prompt(models.Model):
    """A prompt text the team has used; shared, so anyone can reuse a teammate's words."""

    text = models.TextField(max_length=PROMPT_MAX_LENGTH)
    # Unique on a digest: a 2000-character text is too long for a btree index on PostgreSQL.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    use_count = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = PromptQuerySet.as_manager()

    class Meta:
        ordering = ["-use_count", "-last_used_at"]
        indexes = [models.Index(fields=["-use_count", "-last_used_at"], name="prompt_library")]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"

    def get_absolute_url(self) -> str:
        return reverse("prompt_detail", args=[self.pk])

    @staticmethod
    def digest_of(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def record_use(cls, text: str, user) -> Prompt:
        """The prompt for this exact text (made on first use), with its use counted."""
        now = timezone.now()
        prompt, created = cls.objects.get_or_create(
            digest=cls.digest_of(text),
            defaults={"text": text, "created_by": user, "use_count": 1, "last_used_at": now},
        )
        if not created:
            cls.objects.filter(pk=prompt.pk).update(use_count=F("use_count") + 1, last_used_at=now)
        return prompt
