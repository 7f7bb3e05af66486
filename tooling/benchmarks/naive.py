"""The naive way, for comparison only (never used by the studio): what the product page's snippet
does, as one django-q2 task per generation. It submits, then holds its worker while it checks the
job every 2 s until it is done, then downloads and stores the clip and makes its poster as the
studio does."""

from __future__ import annotations

import time

from generations.apiframe import JobStatus, get_client
from generations.models import Generation, Status
from generations.pipeline.posters import make_poster
from generations.pipeline.storage import store_clip
from generations.pipeline.submit import build_request

TASK = "tooling.benchmarks.naive.make_clip_naively"
CHECK_EVERY_SECONDS = 2.0
GIVE_UP_SECONDS = 300.0
FINAL = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
# What a task answers when the benchmark had stopped starting new jobs (its record is left out).
SKIPPED = "not waiting (the benchmark stopped starting new ones)"


def make_clip_naively(generation_id: str) -> str:
    generation = Generation.objects.select_related("prompt").get(pk=generation_id)
    if generation.status != Status.WAITING:
        return SKIPPED
    client = get_client()
    submitted = client.submit(build_request(generation), idempotency_key=str(generation.pk))
    # Nothing else may pick it up: no next check, and the benchmark runs no tracker.
    if not generation.mark_submitted(submitted.job_id, first_check_at=None):
        return "cancelled while submitting"
    give_up_at = time.monotonic() + GIVE_UP_SECONDS
    while True:
        job = client.get_job(submitted.job_id)
        if job.status in FINAL or time.monotonic() > give_up_at:
            break
        time.sleep(CHECK_EVERY_SECONDS)
    generation.apply_job(job)
    if generation.is_storing:
        store_clip(generation)
    if generation.awaits_poster:
        make_poster(generation)
    return generation.status
