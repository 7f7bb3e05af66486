"""The client reads Apiframe's ledger (GET /v2/jobs) and catalog (GET /v2/models) from the
simulator over real sockets: typed pages, cursors followed, errors mapped like every other call."""

from datetime import UTC, datetime, timedelta

import pytest

from apiframe_simulator import Fault
from generations.apiframe import ApiframeClient, JobsPage, JobStatus, ModelInfo
from generations.apiframe import errors as api
from generations.apiframe.payloads import PayloadError, catalog_from_json
from tests.conftest import SIMULATOR_KEY

NOW = datetime.now(UTC)


@pytest.fixture
def client(simulator):
    client = ApiframeClient(simulator.url, SIMULATOR_KEY, timeout=2.0)
    yield client
    client.close()


def test_a_page_is_typed_and_points_to_the_next(client, simulator):
    older = simulator.stage_job(credit_cost=7, created_at=NOW - timedelta(minutes=2))["id"]
    newer = simulator.stage_job("FAILED", created_at=NOW - timedelta(minutes=1))["id"]

    first = client.list_jobs(limit=1)
    second = client.list_jobs(limit=1, cursor=first.next_cursor)

    assert isinstance(first, JobsPage) and first.has_more and first.next_cursor
    [failed] = first.jobs
    assert (failed.id, failed.status, failed.credit_cost) == (newer, JobStatus.FAILED, 0)
    assert failed.model == "hailuo-2.3-fast" and failed.created_at < NOW
    [completed] = second.jobs
    assert (completed.id, completed.credit_cost, completed.video_url) == (
        older,
        7,
        f"{simulator.url}/files/{older}.mp4",
    )
    assert (second.has_more, second.next_cursor) == (False, None)


def test_filters_reach_apiframe(client, simulator):
    done = simulator.stage_job()["id"]
    failed = simulator.stage_job("FAILED")["id"]
    theirs = simulator.stage_job(teammate=True)["id"]

    assert [job.id for job in client.list_jobs(status=JobStatus.FAILED).jobs] == [failed]
    assert [job.id for job in client.list_jobs(status="COMPLETED").jobs] == [done]
    assert [job.id for job in client.list_jobs(search=done).jobs] == [done]
    assert [job.id for job in client.list_jobs(scope="team").jobs] == [theirs, failed, done]


def test_iter_jobs_follows_cursors_across_pages(client, simulator):
    staged = [
        simulator.stage_job("CANCELLED", created_at=NOW - timedelta(seconds=n))["id"]
        for n in range(230)
    ]

    seen = [job.id for job in client.iter_jobs()]

    assert seen == staged  # newest first, each once
    assert simulator.request_count("jobs") == 3


def test_iter_jobs_stops_at_jobs_older_than_since(client, simulator):
    for hours in range(300):
        simulator.stage_job("CANCELLED", created_at=NOW - timedelta(hours=hours))
    since = NOW - timedelta(hours=49, minutes=30)

    recent = list(client.iter_jobs(since=since))

    assert len(recent) == 50 and all(job.created_at >= since for job in recent)
    assert simulator.request_count("jobs") == 1  # the first page already reached `since`


def test_iter_jobs_passes_its_filters_on(client, simulator):
    simulator.stage_job("FAILED", teammate=True)
    simulator.stage_job("COMPLETED", teammate=True)
    simulator.stage_job("FAILED")

    assert len(list(client.iter_jobs(scope="team", status="FAILED"))) == 2
    assert len(list(client.iter_jobs(status="FAILED"))) == 1


def test_iter_jobs_wants_an_aware_since(client):
    with pytest.raises(ValueError, match="timezone-aware"):
        next(client.iter_jobs(since=datetime.now()))


def test_team_scope_without_admin_rights_is_forbidden(simulator_factory):
    server = simulator_factory(team_admin=False)
    client = ApiframeClient(server.url, SIMULATOR_KEY)

    with pytest.raises(api.Forbidden) as caught:
        client.list_jobs(scope="team")

    assert caught.value.status == 403 and not caught.value.retryable
    assert caught.value.request_id
    assert client.list_jobs().jobs == []


def test_a_bad_query_is_a_validation_error_with_details(client):
    with pytest.raises(api.ValidationFailed) as caught:
        client.list_jobs(limit=500, search="not-a-job-id")

    assert set(caught.value.details) == {"limit", "search"}
    with pytest.raises(api.ValidationFailed) as caught:
        client.list_jobs(cursor="made-up")
    assert "cursor" in caught.value.details


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.status(503), api.ServiceUnavailable),
        (Fault.status(429, retry_after=2), api.RateLimited),
        (Fault.malformed(), api.MalformedResponse),
        (Fault.status(401), api.InvalidApiKey),
    ],
)
def test_listing_failures_map_to_the_usual_errors(client, simulator, fault, error):
    simulator.faults.push("jobs", fault)

    with pytest.raises(error):
        client.list_jobs()


def test_the_catalog_needs_no_valid_key(simulator):
    anonymous = ApiframeClient(simulator.url, "afk_not_a_real_key")

    [model] = anonymous.models()

    assert isinstance(model, ModelInfo)
    assert (model.id, model.modality, model.cost_min, model.cost_max) == (
        "hailuo-2.3-fast",
        "video",
        5,
        10,
    )
    assert model.label and model.pricing_mode == "per-output"
    assert anonymous.models(modality="image") == []
    assert [m.id for m in anonymous.models(modality=None)] == ["hailuo-2.3-fast"]
    with pytest.raises(api.ValidationFailed):
        anonymous.models(modality="hologram")


@pytest.mark.parametrize(
    "answer",
    [
        {"jobs": {}, "nextCursor": None, "hasMore": False},
        {"jobs": [], "nextCursor": 5, "hasMore": False},
        {"jobs": [], "nextCursor": None, "hasMore": "no"},
        {"jobs": [], "nextCursor": None, "hasMore": True},  # more, but no way to get them
        {"jobs": [{"id": "j", "status": "DONE"}], "nextCursor": None, "hasMore": False},
    ],
)
def test_a_malformed_page_is_refused(answer):
    with pytest.raises(PayloadError):
        JobsPage.from_json(answer)


@pytest.mark.parametrize(
    "answer",
    [
        {"models": None},
        {"models": [{"id": "m", "label": "M"}]},
        {"models": [{"id": "m", "label": "M", "modality": "video", "costMin": "5"}]},
    ],
)
def test_a_malformed_catalog_is_refused(answer):
    with pytest.raises(PayloadError):
        catalog_from_json(answer)
