"""The simulator's ledger (GET /v2/jobs), its catalog (GET /v2/models) and the control routes
that stage jobs the studio never submitted; every answer validates against the OpenAPI subset."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apiframe_simulator import Fault, SimulatorServer
from apiframe_simulator.jobs import PRICES
from tests.test_simulator_contract import BODY, assert_matches

LIST = "GET /v2/jobs"
MODELS = "GET /v2/models"


def submit(server: SimulatorServer, prompt: str = "Lanterns over a harbour") -> str:
    response = server.client().post("/v2/videos/generate", json=BODY | {"prompt": prompt})
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def listing(server: SimulatorServer, **params: Any) -> dict[str, Any]:
    return assert_matches(server.client().get("/v2/jobs", params=params), LIST, 200)


def every_page(server: SimulatorServer, between=lambda: None, **params: Any) -> list[list[str]]:
    """The ids of each page, following cursors; `between` runs before each next page."""
    pages, cursor = [], None
    while True:
        body = listing(server, **params, **({"cursor": cursor} if cursor else {}))
        pages.append([job["id"] for job in body["jobs"]])
        assert body["hasMore"] is (body["nextCursor"] is not None)
        if not body["hasMore"]:
            return pages
        cursor = body["nextCursor"]
        between()


@pytest.fixture
def slow_simulator(simulator_factory) -> SimulatorServer:
    """Submitted jobs stay QUEUED for the whole test."""
    return simulator_factory(job_seconds=60)


def test_pages_cover_every_job_once_newest_first_while_new_jobs_arrive(slow_simulator):
    server = slow_simulator
    tied = datetime.now(UTC) - timedelta(hours=1)
    staged = [server.stage_job("CANCELLED", created_at=tied)["id"] for _ in range(4)]  # tied
    staged += [
        server.stage_job("FAILED", created_at=tied - timedelta(minutes=n))["id"] for n in range(9)
    ]
    submitted = [submit(server, f"clip {n}") for n in range(10)]
    before = {job_id: server.store.get(job_id).sort_key for job_id in staged + submitted}
    newcomers: list[str] = []

    def more_jobs() -> None:
        newcomers.append(submit(server, "arrived between pages"))
        newcomers.append(server.stage_job("CANCELLED")["id"])

    pages = every_page(server, more_jobs, limit=4)

    seen = [job_id for page in pages for job_id in page]
    assert len(pages) == 6 and all(len(page) == 4 for page in pages[:-1])
    assert seen == sorted(before, key=before.__getitem__, reverse=True)
    assert not set(newcomers) & set(seen)
    assert listing(server, limit=1)["jobs"][0]["id"] == newcomers[-1]


def test_each_listed_job_says_what_it_cost(simulator):
    simulator.faults.push("submit", Fault.fail_job("Content policy"))
    failed, completed = submit(simulator), submit(simulator)
    simulator.finish(completed)
    simulator.finish(failed)
    outside = simulator.stage_job(credit_cost=7)["id"]

    jobs = {job["id"]: job for job in listing(simulator)["jobs"]}

    assert (jobs[completed]["status"], jobs[completed]["creditCost"]) == ("COMPLETED", 5)
    assert jobs[completed]["result"] == {"videoUrl": f"{simulator.url}/files/{completed}.mp4"}
    assert (jobs[failed]["status"], jobs[failed]["creditCost"]) == ("FAILED", 0)
    assert jobs[failed]["error"] == "Content policy"
    assert jobs[outside]["creditCost"] == 7 and "input" not in jobs[outside]
    assert simulator.store.balance() == 10000 - 5 - 7


def test_filters(slow_simulator):
    server = slow_simulator
    queued = submit(server)
    done = server.stage_job()["id"]
    failed = server.stage_job("FAILED")["id"]
    other_model = server.stage_job(model="hailuo-02")["id"]

    def ids(**params: Any) -> list[str]:
        return [job["id"] for job in listing(server, **params)["jobs"]]

    assert ids(status="QUEUED") == [queued]
    assert ids(status="COMPLETED") == [other_model, done]
    assert ids(status="FAILED") == [failed]
    assert ids(status="CANCELLED") == []
    assert ids(model="hailuo-02") == [other_model]
    assert ids(model="hailuo-2.3-fast", status="COMPLETED") == [done]
    assert ids(search=failed) == [failed] and ids(search=failed.upper()) == [failed]
    assert ids(search=failed, status="COMPLETED") == []
    models = listing(server, include_models="true")["models"]
    assert models == ["hailuo-02", "hailuo-2.3-fast"]
    assert "models" not in listing(server)


def test_limit_defaults_to_20_and_goes_up_to_100(simulator):
    for _ in range(101):
        simulator.stage_job("CANCELLED")

    assert len(listing(simulator)["jobs"]) == 20
    assert len(listing(simulator, limit=100)["jobs"]) == 100
    assert listing(simulator, limit=100)["hasMore"] is True


def test_team_scope_shows_teammates_jobs_to_admins_only(simulator_factory, tmp_path):
    admin = simulator_factory()
    mine = admin.stage_job()["id"]
    theirs = admin.stage_job(teammate=True, credit_cost=10)["id"]
    member = simulator_factory(team_admin=False, data_dir=tmp_path / "member")
    member.stage_job()

    assert [job["id"] for job in listing(admin)["jobs"]] == [mine]
    assert [job["id"] for job in listing(admin, scope="team")["jobs"]] == [theirs, mine]
    assert listing(admin, scope="team", search=theirs)["jobs"][0]["creditCost"] == 10
    assert listing(admin, search=theirs)["jobs"] == []
    refused = member.client().get("/v2/jobs", params={"scope": "team"})
    assert assert_matches(refused, LIST, 403)["error"]
    assert len(listing(member, scope="user")["jobs"]) == 1
    assert member.client().get("/v2/me").json()["user"]["role"] == "MEMBER"
    assert admin.client().get("/v2/me").json()["user"]["role"] == "OWNER"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "completed"}, "status"),
        ({"status": ""}, "status"),
        ({"scope": "everyone"}, "scope"),
        ({"search": "not-a-uuid"}, "search"),
        ({"include_models": "yes"}, "include_models"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # base64 of [], well formed but not a cursor
    ],
)
def test_bad_query_parameters_are_a_400_with_details(simulator, params, field):
    response = simulator.client().get("/v2/jobs", params=params)

    assert field in assert_matches(response, LIST, 400)["details"]


def test_listing_needs_the_key(simulator):
    response = simulator.client(authenticated=False).get("/v2/jobs")

    assert_matches(response, LIST, 401)


def test_the_catalog_is_public_and_priced_from_the_price_table(simulator):
    anonymous = simulator.client(authenticated=False)

    every = assert_matches(anonymous.get("/v2/models"), MODELS, 200)["models"]
    video = assert_matches(anonymous.get("/v2/models?modality=video"), MODELS, 200)["models"]
    image = assert_matches(anonymous.get("/v2/models?modality=image"), MODELS, 200)["models"]
    bad = assert_matches(anonymous.get("/v2/models?modality=sound"), MODELS, 400)

    fast = next(model for model in video if model["id"] == "hailuo-2.3-fast")
    assert (fast["costMin"], fast["costMax"]) == (min(PRICES.values()), max(PRICES.values()))
    assert fast["modality"] == "video" and fast["label"] and fast in every
    assert image == [] and "modality" in bad["details"]


# Control routes: jobs made outside the studio, costs that differ


def test_a_job_can_be_staged_and_rebilled_over_http(simulator):
    client = simulator.client()

    staged = client.post(
        "/_simulator/jobs",
        json={
            "status": "COMPLETED",
            "creditCost": 12,
            "duration": 6,
            "createdAt": "2026-01-02T03:04:05Z",
            "prompt": "Made with the Apiframe dashboard",
        },
    )
    assert staged.status_code == 201, staged.text
    job = staged.json()
    assert (job["status"], job["creditCost"], job["createdAt"]) == (
        "COMPLETED",
        12,
        "2026-01-02T03:04:05.000Z",
    )
    assert job["input"]["hailuoParams"] == {"resolution": "768p", "duration": 6}
    assert client.get("/v2/me").json()["team"]["credits"] == 10000 - 12

    rebilled = client.patch(f"/_simulator/jobs/{job['id']}", json={"creditCost": 3})

    assert rebilled.status_code == 200 and rebilled.json()["creditCost"] == 3
    assert client.get(f"/v2/jobs/{job['id']}").json()["creditCost"] == 3
    assert client.get("/v2/me").json()["team"]["credits"] == 10000 - 3


def test_staged_jobs_default_to_their_price_or_nothing(simulator):
    completed = simulator.stage_job()
    assert completed["creditCost"] == 5
    assert simulator.stage_job(resolution="768p", duration=10)["creditCost"] == 10
    assert simulator.stage_job("FAILED")["creditCost"] == 0
    assert simulator.stage_job("CANCELLED")["creditCost"] == 0
    assert simulator.stage_job("FAILED", error="Policy")["error"] == "Policy"
    assert clip_arrives(simulator, completed["result"]["videoUrl"])


def clip_arrives(server: SimulatorServer, url: str, timeout: float = 30.0) -> bool:
    """A staged COMPLETED job's clip is rendered in the background: its URL serves it soon."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.client().get(url).status_code == 200:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "QUEUED"}, "status"),
        ({"creditCost": "5"}, "creditCost"),
        ({"creditCost": True}, "creditCost"),
        ({"teammate": 1}, "teammate"),
        ({"resolution": "1080p", "duration": 10}, "duration"),
        ({"createdAt": "yesterday"}, "createdAt"),
        ({"seed": 1}, "seed"),
    ],
)
def test_staging_refuses_what_it_cannot_make(simulator, body, field):
    response = simulator.client().post("/_simulator/jobs", json=body)

    assert response.status_code == 400 and field in response.json()["details"]


def test_rebilling_needs_a_finished_known_job_and_a_cost(slow_simulator):
    client = slow_simulator.client()
    running = submit(slow_simulator)
    done = slow_simulator.stage_job()["id"]

    assert client.patch(f"/_simulator/jobs/{running}", json={"creditCost": 1}).status_code == 409
    assert client.patch(f"/_simulator/jobs/{done}", json={"creditCost": -1}).status_code == 400
    assert client.patch(f"/_simulator/jobs/{done}", json={}).status_code == 400
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.patch(f"/_simulator/jobs/{unknown}", json={"creditCost": 1}).status_code == 404
    anonymous = slow_simulator.client(authenticated=False)
    assert anonymous.post("/_simulator/jobs", json={}).status_code == 401
    assert anonymous.patch(f"/_simulator/jobs/{done}", json={"creditCost": 1}).status_code == 401


def test_staged_jobs_survive_a_restart(simulator_factory):
    first = simulator_factory()
    theirs = first.stage_job(teammate=True, credit_cost=4)["id"]
    first.stop()

    second = simulator_factory()

    assert listing(second, scope="team")["jobs"][0]["id"] == theirs
    assert second.store.balance() == 10000 - 4
