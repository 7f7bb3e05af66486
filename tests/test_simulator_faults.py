"""Scripted and random faults of the Apiframe simulator, and its HTTP control API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from apiframe_simulator import Fault, FaultPlan, SimulatorServer
from apiframe_simulator.faults import FAILED_JOB_MESSAGE

BODY = {"prompt": "A fox in the snow", "model": "hailuo-2.3-fast"}


def post_submit(server: SimulatorServer, key: str | None = None, **kw) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return server.client().post("/v2/videos/generate", json=BODY, headers=headers, **kw)


# Scripted HTTP faults


def test_scripted_statuses_play_in_order_then_stop(simulator):
    simulator.faults.push("submit", Fault.status(429, retry_after=2), Fault.status(503))

    first, second, third = (post_submit(simulator, "k") for _ in range(3))

    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert second.status_code == 503
    assert "retry-after" not in second.headers
    assert third.status_code == 202
    assert simulator.jobs_created_for_key("k") == 1
    assert simulator.request_count("submit") == 3


def test_faults_only_hit_their_route(simulator):
    simulator.faults.push("job", Fault.status(500))

    assert simulator.client().get("/v2/me").status_code == 200
    assert post_submit(simulator).status_code == 202
    assert (
        simulator.client().get("/v2/jobs/00000000-0000-4000-8000-000000000000").status_code == 500
    )


def test_slow_answer(simulator):
    simulator.faults.push("job", Fault.slow(0.6))
    job_id = post_submit(simulator).json()["jobId"]
    client = simulator.client()

    with pytest.raises(httpx.ReadTimeout):
        client.get(f"/v2/jobs/{job_id}", timeout=0.2)
    started = time.monotonic()
    assert client.get(f"/v2/jobs/{job_id}").status_code == 200
    assert time.monotonic() - started < 0.5


def test_slow_submit_still_creates_the_job(simulator):
    simulator.faults.push("submit", Fault.slow(0.5))

    with pytest.raises(httpx.ReadTimeout):
        post_submit(simulator, "slow", timeout=0.2)
    time.sleep(0.4)

    assert simulator.jobs_created_for_key("slow") == 1
    assert post_submit(simulator, "slow").status_code == 202
    assert simulator.jobs_created_for_key("slow") == 1


def test_dropped_connection(simulator):
    simulator.faults.push("me", Fault.drop())

    with pytest.raises(httpx.RemoteProtocolError):
        simulator.client().get("/v2/me")
    assert simulator.client().get("/v2/me").status_code == 200


def test_answer_lost_after_the_job_was_created(simulator):
    simulator.faults.push("submit", Fault.drop(processed=True))

    with pytest.raises(httpx.RemoteProtocolError):
        post_submit(simulator, "lost")
    retry = post_submit(simulator, "lost")

    assert retry.status_code == 202
    assert simulator.jobs_created_for_key("lost") == 1
    assert simulator.store.count() == 1


def test_malformed_answer(simulator):
    simulator.faults.push("submit", Fault.malformed())

    response = post_submit(simulator)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert simulator.store.count() == 0


def test_failed_job_is_not_billed(simulator, http_stub):
    hook = http_stub.answer("/hook")
    simulator.faults.push("submit", Fault.fail_job("Upstream model refused the prompt"))
    response = simulator.client().post("/v2/videos/generate", json=BODY | {"webhookUrl": hook})
    assert response.status_code == 202

    job = simulator.finish(response.json()["jobId"])

    expected = ("FAILED", "Upstream model refused the prompt", 0)
    assert (job["status"], job["error"], job["creditCost"]) == expected
    assert job["result"] is None
    assert simulator.client().get("/v2/me").json()["team"]["credits"] == 10000
    requests = http_stub.wait_for(lambda seen: any(_event(r) == "failed" for r in seen))
    failed = next(json.loads(r.body) for r in requests if _event(r) == "failed")
    assert (failed["status"], failed["error"], failed["creditCost"]) == expected


@pytest.mark.parametrize(
    "push",
    [
        lambda server: server.faults.push("submit", Fault.fail_job("")),
        lambda server: server.client().post(
            "/_simulator/faults", json={"submit": [{"kind": "fail_job", "message": ""}]}
        ),
        lambda server: server.client().post(
            "/_simulator/faults", json={"submit": [{"kind": "fail_job"}]}
        ),
    ],
    ids=["in-process", "control-api-empty-message", "control-api-no-message"],
)
def test_it_fails_a_job_whose_fault_has_no_message_with_a_default_one(simulator, push):
    push(simulator)
    job_id = post_submit(simulator).json()["jobId"]

    job = simulator.finish(job_id, timeout=5)

    assert (job["status"], job["error"], job["creditCost"]) == ("FAILED", FAILED_JOB_MESSAGE, 0)


def test_control_api_refuses_a_fault_message_that_is_not_text(simulator):
    plan = {"submit": [{"kind": "fail_job", "message": 5}]}
    assert simulator.client().post("/_simulator/faults", json=plan).status_code == 400
    assert simulator.faults.pending() == {}


def _finished_file_url(server: SimulatorServer) -> str:
    job_id = post_submit(server).json()["jobId"]
    return server.finish(job_id)["result"]["videoUrl"]


def test_missing_file(simulator):
    url = _finished_file_url(simulator)
    simulator.faults.push("file", Fault.missing_file())

    assert httpx.get(url).status_code == 404
    assert httpx.get(url).status_code == 200


def test_truncated_file(simulator):
    url = _finished_file_url(simulator)
    simulator.faults.push("file", Fault.truncated())

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url)
    assert httpx.get(url).status_code == 200


# Webhook faults


def _event(request) -> str:
    return request.headers["X-Webhook-Event"]


def _hooked_job(server: SimulatorServer, hook: str, events: list[str] | None = None) -> str:
    body = BODY | {"webhookUrl": hook} | ({"webhookEvents": events} if events else {})
    return server.client().post("/v2/videos/generate", json=body).json()["jobId"]


def test_webhook_duplicate(simulator, http_stub):
    simulator.faults.push("webhook", Fault.webhook_duplicate())
    simulator.complete_now(_hooked_job(simulator, http_stub.answer("/hook"), ["completed"]))

    requests = http_stub.wait_for(lambda seen: len(seen) >= 2)

    assert [_event(r) for r in requests] == ["completed", "completed"]
    assert requests[0].body == requests[1].body
    assert requests[0].headers["X-Webhook-Signature"] == requests[1].headers["X-Webhook-Signature"]


# Two-second jobs leave the progress milestones far enough apart for each to get its own event.


def test_webhook_drop(simulator_factory, http_stub):
    simulator = simulator_factory(job_seconds=2.0)
    simulator.faults.push("webhook", Fault.webhook_drop())
    job_id = _hooked_job(simulator, http_stub.answer("/hook"), ["progress", "completed"])

    requests = http_stub.wait_for(lambda seen: any(_event(r) == "completed" for r in seen))

    progress = [json.loads(r.body)["progress"] for r in requests if _event(r) == "progress"]
    assert len(progress) == 2  # of the three milestones, the first was lost
    assert progress[0] >= 50
    assert simulator.wait_for(job_id)["status"] == "COMPLETED"


def test_webhook_reorder(simulator_factory, http_stub):
    simulator = simulator_factory(job_seconds=2.0)
    simulator.faults.push("webhook", Fault.webhook_reorder())
    _hooked_job(simulator, http_stub.answer("/hook"))

    requests = http_stub.wait_for(lambda seen: len(seen) >= 4)

    progress = [json.loads(r.body)["progress"] for r in requests if _event(r) == "progress"]
    assert progress[0] > progress[1]
    assert sorted(progress) == sorted(set(progress))


# Pushing faults


@pytest.mark.parametrize(
    ("route", "fault"),
    [
        ("job", Fault.fail_job()),
        ("submit", Fault.truncated()),
        ("me", Fault.webhook_drop()),
        ("webhook", Fault.status(500)),
        ("nowhere", Fault.drop()),
    ],
)
def test_faults_that_do_not_fit_their_route_are_refused(route, fault):
    with pytest.raises(ValueError):
        FaultPlan().push(route, fault)


# Random faults


def _draws(plan: FaultPlan, route: str = "me", count: int = 300) -> list[Fault | None]:
    return [plan.next_for(route) for _ in range(count)]


def test_seeded_random_faults_repeat():
    first = _draws(FaultPlan(rate=0.3, seed=7))

    assert first == _draws(FaultPlan(rate=0.3, seed=7))
    assert first != _draws(FaultPlan(rate=0.3, seed=8))
    kinds = {(f.kind, f.code) for f in first if f is not None}
    assert kinds == {
        ("status", 429),
        ("status", 500),
        ("status", 503),
        ("slow", None),
        ("drop", None),
        ("malformed", None),
    }
    assert 60 <= sum(f is not None for f in first) <= 120


def test_random_faults_spare_files_and_webhooks():
    plan = FaultPlan(rate=1.0, seed=1)

    assert _draws(plan, "file", 50) == [None] * 50
    assert _draws(plan, "webhook", 50) == [None] * 50
    assert FaultPlan(rate=0.0, seed=1).next_for("submit") is None


def test_scripted_faults_come_before_random_ones():
    plan = FaultPlan(rate=1.0, seed=1)
    plan.push("job", Fault.status(418))

    assert plan.next_for("job") == Fault.status(418)


def _outcomes(server: SimulatorServer, count: int) -> list[str]:
    client = server.client()
    outcomes = []
    for _ in range(count):
        try:
            response = client.get("/v2/me", timeout=5)
            response.json()
            outcomes.append(str(response.status_code))
        except httpx.RemoteProtocolError:
            outcomes.append("drop")
        except json.JSONDecodeError:
            outcomes.append("malformed")
    return outcomes


def _expected(fault: Fault | None) -> str:
    if fault is None or fault.kind == "slow":
        return "200"
    return str(fault.code) if fault.kind == "status" else fault.kind


def test_seeded_random_faults_are_the_same_over_http(
    simulator_factory: Callable[..., SimulatorServer], tmp_path
):
    # Seed 6 draws five kinds of fault in 12 requests, none of them slow (which would cost time).
    runs = [
        _outcomes(simulator_factory(seed=6, fault_rate=0.5, data_dir=tmp_path / run), 12)
        for run in ("a", "b")
    ]

    assert runs[0] == runs[1]
    assert runs[0] == [_expected(f) for f in _draws(FaultPlan(rate=0.5, seed=6), count=12)]
    assert {"429", "500", "503", "drop", "malformed"} <= set(runs[0])


# The control API, for simulators running in another process


def test_control_api_pushes_faults(simulator):
    client = simulator.client()
    plan = {"submit": [Fault.status(429, retry_after=1).to_json(), {"kind": "drop"}]}

    response = client.post("/_simulator/faults", json=plan)

    assert response.json() == {"pendingFaults": {"submit": 2}}
    assert post_submit(simulator).status_code == 429
    with pytest.raises(httpx.RemoteProtocolError):
        post_submit(simulator)
    assert post_submit(simulator).status_code == 202


@pytest.mark.parametrize(
    "plan",
    [
        {"job": [{"kind": "explode"}]},
        {"job": [{"kind": "fail_job"}]},
        {"submit": [{"kind": "status"}]},
        {"submit": [{"kind": "slow", "speed": 3}]},
        {"submit": {"kind": "drop"}},
        {"nowhere": [{"kind": "drop"}]},
        [{"kind": "drop"}],
    ],
)
def test_control_api_refuses_bad_faults(simulator, plan):
    response = simulator.client().post("/_simulator/faults", json=plan)

    assert response.status_code == 400
    assert response.json()["details"]
    assert simulator.faults.pending() == {}


def test_control_api_stats_and_reset(simulator):
    client = simulator.client()
    job_id = post_submit(simulator, "one").json()["jobId"]
    post_submit(simulator, "one")
    client.get("/v2/me")
    simulator.finish(job_id)
    simulator.faults.push("me", Fault.status(500))

    stats = client.get("/_simulator/stats").json()

    assert stats["requests"] == {"submit": 2, "me": 1}
    assert stats["jobsByIdempotencyKey"] == {"one": 1}
    assert (stats["jobs"], stats["credits"], stats["pendingFaults"]) == (1, 9995, {"me": 1})
    assert client.post("/_simulator/reset").json() == {"reset": True}
    after = client.get("/_simulator/stats").json()
    assert after == {
        "requests": {},
        "jobs": 0,
        "jobsByIdempotencyKey": {},
        "credits": 10000,
        "pendingFaults": {},
    }
    assert client.get(f"/v2/jobs/{job_id}").status_code == 404


def test_control_api_needs_the_key(simulator):
    anonymous = simulator.client(authenticated=False)

    assert anonymous.get("/_simulator/stats").status_code == 401
    assert anonymous.post("/_simulator/reset").status_code == 401
    assert anonymous.post("/_simulator/faults", json={}).status_code == 401
