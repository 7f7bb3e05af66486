"""django-q2 entry points. Each is small: the work lives in submit, track, storage and ledger.

Keeping the tracker alive is one rule: one lease says a tracker is running or on its way.

- `ensure_tracker()` takes the lease if it is free, as "queued", and queues a tracker task.
  Whatever makes work due calls it: a submit, a webhook, a ledger check. So a burst of
  submissions queues one tracker.
- `track_generations` (that task, and the once-a-minute schedule, the safety net after a crash)
  runs the loop (track.py): it takes the lease if it is free or only queued, renews it every
  heartbeat for up to TRACKER_RUN_SECONDS, then lets it go and, if work remains, ensures the
  next one. A task that finds the lease taken stands aside at once.
- A cluster told to stop (SIGTERM, Ctrl-C on `make run`) ends its loop early the same way: it
  takes nothing new, finishes the steps in progress, lets the lease go and queues the next
  tracker, which a cluster still running, or the next one started, runs at once.
- A task lost in the queue, or a cluster killed mid-loop, stops renewing: the lease expires
  (QUEUED_SECONDS, LEASE_SECONDS) and the next `ensure_tracker`, at the latest the schedule within
  a minute, starts a tracker, which takes over every claim the dead one let expire.
"""

import logging
import uuid

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from .. import ledger
from ..models import Generation, Lease, Reconciliation, Status
from . import claims, reels, track
from .submit import submit

log = logging.getLogger(__name__)

TRACK_TASK = "generations.pipeline.tasks.track_generations"
SUBMIT_TASK = "generations.pipeline.tasks.submit_generation"
LEDGER_TASK = "generations.pipeline.tasks.check_ledger"
DAILY_LEDGER_TASK = "generations.pipeline.tasks.check_recent_ledger"
RESUME_REELS_TASK = "generations.pipeline.tasks.resume_reels"
# Just under a minute: a task never comes near the cluster's timeout, and hands over often.
TRACKER_RUN_SECONDS = 55.0
# How long a queued tracker task may wait for a worker before another may be queued.
QUEUED_SECONDS = 30.0


def enqueue_submission(generation: Generation) -> None:
    """Queue the submit once the transaction that saved the generation has committed. A take
    waiting for a slot is not queued: the tracker releases it when a slot frees."""
    if generation.awaits_slot:
        transaction.on_commit(ensure_tracker)
        return
    generation_id = str(generation.pk)
    transaction.on_commit(lambda: async_task(SUBMIT_TASK, generation_id, group="submit"))


def enqueue_submissions(generations: list[Generation]) -> None:
    for generation in generations:
        enqueue_submission(generation)


def submit_generation(generation_id: str) -> str:
    waiting = Generation.objects.filter(pk=generation_id, status=Status.WAITING, awaits_slot=False)
    claimed = waiting.claim(limit=1, lease_seconds=claims.CLAIM_SECONDS)
    if claimed:
        with claims.kept_alive(claimed):
            submit(claimed[0])
    ensure_tracker()
    return "submitted" if claimed else "already taken"


def track_generations() -> str:
    """Run the tracker loop, unless another is running."""
    if not track.run_tracker(seconds=TRACKER_RUN_SECONDS):
        return "another tracker is running"
    # Checked after the loop let its lease go, so a submission racing this exit either is seen
    # here or finds the lease free and queues a tracker itself.
    if track.has_work_soon():
        ensure_tracker()
    return "tracked"


def ensure_tracker() -> None:
    """Queue a tracker task, unless one runs or waits in the queue (it holds the lease)."""
    holder = track.QUEUED + uuid.uuid4().hex[:24]  # the holder column is 32 characters
    if Lease.acquire(track.LEASE_NAME, holder, seconds=QUEUED_SECONDS):
        async_task(TRACK_TASK, group="tracker")


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


def make_reel(reel_id: int) -> str:
    """Stitch a reel's shots into its MP4 (pipeline/reels.py): its own task, group "reels"."""
    return reels.make_reel(reel_id)


def resume_reels() -> str:
    """The once-a-minute safety net for reels: one queued, or cut short by a killed cluster."""
    return reels.resume_reels()


def install_schedule() -> None:
    """The once-a-minute safety net that starts a tracker after a crash or a cluster restart (it
    runs one itself when none holds the lease), its twin for reels (pipeline/reels.py), and the
    daily check of the studio's ledger."""
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
        name="Reels to make or resume",
        defaults={
            "func": RESUME_REELS_TASK,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="Ledger check against Apiframe",
        defaults={"func": DAILY_LEDGER_TASK, "schedule_type": Schedule.DAILY, "repeats": -1},
    )
