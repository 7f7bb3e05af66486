"""Prompts: the words the team has used, shared so anyone can reuse a teammate's."""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from .search import PromptHasWords, search_words

PROMPT_MAX_LENGTH = 2000


class PromptQuerySet(models.QuerySet["Prompt"]):
    def search(self, query: str) -> PromptQuerySet:
        """Prompts holding every word of `query`, in any order, each word as a prefix (through
        the database's full-text index, search.py); a query without words narrows nothing."""
        words = search_words(query)
        return self.filter(PromptHasWords(F("pk"), words)) if words else self

    def in_use(self) -> PromptQuerySet:
        """Prompts a visible clip uses: a deleted clip's words leave the library with it. An
        EXISTS per prompt (a join would give each prompt once per clip, to be made distinct:
        at 100,000 clips the library's page then sorted them all)."""
        clips = apps.get_model("generations", "Generation").objects  # generations imports us
        return self.filter(Exists(clips.filter(prompt=OuterRef("pk"), deleted_at__isnull=True)))

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
    def record_use(cls, text: str, user, *, times: int = 1) -> Prompt:
        """The prompt for this exact text (made on first use), with its uses (one per clip)
        counted."""
        now = timezone.now()
        prompt, created = cls.objects.get_or_create(
            digest=cls.digest_of(text),
            defaults={"text": text, "created_by": user, "use_count": times, "last_used_at": now},
        )
        if not created:
            cls.objects.filter(pk=prompt.pk).update(
                use_count=F("use_count") + times, last_used_at=now
            )
        return prompt
