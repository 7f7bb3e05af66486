"""The tracker: one loop that advances every due generation, so no worker waits on a single job."""

import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from ..apiframe import errors as api
from ..apiframe import get_client
from ..models import Generation, Lease, Status
from . import cadence
from .expectations import expected_job_seconds
from .storage import store_clip
from .submit import submit, webhook_url

log = logging.getLogger(__name__)

LEASE_NAME = "tracker"
LEASE_SECONDS = 20.0
# Long enough for one submit, check or download; a crashed worker's claims expire after it.
# Outliving a claim is harmless: submits are idempotent and storing is a conditional UPDATE.
CLAIM_SECONDS = 30.0
BATCH_SIZE = 64
IDLE_SLEEP = 0.25
HOUSEKEEPING_EVERY = 5.0
MAX_JOB_NOT_FOUND = 3


def run_tracker(*, seconds: float, threads: int = 8) -> bool:
    """Advance due generations for up to `seconds` (less when idle); False if another runs."""
    holder = uuid.uuid4().hex
    if not Lease.acquire(LEASE_NAME, holder, seconds=LEASE_SECONDS):
        return False
    stop_at = time.monotonic() + seconds
    housekeeping_at = time.monotonic() + HOUSEKEEPING_EVERY
    running: set[Future] = set()
    try:
        with ThreadPoolExecutor(threads, thread_name_prefix="tracker") as pool:
            fail_overdue()
            while time.monotonic() < stop_at:
                if time.monotonic() >= housekeeping_at:
                    housekeeping_at = time.monotonic() + HOUSEKEEPING_EVERY
                    if not Lease.acquire(LEASE_NAME, holder, seconds=LEASE_SECONDS):
                        log.warning("Tracker lease lost; stopping this loop")
                        break
                    fail_overdue()
                # Claim only what a free thread starts at once: in a burst the rest wait unclaimed,
                # so no claim runs out while queued here (which would store a clip twice).
                free = min(BATCH_SIZE, threads - len(running))
                claimed = (
                    Generation.objects.due().claim(limit=free, lease_seconds=CLAIM_SECONDS)
                    if free
                    else []
                )
                running |= {pool.submit(advance_in_thread, generation) for generation in claimed}
                if not running and not Generation.objects.active().exists():
                    break  # Idle: the next submission starts a tracker again.
                if not free or len(claimed) < free:
                    pause(running)
                running = {future for future in running if not future.done()}
    finally:
        Lease.release(LEASE_NAME, holder)
    return True


def pause(running: set[Future]) -> None:
    """Until the next look for due generations, or sooner if a thread becomes free."""
    if running:
        wait(running, timeout=IDLE_SLEEP, return_when=FIRST_COMPLETED)
    else:
        time.sleep(IDLE_SLEEP)


def advance_in_thread(generation: Generation) -> None:
    try:
        advance(generation)
    except Exception:
        # Never lose a generation to a bug: it is checked again once its claim expires.
        log.exception("Advancing generation %s failed", generation.pk)
    finally:
        connection.close()


def advance(generation: Generation) -> None:
    """One step for a generation this worker has claimed."""
    close_old_connections()
    if generation.status == Status.WAITING:
        submit(generation)
    elif generation.is_storing:
        store_clip(generation)
    else:
        check(generation)


def check(generation: Generation) -> None:
    """Ask Apiframe how the job is doing, record it, and say when to ask again."""
    previous_progress, previous_at = generation.progress, generation.updated_at
    try:
        job = get_client().get_job(generation.job_id)
    except api.JobNotFound as error:
        attempts = generation.attempts + 1
        if attempts >= MAX_JOB_NOT_FOUND:
            generation.fail(error.user_message)
        else:
            generation.schedule(
                timezone.now() + timedelta(seconds=cadence.retry_delay(attempts)),
                error=error.user_message,
                attempts=attempts,
            )
        return
    except api.ApiframeError as error:
        if not error.retryable:
            generation.fail(error.user_message)
            return
        delay = cadence.retry_delay(generation.attempts, getattr(error, "retry_after", None))
        generation.schedule(
            timezone.now() + timedelta(seconds=delay),
            error=error.user_message,
            attempts=generation.attempts + 1,
        )
        return

    if not generation.apply_job(job):
        # Nothing new from us; a webhook may have moved the row meanwhile, so read it again.
        generation.refresh_from_db()
    if generation.is_storing:
        store_clip(generation)
    elif generation.is_active:
        schedule_next_check(generation, previous_progress, previous_at)


def schedule_next_check(generation: Generation, previous_progress: int, previous_at) -> None:
    now = timezone.now()
    elapsed = (now - (generation.submitted_at or generation.created_at)).total_seconds()
    moved = generation.progress > previous_progress and previous_progress > 0
    remaining = cadence.estimated_remaining(
        elapsed=elapsed,
        progress=generation.progress,
        expected_seconds=expected_job_seconds(),
        previous_progress=previous_progress if moved else None,
        seconds_since_previous=(now - previous_at).total_seconds() if moved else None,
    )
    overdue = remaining <= cadence.OVERDUE_FIRST_DELAY
    attempts = generation.attempts + 1 if overdue else 0
    delay = cadence.next_check_delay(
        remaining=remaining,
        overdue_checks=attempts,
        webhooks=webhook_url() is not None,
        rate_known=moved,
    )
    generation.schedule(now + timedelta(seconds=delay), attempts=attempts)


def fail_overdue() -> int:
    """Generations past the deadline fail with a reason a person understands."""
    minutes = settings.GENERATION_DEADLINE_SECONDS // 60
    minutes = f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    failed = 0
    for generation in Generation.objects.overdue()[:BATCH_SIZE]:
        if generation.status == Status.WAITING:
            detail = generation.last_error or "Apiframe did not accept it"
            reason = f"It could not be submitted within {minutes}: {detail}"
        else:
            reason = f"Apiframe did not finish this clip within {minutes}."
        failed += generation.fail(reason)
    return failed
