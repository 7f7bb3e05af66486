"""Following a job to its bill after the member is done with it.

Apiframe has no cancel: a job it accepted runs to its end and, if it completes, is billed. So when
a clip leaves the pipeline early (deleted while running, past the deadline, a failure the studio
decided on its own), the tracker keeps asking about its job, less and less often, until Apiframe
says it ended, and records what it billed. Until then the clip's reservation counts against the
member's quota and the team's budget, and it holds one of the member's in-flight slots.
"""

import logging
from datetime import timedelta

from django.utils import timezone

from ..apiframe import errors as api
from ..apiframe import get_client
from ..models import Generation

log = logging.getLogger(__name__)

# Asked about again after 1, 2, 4 … minutes, then every 10 minutes.
FIRST_DELAY_SECONDS = 60.0
MAX_DELAY_SECONDS = 600.0
# Apiframe keeps jobs (and idempotency keys) for 24 hours; a job still unknown after that is
# counted at its estimate, and the ledger check against Apiframe's own list settles it.
FOLLOW_FOR = timedelta(hours=24)
MAX_JOB_NOT_FOUND = 3


def follow_delay(attempts: int) -> float:
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2**attempts)


def follow_up(generation: Generation) -> None:
    """One look at a job the member is done with; records its cost once it ended."""
    started = generation.submitted_at or generation.created_at
    if timezone.now() - started > FOLLOW_FOR:
        generation.settle(
            "Apiframe never said how this job ended; its estimate is counted as billed.",
            credit_cost=generation.estimated_credits,
        )
        return
    attempts = generation.attempts + 1
    try:
        job = get_client().get_job(generation.job_id)
    except api.JobNotFound as error:
        if attempts >= MAX_JOB_NOT_FOUND:
            generation.settle(f"Apiframe does not know this job: {error.user_message}")
            return
        again_in(generation, attempts, error.user_message)
        return
    except api.ApiframeError as error:
        again_in(generation, attempts, error.user_message)
        return
    if generation.apply_late_job(job):
        log.info("Job %s of %s ended upstream: %s", job.id, generation.pk, job.status)
    else:
        again_in(generation, attempts)


def again_in(generation: Generation, attempts: int, error: str = "") -> None:
    generation.schedule(
        timezone.now() + timedelta(seconds=follow_delay(attempts)), error=error, attempts=attempts
    )
