"""Leases: named locks that expire unless renewed."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Lease(models.Model):
    """A named lock that expires unless renewed: at most one tracker loop runs at a time."""

    name = models.CharField(primary_key=True, max_length=40)
    holder = models.CharField(max_length=32, blank=True)
    until = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def acquire(cls, name: str, holder: str, *, seconds: float, over_prefix: str = "") -> bool:
        """Take or renew the lease; True if `holder` has it now (one conditional UPDATE). With
        `over_prefix`, a live lease whose holder starts with it may be taken over too."""
        now = timezone.now()
        cls.objects.get_or_create(name=name, defaults={"until": now - timedelta(seconds=1)})
        free_or_mine = Q(until__lt=now) | Q(holder=holder)
        if over_prefix:
            free_or_mine |= Q(holder__startswith=over_prefix)
        return (
            cls.objects.filter(free_or_mine, name=name).update(
                holder=holder, until=now + timedelta(seconds=seconds)
            )
            == 1
        )

    @classmethod
    def release(cls, name: str, holder: str) -> None:
        expired = timezone.now() - timedelta(seconds=1)
        cls.objects.filter(name=name, holder=holder).update(holder="", until=expired)

    @classmethod
    def is_held(cls, name: str) -> bool:
        return cls.objects.filter(name=name, until__gte=timezone.now()).exists()
