"""The independent Apiframe (tests/independent_apiframe.py) speaks the contract the studio's own
client speaks: submit, replay, poll to the end, list, upload, and a balance that follows billing."""

import time
from pathlib import Path

import httpx
import pytest

from generations import video
from generations.apiframe import ApiframeClient, GenerationRequest, Job, JobStatus
from generations.apiframe import errors as api

FINAL = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


@pytest.fixture
def apiframe(independent_apiframe_factory):
    return independent_apiframe_factory(seconds_per_job=0.3)


@pytest.fixture
def client(apiframe):
    client = ApiframeClient(apiframe.url, apiframe.api_key, timeout=2.0)
    yield client
    client.close()


def poll(client: ApiframeClient, job_id: str, timeout: float = 5.0) -> list[Job]:
    """Every answer of GET /v2/jobs/{id} until the job is final."""
    seen, deadline = [], time.monotonic() + timeout
    while not (seen and seen[-1].status in FINAL):
        assert time.monotonic() < deadline, seen
        seen.append(client.get_job(job_id))
        time.sleep(0.02)
    return seen


def test_a_job_runs_to_a_billed_clip(client, apiframe, tmp_path: Path):
    request = GenerationRequest(prompt="A lighthouse in a storm")
    submitted = client.submit(request, idempotency_key="clip-1")

    answers = poll(client, submitted.job_id)

    assert submitted.status is JobStatus.QUEUED
    assert JobStatus.PROCESSING in {a.status for a in answers}
    done = answers[-1]
    assert (done.status, done.progress, done.credit_cost) == (JobStatus.COMPLETED, 100, 5)
    assert done.completed_at >= done.created_at
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(httpx.get(done.video_url).content)
    video.check_mp4(clip)
    assert apiframe.billed_total() == 5 == apiframe.billed_for("clip-1")
    assert client.me().credits == 1000 - 5


def test_a_replay_returns_the_original_job_and_bills_once(client, apiframe):
    request = GenerationRequest(prompt="Snow on a red bridge", resolution="1080p")
    first = client.submit(request, idempotency_key="same")
    poll(client, first.job_id)

    again = client.submit(request, idempotency_key="same")

    assert again.job_id == first.job_id and again.status is JobStatus.COMPLETED
    assert apiframe.jobs_created() == 1
    assert apiframe.billed_for("Snow on a red bridge") == 12  # not the studio's estimate
    with pytest.raises(api.IdempotencyConflict):
        client.submit(GenerationRequest(prompt="Something else"), idempotency_key="same")


def test_failme_fails_and_costs_nothing(client, apiframe):
    job_id = client.submit(
        GenerationRequest(prompt="Please FAILME now"), idempotency_key="f"
    ).job_id

    failed = poll(client, job_id)[-1]

    assert (failed.status, failed.credit_cost) == (JobStatus.FAILED, 0) and failed.error
    assert failed.video_url is None
    assert apiframe.billed_total() == 0 and client.me().credits == 1000


def test_refusals(client):
    with pytest.raises(api.ValidationFailed) as caught:
        client.submit(GenerationRequest("x", resolution="1080p", duration=10), idempotency_key="v")
    assert "hailuoParams.duration" in caught.value.details
    with pytest.raises(api.ValidationFailed) as caught:
        client.submit(GenerationRequest("x" * 2001), idempotency_key="long")
    assert "prompt" in caught.value.details
    with pytest.raises(api.JobNotFound):
        client.get_job("00000000-0000-4000-8000-000000000000")


def test_a_wrong_key_or_too_few_credits_is_refused(independent_apiframe_factory):
    poor = independent_apiframe_factory(credits=7)
    stranger = ApiframeClient(poor.url, "afk_wrong")
    owner = ApiframeClient(poor.url, poor.api_key)

    with pytest.raises(api.InvalidApiKey):
        stranger.me()
    owner.submit(GenerationRequest("one"), idempotency_key="1")
    with pytest.raises(api.InsufficientCredits) as caught:
        owner.submit(GenerationRequest("two"), idempotency_key="2")
    assert (caught.value.required, caught.value.available) == (5, 2)


def test_the_listing_pages_newest_first(client, apiframe):
    ids = [
        client.submit(GenerationRequest(f"clip {n}"), idempotency_key=str(n)).job_id
        for n in range(5)
    ]
    for job_id in ids:
        poll(client, job_id)
    failed = client.submit(GenerationRequest("FAILME"), idempotency_key="x").job_id

    first = client.list_jobs(limit=2)
    rest = client.list_jobs(limit=100, cursor=first.next_cursor)

    assert [job.id for job in first.jobs + rest.jobs] == [failed, *reversed(ids)]
    assert first.has_more and not rest.has_more
    assert [job.id for job in client.iter_jobs(status="COMPLETED")] == list(reversed(ids))
    assert [job.id for job in client.list_jobs(search=ids[0]).jobs] == [ids[0]]
    assert sum(job.credit_cost or 0 for job in client.iter_jobs()) == apiframe.billed_total() == 25
    with pytest.raises(api.ValidationFailed):
        client.list_jobs(limit=0)


def test_team_scope_is_for_admins(independent_apiframe_factory):
    member = independent_apiframe_factory(admin=False)
    client = ApiframeClient(member.url, member.api_key)

    with pytest.raises(api.Forbidden):
        client.list_jobs(scope="team")
    assert client.list_jobs(scope="user").jobs == []


def test_an_uploaded_image_gets_a_url_it_serves(client, make_image):
    image = make_image()

    upload = client.upload(image, filename="frame.png", content_type="image/png")

    assert (upload.kind, upload.content_type, upload.byte_size) == (
        "image",
        "image/png",
        len(image),
    )
    assert httpx.get(upload.url).content == image
    with pytest.raises(api.ValidationFailed) as caught:
        client.upload(b"not an image", filename="a.txt", content_type="text/plain")
    assert "file" in caught.value.details


def test_the_default_fixture_takes_about_a_second_per_job(independent_apiframe):
    client = ApiframeClient(independent_apiframe.url, independent_apiframe.api_key)
    started = time.monotonic()
    job_id = client.submit(GenerationRequest("default pace"), idempotency_key="pace").job_id

    poll(client, job_id)

    assert 0.9 < time.monotonic() - started < 3
    assert client.models()[0].cost_max == 12
