"""How a team keeps its work: stars (per member), boards (the team's), and share links that show
a clip or a board to anyone holding the link. The schema is here; the behaviours live on these
models and their QuerySets, beside the pages that use them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

BOARD_NAME_MAX_LENGTH = 100


def new_share_token() -> str:
    """256 random bits, URL-safe (43 characters): unguessable, and throttled besides."""
    return secrets.token_urlsafe(32)


class Star(models.Model):
    """A member's star on a clip: stars are per member, and filter the gallery to "Starred"."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stars"
    )
    generation = models.ForeignKey("Generation", on_delete=models.CASCADE, related_name="stars")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "generation"], name="one_star_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} starred {self.generation_id}"


class Board(models.Model):
    """A team board: any member makes one and adds clips; renaming or deleting it never deletes
    a clip."""

    class Order(models.TextChoices):
        NEWEST = "newest", "Newest first"
        MANUAL = "manual", "In the team's order"

    name = models.CharField(max_length=BOARD_NAME_MAX_LENGTH)
    description = models.TextField(blank=True)
    order = models.CharField(max_length=10, choices=Order.choices, default=Order.NEWEST)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="boards"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), name="board_names_unique")]

    def __str__(self) -> str:
        return self.name


class BoardItem(models.Model):
    """A clip on a board: who added it and when, and its place in the team's order."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="items")
    generation = models.ForeignKey(
        "Generation", on_delete=models.CASCADE, related_name="board_items"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "-added_at"]
        constraints = [
            models.UniqueConstraint(fields=["board", "generation"], name="a_clip_once_per_board")
        ]
        indexes = [models.Index(fields=["board", "position"], name="board_order")]

    def __str__(self) -> str:
        return f"{self.generation_id} on {self.board}"


class ShareLink(models.Model):
    """A view-only link under /s/<token>/ to one clip or one board, for anyone holding it."""

    class Expiry(models.IntegerChoices):
        WEEK = 7, "7 days"
        MONTH = 30, "30 days"
        NEVER = 0, "Never"

    token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    generation = models.ForeignKey(
        "Generation", null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    board = models.ForeignKey(
        Board, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    allow_download = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="share_links"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(generation__isnull=False, board__isnull=True)
                | Q(generation__isnull=True, board__isnull=False),
                name="share_one_clip_or_one_board",
            )
        ]

    def __str__(self) -> str:
        return f"Share link to {self.board or self.generation_id}"
