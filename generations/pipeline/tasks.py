"""django-q2 entry points. Each is small: the work lives in submit, track and storage."""

import logging

from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task

from ..models import Generation, Lease, Status
from . import track
from .submit import submit

log = logging.getLogger(__name__)

TRACK_TASK = "generations.pipeline.tasks.track_generations"
SUBMIT_TASK = "generations.pipeline.tasks.submit_generation"
# Just under a minute, so the once-a-minute schedule finds the loop gone and starts the next.
TRACKER_RUN_SECONDS = 55.0


def enqueue_submission(generation: Generation) -> None:
    """Queue the submit once the transaction that saved the generation has committed."""
    generation_id = str(generation.pk)
    transaction.on_commit(lambda: async_task(SUBMIT_TASK, generation_id, group="submit"))


def submit_generation(generation_id: str) -> str:
    claimed = Generation.objects.filter(pk=generation_id, status=Status.WAITING).claim(
        limit=1, lease_seconds=track.CLAIM_SECONDS
    )
    if claimed:
        submit(claimed[0])
    ensure_tracker()
    return "submitted" if claimed else "already taken"


def track_generations() -> str:
    """Run the tracker loop, then hand over to a fresh task so tracking never pauses."""
    ran = track.run_tracker(seconds=TRACKER_RUN_SECONDS)
    if not ran:
        return "another tracker is running"
    # Checked after the loop released its lease, so a submission racing this exit either is
    # seen here or sees the lease free and starts a tracker itself.
    if Generation.objects.active().exists():
        async_task(TRACK_TASK, group="tracker")
    return "tracked"


def ensure_tracker() -> None:
    if not Lease.is_held(track.LEASE_NAME):
        async_task(TRACK_TASK, group="tracker")


def install_schedule() -> None:
    """A once-a-minute safety net that restarts the tracker after a crash or a cluster restart."""
    Schedule.objects.update_or_create(
        name="Generation tracker",
        defaults={
            "func": TRACK_TASK,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
