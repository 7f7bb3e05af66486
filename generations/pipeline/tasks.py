"""django-q2 entry points. Each is small: the work lives in submit, track and storage."""

import logging
import uuid

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from .. import ledger
from ..models import Generation, Lease, Reconciliation, Status
from . import claims, track
from .submit import submit

log = logging.getLogger(__name__)

TRACK_TASK = "generations.pipeline.tasks.track_generations"
SUBMIT_TASK = "generations.pipeline.tasks.submit_generation"
LEDGER_TASK = "generations.pipeline.tasks.check_ledger"
DAILY_LEDGER_TASK = "generations.pipeline.tasks.check_recent_ledger"
# Just under a minute, so the once-a-minute schedule finds the loop gone and starts the next.
TRACKER_RUN_SECONDS = 55.0
# Held while a tracker task waits in the queue, so a burst of submissions queues one, not one
# each; released when the task starts, and expiring by itself should the task be lost.
QUEUED_LEASE_NAME = "tracker-queued"


def enqueue_submission(generation: Generation) -> None:
    """Queue the submit once the transaction that saved the generation has committed."""
    generation_id = str(generation.pk)
    transaction.on_commit(lambda: async_task(SUBMIT_TASK, generation_id, group="submit"))


def submit_generation(generation_id: str) -> str:
    claimed = Generation.objects.filter(pk=generation_id, status=Status.WAITING).claim(
        limit=1, lease_seconds=claims.CLAIM_SECONDS
    )
    if claimed:
        with claims.kept_alive(claimed):
            submit(claimed[0])
    ensure_tracker()
    return "submitted" if claimed else "already taken"


def track_generations(queued_as: str = "") -> str:
    """Run the tracker loop, then hand over to a fresh task so tracking never pauses."""
    if queued_as:
        Lease.release(QUEUED_LEASE_NAME, queued_as)
    # Waiting out a crashed tracker's lease (instead of giving up) is what lets a restarted
    # cluster resume within a lease period rather than at the next scheduled run.
    ran = track.run_tracker(seconds=TRACKER_RUN_SECONDS, take_over=True)
    if not ran:
        return "another tracker is running"
    # Checked after the loop released its lease, so a submission racing this exit either is
    # seen here or sees the lease free and starts a tracker itself.
    if track.has_work_soon():
        queue_tracker()
    return "tracked"


def ensure_tracker() -> None:
    """Queue a tracker unless a live one holds the lease (a crashed one's lease goes stale)."""
    until = track.lease_until()
    if until is not None and until > timezone.now() and track.lease_is_fresh(until):
        return
    queue_tracker()


def queue_tracker() -> None:
    token = uuid.uuid4().hex
    if Lease.acquire(QUEUED_LEASE_NAME, token, seconds=track.LEASE_SECONDS + 5):
        async_task(TRACK_TASK, token, group="tracker")


def resume_tracking(**kwargs) -> None:
    """django_q's post_spawn receiver: a starting cluster queues a tracker at once.

    After a crash the tracker lease is still held by the dead loop; the queued tracker waits it
    out (track.wait_out_dead_lease), so work resumes within LEASE_SECONDS of the crash instead of
    at the next once-a-minute schedule. Never raises: a worker must start whatever happens here.
    """
    try:
        queue_tracker()
    except Exception:
        log.exception("Could not queue a tracker at cluster start; the schedule will")


def enqueue_ledger_check(reconciliation: Reconciliation) -> None:
    reconciliation_id = reconciliation.pk
    transaction.on_commit(lambda: async_task(LEDGER_TASK, reconciliation_id, group="ledger"))


def check_ledger(reconciliation_id: int) -> str:
    """Compare the studio's rows with Apiframe's list of jobs (ledger.py says how)."""
    reconciliation = ledger.run_check(Reconciliation.objects.get(pk=reconciliation_id))
    ensure_tracker()  # a job the check found finished is due now: its clip is saved
    return reconciliation.get_state_display()


def check_recent_ledger() -> str:
    """The daily check: the last two days, so a day one check missed the next one covers."""
    return check_ledger(ledger.start_check(timezone.now() - ledger.DAILY_LOOKBACK).pk)


def install_schedule() -> None:
    """A once-a-minute safety net that restarts the tracker after a crash or a cluster restart,
    and the daily check of the studio's ledger against Apiframe's."""
    Schedule.objects.update_or_create(
        name="Generation tracker",
        defaults={
            "func": TRACK_TASK,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="Ledger check against Apiframe",
        defaults={"func": DAILY_LEDGER_TASK, "schedule_type": Schedule.DAILY, "repeats": -1},
    )
