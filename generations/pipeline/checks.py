"""Checking one job: ask Apiframe how it is doing, record the answer, say when to ask again; and
the deadline, which fails in words a clip that took too long."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..apiframe import errors as api
from ..apiframe import get_client
from ..models import Generation, Status
from . import cadence
from .expectations import expected_job_seconds
from .storage import store_clip
from .submit import webhook_url

log = logging.getLogger(__name__)

# A job Apiframe says it does not know, this many times in a row, has failed.
MAX_JOB_NOT_FOUND = 3


def check(generation: Generation) -> None:
    """Ask Apiframe how the job is doing, record it, and say when to ask again."""
    previous_progress, previous_at = generation.progress, generation.updated_at
    try:
        job = get_client().get_job(generation.job_id)
    except api.JobNotFound as error:
        attempts = generation.attempts + 1
        if attempts >= MAX_JOB_NOT_FOUND:
            generation.fail(error.user_message)  # unknown to Apiframe: nothing it can bill
        else:
            generation.schedule(
                timezone.now() + timedelta(seconds=cadence.retry_delay(attempts)),
                error=error.user_message,
                attempts=attempts,
            )
        return
    except api.ApiframeError as error:
        if not error.retryable:
            # The studio cannot ask (a revoked key, say), but the job may still finish.
            generation.fail(error.user_message, may_still_bill=True)
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
    overdue_checks = generation.overdue_checks + 1 if overdue else 0
    delay = cadence.next_check_delay(
        remaining=remaining,
        overdue_checks=overdue_checks,
        webhooks=webhook_url() is not None,
        rate_known=moved,
    )
    # A good answer ends a run of errors; being overdue is not an error.
    generation.schedule(now + timedelta(seconds=delay), attempts=0, overdue_checks=overdue_checks)


def fail_overdue() -> int:
    """Generations past the deadline fail with a reason a person understands."""
    within = duration_words(settings.GENERATION_DEADLINE_SECONDS)
    failed = 0
    for generation in Generation.objects.overdue()[:64]:
        upstream_running = False
        if generation.status == Status.WAITING:
            detail = generation.last_error or "Apiframe did not accept it"
            reason = f"It could not be submitted within {within}: {detail}"
        elif generation.result_url:
            reason = f"The clip was made, but the studio could not save its copy within {within}."
        else:
            reason = f"Apiframe did not finish this clip within {within}."
            upstream_running = True  # and may yet finish it, and bill
        if generation.fail(reason, may_still_bill=upstream_running):
            generation.drop_first_frame_once_sent()
            failed += 1
    return failed


def duration_words(seconds: float) -> str:
    """60 → "1 minute", 900 → "15 minutes", 45 → "45 seconds", 90 → "90 seconds"."""
    seconds = int(seconds)
    if seconds % 60 == 0 and seconds > 0:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    if seconds < 600:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
