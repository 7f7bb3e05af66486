"""The studio's ledger checked against Apiframe's own (GET /v2/jobs).

Apiframe's list of jobs is what it created and billed, whatever the studio believes. A check walks
it for a period and compares it with the studio's rows by job id: jobs Apiframe billed that the
studio does not know, costs that differ, jobs the studio thinks are running that Apiframe finished,
and the studio's jobs Apiframe does not list. What Apiframe says is the truth: a finished job is
brought up to date (its cost, its status, its clip saved if the file is still there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from .apiframe import Job, JobStatus, errors, get_client
from .apiframe.payloads import MODEL
from .models import ACTIVE_STATUSES, Generation, Reconciliation

log = logging.getLogger(__name__)

ENDED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
# The daily check looks this far back, so a day it missed is still covered the next.
DAILY_LOOKBACK = timedelta(days=2)


@dataclass
class Findings:
    differences: list[dict] = field(default_factory=list)
    apiframe_billed: int = 0
    studio_recorded: int = 0
    jobs_seen: int = 0

    def add(self, kind: str, job_id: str, words: str) -> None:
        self.differences.append({"kind": kind, "job_id": job_id, "words": words})


def start_check(since: datetime, until: datetime | None = None, by=None) -> Reconciliation:
    """A check waiting for a worker to run it (`run_check`)."""
    return Reconciliation.objects.create(
        since=since, until=until or timezone.now(), requested_by=by
    )


def run_check(reconciliation: Reconciliation) -> Reconciliation:
    try:
        jobs = apiframe_jobs(reconciliation.since, reconciliation.until)
    except errors.ApiframeError as error:
        log.warning("Ledger check %s stopped: %s", reconciliation.pk, error)
        reconciliation.give_up(f"Apiframe's list of jobs could not be read: {error.user_message}")
        return reconciliation
    findings = compare(jobs, reconciliation.since, reconciliation.until)
    reconciliation.finish(
        jobs_seen=findings.jobs_seen,
        apiframe_billed=findings.apiframe_billed,
        studio_recorded=findings.studio_recorded,
        differences=findings.differences,
    )
    return reconciliation


def apiframe_jobs(since: datetime, until: datetime) -> list[Job]:
    """This studio's model's jobs created in [since, until), the whole team's where the key
    may see them (an admin key), else the key's own."""
    client = get_client()
    try:
        listed = list(client.iter_jobs(since=since, scope="team"))
    except errors.Forbidden:
        listed = list(client.iter_jobs(since=since, scope="user"))
    return [
        job
        for job in listed
        if job.model in (None, MODEL) and (job.created_at is None or job.created_at < until)
    ]


def compare(jobs: list[Job], since: datetime, until: datetime) -> Findings:
    findings = Findings(jobs_seen=len(jobs))
    listed = {job.id: job for job in jobs}
    ours = Generation.objects.select_related("owner").filter(
        Q(job_id__in=listed) | Q(submitted_at__gte=since, submitted_at__lt=until) & ~Q(job_id="")
    )
    rows = {generation.job_id: generation for generation in ours}
    for job in jobs:
        if job.status == JobStatus.COMPLETED:
            findings.apiframe_billed += job.credit_cost or 0
        generation = rows.get(job.id)
        if generation is None:
            if job.credit_cost or job.status not in ENDED:
                findings.add("unknown", job.id, unknown_words(job))
            continue
        findings.studio_recorded += generation.credit_cost or 0
        bring_up_to_date(generation, job, findings)
    for job_id, generation in rows.items():
        if job_id not in listed:
            findings.studio_recorded += generation.credit_cost or 0
            findings.add(
                "missing",
                job_id,
                f"Job {job_id} ({generation.owner.get_username()}'s clip of "
                f"{generation.created_at:%-d %b %H:%M}) is not in Apiframe's list.",
            )
    return findings


def bring_up_to_date(generation: Generation, job: Job, findings: Findings) -> None:
    if job.status not in ENDED:
        return
    if generation.status in ACTIVE_STATUSES and not generation.result_url:
        if generation.apply_job(job):
            findings.add("ended", job.id, ended_words(job, saving=generation.is_storing))
        return
    if generation.may_still_bill:
        if generation.apply_late_job(job):
            findings.add("ended", job.id, ended_words(job, saving=generation.is_storing))
        return
    billed = generation.billed_by(job)
    recorded = generation.credit_cost or 0
    if billed != recorded and generation.correct_cost(billed):
        findings.add(
            "cost",
            job.id,
            f"Job {job.id}: Apiframe billed {credits(billed)}, the studio had recorded "
            f"{credits(recorded)}. Corrected to Apiframe's figure.",
        )


def unknown_words(job: Job) -> str:
    created = f"{job.created_at:%-d %b %H:%M}" if job.created_at else "at an unknown time"
    if job.status in ENDED:
        return (
            f"Job {job.id} ({job.status.lower()}, created {created}) was billed "
            f"{credits(job.credit_cost or 0)}, and the studio has no clip for it."
        )
    return f"Job {job.id} (created {created}) is still running, and the studio has no clip for it."


def ended_words(job: Job, *, saving: bool) -> str:
    if job.status == JobStatus.COMPLETED:
        outcome = f"completed it and billed {credits(job.credit_cost or 0)}"
    else:
        outcome = f"ended it as {job.status.lower()}, billing nothing"
    then = " The clip is being saved." if saving else ""
    return f"Job {job.id}: the studio still thought it was running; Apiframe {outcome}.{then}"


def credits(n: int) -> str:
    return f"{n} credit{'s' if n != 1 else ''}"
