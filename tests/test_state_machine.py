"""A generation's state changes stay right when the poller, a webhook and two trackers race."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generations.apiframe.payloads import Job
from generations.models import Generation, Lease, Status

JOB_ID = "b2c3d4e5-f6a7-8901-bcde-f23456789012"
URL = "http://127.0.0.1:9/files/clip.mp4"


def job(status, **fields):
    return Job.from_json({"id": JOB_ID, "status": status, **fields})


def completed():
    return job("COMPLETED", progress=100, result={"videoUrl": URL}, creditCost=5,
               completedAt="2026-11-24T05:01:30Z")  # fmt: skip


def two_copies(generation):
    """The same row as two workers hold it: both read before either writes."""
    return Generation.objects.get(pk=generation.pk), Generation.objects.get(pk=generation.pk)


@pytest.fixture
def running(make_generation, alice):
    return make_generation(alice, status="processing", job_id=JOB_ID, progress=40)


def test_it_is_submitted_once_when_two_workers_race(make_generation, alice):
    first, second = two_copies(make_generation(alice))
    soon = timezone.now()
    assert first.mark_submitted(JOB_ID, first_check_at=soon) is True
    assert second.mark_submitted("another-job", first_check_at=soon) is False
    assert Generation.objects.get(pk=first.pk).job_id == JOB_ID


def test_webhook_and_poller_reporting_completion_record_it_once(running):
    poller, webhook = two_copies(running)
    assert poller.apply_job(completed()) is True
    assert webhook.apply_job(completed()) is False
    stored = Generation.objects.get(pk=running.pk)
    assert (stored.status, stored.result_url, stored.credit_cost) == (Status.PROCESSING, URL, 5)
    assert stored.is_storing


def test_a_late_progress_event_does_not_undo_completion(running):
    running.apply_job(completed())
    late = Generation.objects.get(pk=running.pk)
    assert late.apply_job(job("PROCESSING", progress=60)) is False
    assert Generation.objects.get(pk=running.pk).progress == 100


def test_progress_only_rises(running):
    assert running.apply_job(job("PROCESSING", progress=70)) is True
    assert Generation.objects.get(pk=running.pk).apply_job(job("PROCESSING", progress=55)) is False
    assert Generation.objects.get(pk=running.pk).progress == 70


def test_the_first_processing_report_moves_a_queued_job_on(make_generation, alice):
    queued = make_generation(alice, status="submitted", job_id=JOB_ID)
    assert queued.apply_job(job("PROCESSING", progress=0)) is True
    assert Generation.objects.get(pk=queued.pk).status == Status.PROCESSING


def test_a_failure_after_the_clip_was_stored_is_ignored(running):
    running.apply_job(completed())
    assert running.mark_stored(video="clips/x.mp4", poster="posters/x.jpg") is True
    assert running.apply_job(job("FAILED", error="boom")) is False
    assert Generation.objects.get(pk=running.pk).status == Status.COMPLETED


def test_failure_and_completion_racing_leave_one_final_answer(running):
    webhook, poller = two_copies(running)
    assert webhook.apply_job(job("FAILED", error="Content policy")) is True
    assert poller.apply_job(completed()) is False
    stored = Generation.objects.get(pk=running.pk)
    assert stored.status == Status.FAILED
    assert stored.failure_reason == "Apiframe could not make this clip: Content policy"
    assert stored.credit_cost == 0


def test_storing_is_refused_after_the_owner_deleted_it(running):
    running.apply_job(completed())
    storer = Generation.objects.get(pk=running.pk)
    Generation.objects.get(pk=running.pk).soft_delete()
    assert storer.mark_stored(video="clips/x.mp4", poster="posters/x.jpg") is False
    deleted = Generation.objects.get(pk=running.pk)
    assert deleted.status == Status.PROCESSING and not deleted.video
    assert deleted.credit_cost == 5 and deleted.settled_at is not None  # billed, and recorded


def test_two_trackers_never_claim_the_same_generation(make_generation, alice):
    past = timezone.now() - timedelta(seconds=1)
    for _ in range(6):
        make_generation(alice, status="submitted", next_check_at=past)
    first = Generation.objects.due().claim(limit=4, lease_seconds=60)
    second = Generation.objects.due().claim(limit=4, lease_seconds=60)
    assert len(first) == 4 and len(second) == 2
    assert not {g.pk for g in first} & {g.pk for g in second}
    assert Generation.objects.due().claim(limit=4, lease_seconds=60) == []


def test_a_crashed_workers_claim_expires(make_generation, alice):
    make_generation(alice, status="submitted", next_check_at=timezone.now())
    assert len(Generation.objects.due().claim(limit=1, lease_seconds=-1)) == 1
    assert len(Generation.objects.due().claim(limit=1, lease_seconds=60)) == 1


def test_a_worker_whose_claim_was_taken_over_cannot_reschedule(make_generation, alice):
    make_generation(alice, status="submitted", next_check_at=timezone.now())
    (late,) = Generation.objects.due().claim(limit=1, lease_seconds=-1)  # expires at once
    (taker,) = Generation.objects.due().claim(limit=1, lease_seconds=60)
    assert late.schedule(timezone.now() + timedelta(hours=1)) is False
    assert Generation.objects.get(pk=taker.pk).lease_token == taker.lease_token
    assert taker.schedule(timezone.now() + timedelta(seconds=5)) is True


def test_a_generation_not_due_yet_is_not_claimed(make_generation, alice):
    make_generation(alice, status="submitted", next_check_at=timezone.now() + timedelta(minutes=1))
    assert Generation.objects.due().claim(limit=5, lease_seconds=60) == []


def test_finished_generations_are_never_claimed(make_generation, alice):
    for status in ("completed", "failed", "cancelled"):
        make_generation(alice, status=status, next_check_at=timezone.now())
    assert Generation.objects.due().claim(limit=5, lease_seconds=60) == []


def test_only_one_tracker_holds_the_lease(db):
    assert Lease.acquire("tracker", "one", seconds=30) is True
    assert Lease.acquire("tracker", "two", seconds=30) is False
    assert Lease.acquire("tracker", "one", seconds=30) is True  # renewing
    Lease.release("tracker", "one")
    assert Lease.acquire("tracker", "two", seconds=30) is True


def test_scheduling_a_check_does_not_redraw_the_card(running):
    before = Generation.objects.get(pk=running.pk).updated_at
    running.schedule(timezone.now() + timedelta(seconds=5))
    assert Generation.objects.get(pk=running.pk).updated_at == before
