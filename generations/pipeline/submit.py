"""Submitting a WAITING generation to Apiframe (the first frame uploaded first, when it is local)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..apiframe import GenerationRequest, get_client
from ..apiframe import errors as api
from ..models import FirstFrameRequirement, Generation
from . import cadence, uploads
from .expectations import expected_job_seconds
from .first_frames import fetch_first_frame

log = logging.getLogger(__name__)


def webhook_url() -> str | None:
    """Where Apiframe should report, when the studio is reachable from outside (PUBLIC_URL)."""
    if not settings.PUBLIC_URL:
        return None
    return settings.PUBLIC_URL + reverse("apiframe_webhook")


def build_request(generation: Generation) -> GenerationRequest:
    image_url = generation.first_frame_url or None
    if generation.first_frame:
        image_url = uploads.first_frame_url(generation)
    return GenerationRequest(
        prompt=generation.prompt.text,
        resolution=generation.resolution,
        duration=generation.duration,
        prompt_optimizer=generation.prompt_optimizer,
        image_url=image_url,
        webhook_url=webhook_url(),
    )


def submit(generation: Generation) -> None:
    """One attempt. Success → SUBMITTED; a transient error → retry later; anything else → FAILED.

    A clip deleted meanwhile is submitted all the same: its submit may already have reached
    Apiframe, and replaying it under the same Idempotency-Key returns that job (without a second
    bill), so the tracker can follow it to its end and record what it cost.
    """
    if generation.awaits_first_frame and not fetch_first_frame(generation):
        return
    try:
        job = get_client().submit(build_request(generation), idempotency_key=str(generation.pk))
    except api.ApiframeError as error:
        handle_submit_error(generation, error)
    else:
        webhooks = webhook_url() is not None
        delay = cadence.first_check_delay(expected_job_seconds(), webhooks=webhooks)
        if generation.mark_submitted(
            job.job_id, first_check_at=timezone.now() + timedelta(seconds=delay)
        ):
            log.info("Generation %s submitted as job %s", generation.pk, job.job_id)
    if generation.deleted_at:
        generation.drop_first_frame_once_sent()


def handle_submit_error(generation: Generation, error: api.ApiframeError) -> None:
    if error.retryable:
        delay = cadence.retry_delay(generation.attempts, getattr(error, "retry_after", None))
        log.info("Submit of %s will be retried in %.1fs: %s", generation.pk, delay, error)
        generation.schedule(
            timezone.now() + timedelta(seconds=delay),
            error=error.user_message,
            attempts=generation.attempts + 1,
        )
        return
    log.warning("Submit of %s refused: %s", generation.pk, error)
    if isinstance(error, api.FirstFrameRequired):
        # Refused before any job was made: nothing to bill, and the form asks for an image now.
        if generation.fail(error.user_message, credit_cost=0):
            FirstFrameRequirement.record_refusal()
        return
    generation.fail(refusal_reason(error))


def refusal_reason(error: api.ApiframeError) -> str:
    if isinstance(error, api.ValidationFailed) and error.details:
        problems = "; ".join(
            f"{field}: {', '.join(messages)}" for field, messages in error.details.items()
        )
        return f"Apiframe refused these settings ({problems})."
    return error.user_message
