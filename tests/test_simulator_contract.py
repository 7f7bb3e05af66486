"""Every answer the simulator gives validates against Apiframe's own OpenAPI subset."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from apiframe_simulator import Fault, SimulatorServer
from apiframe_simulator.validation import FORMAT_CHECKER, response_schema

GENERATE = "POST /v2/videos/generate"
GET_JOB = "GET /v2/jobs/{id}"
UPLOAD = "POST /v2/uploads"
ME = "GET /v2/me"
BODY = {"prompt": "Lanterns over a harbour", "model": "hailuo-2.3-fast"}


def assert_matches(
    response: httpx.Response, operation: str, status: int, *, schema_of: int | None = None
) -> Any:
    """The response has this status, an x-request-id, and a body valid per the status's schema
    (or per the schema of `schema_of` where the subset documents none)."""
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"]
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    validator = Draft202012Validator(
        response_schema(operation, schema_of or status), format_checker=FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, (body, errors)
    return body


def submit(server: SimulatorServer, body: dict[str, Any] = BODY, **headers: str) -> str:
    response = server.client().post("/v2/videos/generate", json=body, headers=headers)
    return assert_matches(response, GENERATE, 202)["jobId"]


def test_the_format_checker_really_checks():
    validator = Draft202012Validator(response_schema(GENERATE, 202), format_checker=FORMAT_CHECKER)

    assert not validator.is_valid({"jobId": "nope", "status": "QUEUED"})
    assert not validator.is_valid({"jobId": str(uuid.uuid4()), "status": "DONE"})
    job = Draft202012Validator(response_schema(GET_JOB, 200), format_checker=FORMAT_CHECKER)
    assert not job.is_valid({"createdAt": "yesterday"})


def test_submit_answers(simulator_factory):
    server = simulator_factory(credits=5, job_seconds=30)
    client = server.client()

    submit(server)
    bad = client.post("/v2/videos/generate", json=BODY | {"prompt": ""})
    assert assert_matches(bad, GENERATE, 400)["details"]["prompt"]
    assert_matches(
        server.client(key="afk_wrong").post("/v2/videos/generate", json=BODY), GENERATE, 401
    )
    broke = client.post("/v2/videos/generate", json=BODY)
    assert assert_matches(broke, GENERATE, 402)["creditsRequired"] == 5


def test_idempotent_replay_and_conflict_answers(simulator):
    job_id = submit(simulator, **{"Idempotency-Key": "k"})

    assert submit(simulator, **{"Idempotency-Key": "k"}) == job_id
    conflict = simulator.client().post(
        "/v2/videos/generate", json=BODY | {"prompt": "Else"}, headers={"Idempotency-Key": "k"}
    )

    # The subset documents no 409 answer; it is the generic error envelope, as for a 401.
    assert_matches(conflict, GENERATE, 409, schema_of=401)


@pytest.mark.parametrize(
    ("route", "operation", "method", "path"),
    [
        ("submit", GENERATE, "POST", "/v2/videos/generate"),
        ("job", GET_JOB, "GET", "/v2/jobs/8f6f0a39-2b1e-4c57-9d0e-3a1b5c7d9e21"),
        ("upload", UPLOAD, "POST", "/v2/uploads"),
        ("me", ME, "GET", "/v2/me"),
    ],
)
def test_rate_limit_answers(simulator, route, operation, method, path):
    simulator.faults.push(route, Fault.status(429, retry_after=3))

    response = simulator.client().request(method, path, json=BODY)

    assert_matches(response, operation, 429)
    assert response.headers["retry-after"] == "3"


def test_outage_answer(simulator):
    simulator.faults.push("submit", Fault.status(503))

    assert_matches(simulator.client().post("/v2/videos/generate", json=BODY), GENERATE, 503)


def test_job_answers_in_every_state(simulator_factory):
    server = simulator_factory(job_seconds=2.0, retention_seconds=0.5)
    client = server.client()
    server.faults.push("submit", Fault.fail_job("Content policy"))
    failing = submit(server)
    job_id = submit(server)
    seen: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not seen.get("COMPLETED", {}).get("expired"):
        for job in (job_id, failing):
            body = assert_matches(client.get(f"/v2/jobs/{job}"), GET_JOB, 200)
            seen.setdefault(body["status"], body)
            if body["expired"]:
                seen["COMPLETED"] = body
            if body["status"] == "PROCESSING":
                server.complete_now(job)  # seen it; no need to wait out the whole run
        time.sleep(0.02)

    assert set(seen) == {"QUEUED", "PROCESSING", "COMPLETED", "FAILED"}
    assert seen["COMPLETED"]["expired"] is True
    assert seen["FAILED"]["error"] == "Content policy"
    assert_matches(client.get("/v2/jobs/not-a-uuid"), GET_JOB, 400)
    assert_matches(client.get(f"/v2/jobs/{uuid.uuid4()}"), GET_JOB, 404)
    assert_matches(server.client(authenticated=False).get(f"/v2/jobs/{job_id}"), GET_JOB, 401)


def test_upload_answers(simulator, make_image):
    client = simulator.client()

    created = client.post(
        "/v2/uploads", files={"file": ("a.webp", make_image(image_format="WEBP"))}
    )
    refused = client.post("/v2/uploads", files={"file": ("a.txt", b"hello")})
    anonymous = simulator.client(authenticated=False).post(
        "/v2/uploads", files={"file": ("a", b"")}
    )

    assert assert_matches(created, UPLOAD, 201)["kind"] == "image"
    assert "file" in assert_matches(refused, UPLOAD, 400)["details"]
    assert_matches(anonymous, UPLOAD, 401)


def test_me_answers(simulator):
    assert assert_matches(simulator.client().get("/v2/me"), ME, 200)["team"]["credits"] == 10000
    assert_matches(simulator.client(key="afk_wrong").get("/v2/me"), ME, 401)
