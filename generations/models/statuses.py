"""A generation's statuses, and the one rule for money that every figure in the studio follows.

The rule: a generation costs what Apiframe billed for it (`credit_cost`), else its reservation
(`estimated_credits`) for as long as Apiframe may still bill it (`settled_at` is empty), else
nothing. Apiframe has no cancel: a job it accepted may finish, and be billed, after the studio
gave up on it or a member deleted it, so "may still bill" outlives the clip's visible life.
"""

from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce


class Status(models.TextChoices):
    WAITING = "waiting", "Waiting to submit"
    SUBMITTED = "submitted", "Queued"
    PROCESSING = "processing", "Generating"
    COMPLETED = "completed", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (Status.WAITING, Status.SUBMITTED, Status.PROCESSING)
UPSTREAM_STATUSES = (Status.SUBMITTED, Status.PROCESSING)

# A finished clip shows as soon as it is stored; its poster is made afterwards, by the tracker.
AWAITING_POSTER = Q(status=Status.COMPLETED, poster="", next_check_at__isnull=False)
# Ended for the member (failed by the studio, or deleted) while Apiframe may still bill its job:
# the tracker keeps asking, slowly, until it knows what was billed.
BILLING_OPEN = Q(status__in=(Status.FAILED, Status.CANCELLED), settled_at__isnull=True) & ~Q(
    job_id=""
)
# What holds one of the member's in-flight slots: anything Apiframe may still be working on.
IN_FLIGHT = Q(status__in=ACTIVE_STATUSES) | Q(settled_at__isnull=True)
# A delete its author can take back for a few seconds: a finished clip nothing more can bill.
UNDOABLE = Q(status__in=(Status.COMPLETED, Status.FAILED)) & ~IN_FLIGHT
# Deleted and undoable: the tracker drops its files when the undo has run out (next_check_at).
FILES_TO_DROP = UNDOABLE & Q(deleted_at__isnull=False, next_check_at__isnull=False)


def committed_credits() -> Coalesce:
    """Per generation: what Apiframe billed, else the reservation while it may still bill."""
    reserved = Case(
        When(settled_at__isnull=True, then="estimated_credits"),
        default=Value(0),
        output_field=IntegerField(),
    )
    return Coalesce("credit_cost", reserved, output_field=IntegerField())
