"""The pipeline against the simulator, over real HTTP: from the form's row to the stored clip."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apiframe_simulator import Fault
from generations import video
from generations.apiframe import GenerationRequest, get_client
from generations.models import Budget, Generation, Status
from generations.pipeline import tasks, track
from tests.conftest import SIMULATOR_KEY
from tests.fixtures import picture

pytestmark = pytest.mark.django_db(transaction=True)


def start(owner, prompt="A paper plane over rooftops", **fields) -> Generation:
    return Generation.start(owner=owner, prompt_text=prompt, **fields)


def run_until_settled(seconds: float = 30) -> None:
    """What the cluster does: the submit task, then the tracker until nothing is left to do."""
    for generation in Generation.objects.filter(status=Status.WAITING):
        tasks.submit_generation(str(generation.pk))
    assert track.run_tracker(seconds=seconds)
    assert not Generation.objects.in_pipeline().exists(), "the tracker stopped with work left"


def test_with_webhooks_apiframe_reports_and_polling_is_only_a_safety_net(
    studio_simulator, alice, settings, live_server
):
    settings.PUBLIC_URL = live_server.url
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert studio_simulator.request_count("job") == 0  # every change arrived by webhook
    assert studio_simulator.job(generation.job_id)["webhookStatus"] == "delivered"


def test_it_makes_a_clip_and_keeps_a_copy(studio_simulator, alice):
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert generation.credit_cost == 5 and generation.progress == 100
    assert generation.submitted_at <= generation.finished_at <= generation.stored_at
    info = video.probe(Path(generation.video.path))
    assert (info.codec, info.height) == ("h264", 768)
    assert generation.poster.size > 0
    assert studio_simulator.jobs_created_for_key(str(generation.pk)) == 1


def test_a_local_first_frame_is_uploaded_then_used(studio_simulator, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    generation = start(alice, first_frame=SimpleUploadedFile("f.png", picture((600, 800))))
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert studio_simulator.request_count("upload") == 1
    info = video.probe(Path(generation.video.path))
    assert info.height == 768 and info.width < info.height  # the image's portrait shape


def test_transient_submit_errors_are_retried_without_billing_twice(studio_simulator, alice):
    studio_simulator.faults.push(
        "submit",
        Fault.status(429, retry_after=1),
        Fault.status(503),
        Fault.drop(),
        Fault.malformed(),
    )
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert studio_simulator.request_count("submit") == 5
    assert studio_simulator.jobs_created_for_key(str(generation.pk)) == 1


def test_a_refused_submit_fails_with_a_reason_a_member_understands(
    simulator_factory, settings, alice
):
    broke = simulator_factory(credits=0)
    settings.APIFRAME_BASE_URL, settings.APIFRAME_API_KEY = broke.url, SIMULATOR_KEY
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.failure_reason.startswith("The team's Apiframe account is out of credits")


def test_a_job_that_fails_upstream_fails_here_with_its_error(studio_simulator, alice):
    studio_simulator.faults.push("submit", Fault.fail_job("The prompt was flagged by moderation"))
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.failure_reason == (
        "Apiframe could not make this clip: The prompt was flagged by moderation"
    )
    assert generation.credit_cost == 0


def test_slow_and_broken_checks_are_retried(studio_simulator, alice, settings):
    settings.APIFRAME_TIMEOUT_SECONDS = 1.0
    studio_simulator.faults.push("job", Fault.slow(2.0), Fault.status(500), Fault.malformed())
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason


def test_a_result_file_that_is_gone_fails_clearly(studio_simulator, alice):
    studio_simulator.faults.push("file", Fault.missing_file())
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert "could not save its copy" in generation.failure_reason
    assert generation.credit_cost == 5  # Apiframe billed the clip it made


def test_a_cut_short_download_is_tried_again(studio_simulator, alice):
    studio_simulator.faults.push("file", Fault.truncated())
    generation = start(alice)
    run_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert studio_simulator.request_count("file") == 2


def test_a_worker_that_died_after_submitting_loses_nothing(studio_simulator, alice):
    """The crash window: Apiframe took the job, the worker died before recording it."""
    generation = start(alice)
    get_client().submit(
        GenerationRequest(prompt=generation.prompt.text), idempotency_key=str(generation.pk)
    )
    Generation.objects.filter(pk=generation.pk).update(
        lease_token="dead-worker", lease_until=timezone.now() + timedelta(milliseconds=300),
        next_check_at=timezone.now(),
    )  # fmt: skip
    assert track.run_tracker(seconds=30)
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert studio_simulator.jobs_created_for_key(str(generation.pk)) == 1


def test_many_generations_need_one_tracker_not_one_worker_each(studio_simulator, alice):
    Budget.objects.update_or_create(pk=1, defaults={"max_running_per_member": 20})
    made = [start(alice, f"clip number {i}") for i in range(12)]
    run_until_settled()
    statuses = set(
        Generation.objects.filter(pk__in=[g.pk for g in made]).values_list("status", flat=True)
    )
    assert statuses == {Status.COMPLETED}
    assert all(studio_simulator.jobs_created_for_key(str(g.pk)) == 1 for g in made)


def test_a_generation_past_the_deadline_fails_with_a_reason(studio_simulator, alice, settings):
    settings.GENERATION_DEADLINE_SECONDS = 60
    stuck = start(alice)
    Generation.objects.filter(pk=stuck.pk).update(
        status=Status.SUBMITTED, job_id="00000000-0000-4000-8000-000000000001",
        created_at=timezone.now() - timedelta(minutes=2), next_check_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    track.run_tracker(seconds=5)
    stuck.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert stuck.failure_reason == "Apiframe did not finish this clip within 1 minute."


def test_a_lost_job_fails_after_a_few_looks(studio_simulator, alice):
    lost = start(alice)
    Generation.objects.filter(pk=lost.pk).update(
        status=Status.SUBMITTED,
        job_id="00000000-0000-4000-8000-000000000002",
        next_check_at=timezone.now(),
    )
    track.run_tracker(seconds=20)
    lost.refresh_from_db()
    assert lost.status == Status.FAILED
    assert lost.failure_reason == "Apiframe no longer knows this job."


def test_only_one_tracker_runs_at_a_time(studio_simulator, alice):
    from generations.models import Lease

    assert Lease.acquire(track.LEASE_NAME, "someone-else", seconds=30)
    start(alice)
    assert track.run_tracker(seconds=1) is False
