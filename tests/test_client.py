"""The Apiframe client against the simulator, over real sockets: answers, every error, replays."""

import json

import pytest

from apiframe_simulator import Fault
from generations.apiframe import ApiframeClient, GenerationRequest, JobStatus, signatures
from generations.apiframe import errors as api
from tests.conftest import SIMULATOR_KEY

REQUEST = GenerationRequest(prompt="A hot-air balloon over vineyards at sunrise")


@pytest.fixture
def client(simulator):
    client = ApiframeClient(simulator.url, SIMULATOR_KEY, timeout=2.0)
    yield client
    client.close()


def raised(call) -> api.ApiframeError:
    with pytest.raises(api.ApiframeError) as caught:
        call()
    return caught.value


def test_it_submits_and_follows_a_job_to_its_clip(client, simulator):
    submitted = client.submit(REQUEST, idempotency_key="key-1")
    assert submitted.status is JobStatus.QUEUED
    simulator.wait_for(submitted.job_id)
    job = client.get_job(submitted.job_id)
    assert job.status is JobStatus.COMPLETED and job.progress == 100
    assert job.video_url.startswith(simulator.url) and job.credit_cost == 5


@pytest.mark.parametrize("shape", ["string", "videoUrl", "url", "list"])
def test_it_reads_every_result_shape(simulator_factory, shape):
    server = simulator_factory(result_shape=shape)
    client = ApiframeClient(server.url, SIMULATOR_KEY)
    job_id = client.submit(REQUEST, idempotency_key=f"shape-{shape}").job_id
    server.wait_for(job_id)
    url = client.get_job(job_id).video_url
    assert url == f"{server.url}/files/{job_id}.mp4"


def test_it_uploads_an_image_and_reads_the_balance(client, make_image):
    upload = client.upload(make_image(), filename="frame.png", content_type="image/png")
    assert upload.kind == "image" and upload.content_type == "image/png" and upload.byte_size > 0
    assert client.me().credits == 10000


def test_a_replayed_submit_returns_the_original_job(client, simulator):
    first = client.submit(REQUEST, idempotency_key="same-key")
    again = client.submit(REQUEST, idempotency_key="same-key")
    assert again.job_id == first.job_id
    assert simulator.jobs_created_for_key("same-key") == 1


def test_the_same_key_with_other_settings_is_a_conflict(client):
    client.submit(REQUEST, idempotency_key="reused")
    other = GenerationRequest(prompt=REQUEST.prompt, resolution="1080p")
    error = raised(lambda: client.submit(other, idempotency_key="reused"))
    assert isinstance(error, api.IdempotencyConflict) and error.status == 409
    assert not error.retryable and error.request_id


def test_validation_errors_carry_their_details(client):
    error = raised(lambda: client.submit(GenerationRequest(prompt="x" * 2001), idempotency_key="v"))
    assert isinstance(error, api.ValidationFailed) and error.status == 400
    assert "prompt" in error.details and not error.retryable


def test_1080p_ten_seconds_is_refused_by_apiframe_too(client):
    request = GenerationRequest(prompt="x", resolution="1080p", duration=10)
    error = raised(lambda: client.submit(request, idempotency_key="hd"))
    assert isinstance(error, api.ValidationFailed)
    assert "hailuoParams.duration" in error.details


def test_a_wrong_key_is_refused(simulator):
    error = raised(lambda: ApiframeClient(simulator.url, "afk_wrong").me())
    assert isinstance(error, api.InvalidApiKey) and error.status == 401 and error.request_id


def test_too_few_credits_says_how_many(simulator_factory):
    server = simulator_factory(credits=3)
    error = raised(
        lambda: ApiframeClient(server.url, SIMULATOR_KEY).submit(REQUEST, idempotency_key="c")
    )
    assert isinstance(error, api.InsufficientCredits)
    assert (error.required, error.available) == (5, 3)
    assert "needs 5, 3 left" in error.user_message


def test_an_unknown_job_is_not_found(client):
    error = raised(lambda: client.get_job("00000000-0000-4000-8000-000000000000"))
    assert isinstance(error, api.JobNotFound) and error.status == 404


@pytest.mark.parametrize(
    "fault, error_type, retryable",
    [
        (Fault.status(403), api.Forbidden, False),
        (Fault.status(429, retry_after=7), api.RateLimited, True),
        (Fault.status(500), api.ServiceUnavailable, True),
        (Fault.status(503), api.ServiceUnavailable, True),
        (Fault.drop(), api.TransportError, True),
        (Fault.malformed(), api.MalformedResponse, True),
        (Fault.slow(3.0), api.TransportError, True),
    ],
)
def test_each_failure_has_its_own_error(client, simulator, fault, error_type, retryable):
    simulator.faults.push("me", fault)
    error = raised(client.me)
    assert type(error) is error_type
    assert error.retryable is retryable


def test_rate_limits_say_when_to_come_back(client, simulator):
    simulator.faults.push("submit", Fault.status(429, retry_after=7))
    error = raised(lambda: client.submit(REQUEST, idempotency_key="r"))
    assert error.retry_after == 7.0 and error.request_id


def test_an_answer_lost_after_the_job_was_made_is_safe_to_retry(client, simulator):
    simulator.faults.push("submit", Fault.drop(processed=True))
    assert isinstance(
        raised(lambda: client.submit(REQUEST, idempotency_key="lost")), api.TransportError
    )
    job = client.submit(REQUEST, idempotency_key="lost")
    assert simulator.jobs_created_for_key("lost") == 1
    assert simulator.job(job.job_id) is not None


def test_nothing_listens_is_a_transport_error():
    error = raised(lambda: ApiframeClient("http://127.0.0.1:9", SIMULATOR_KEY, timeout=1).me())
    assert isinstance(error, api.TransportError) and error.retryable


def test_the_key_never_appears_in_an_error(simulator):
    error = raised(lambda: ApiframeClient(simulator.url, "afk_secret_value").me())
    assert "afk_secret_value" not in str(error) and "afk_secret_value" not in repr(error.body)


def test_webhooks_from_apiframe_verify_and_forged_ones_do_not(client, simulator, http_stub):
    request = GenerationRequest(prompt="Fireflies in a forest", webhook_url=http_stub.url + "/hook")
    job_id = client.submit(request, idempotency_key="hooks").job_id
    events = http_stub.wait_for(
        lambda seen: any(b'"completed"' in r.body for r in seen), timeout=15
    )
    for event in events:
        signature = event.headers["X-Webhook-Signature"]
        assert signatures.verify(event.body, signature, SIMULATOR_KEY)
        assert not signatures.verify(event.body, signature, "afk_someone_else")
        assert not signatures.verify(
            event.body.replace(b"hailuo", b"HAILUO"), signature, SIMULATOR_KEY
        )
    completed = json.loads(next(e.body for e in events if b'"completed"' in e.body))
    assert completed["jobId"] == job_id and completed["creditCost"] == 5
