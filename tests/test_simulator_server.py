"""The Apiframe simulator over real sockets: auth, validation, lifecycle, files, credits, webhooks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiframe_simulator import SimulatorServer
from generations.apiframe.signatures import verify
from generations.video import probe

PROMPT = "A paper boat drifting down a rainy street"


def generate_body(**params: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": PROMPT, "model": "hailuo-2.3-fast"}
    if params:
        body["hailuoParams"] = params
    return body


def submit(server: SimulatorServer, body: dict[str, Any] | None = None, **headers: str) -> str:
    response = server.client().post(
        "/v2/videos/generate", json=body or generate_body(), headers=headers
    )
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def upload(server: SimulatorServer, data: bytes, name: str = "frame.png") -> httpx.Response:
    return server.client().post("/v2/uploads", files={"file": (name, data, "image/png")})


# Authentication and routing


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v2/videos/generate"),
        ("GET", "/v2/jobs/8f6f0a39-2b1e-4c57-9d0e-3a1b5c7d9e21"),
        ("POST", "/v2/uploads"),
        ("GET", "/v2/me"),
        ("GET", "/_simulator/stats"),
    ],
)
@pytest.mark.parametrize("key", [None, "afk_wrong"])
def test_refuses_missing_or_wrong_key(simulator, method, path, key):
    client = simulator.client(key=key, authenticated=key is not None)

    response = client.request(method, path, json=generate_body())

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid or missing API key"}
    assert response.headers["x-request-id"].startswith("req_")


def test_unknown_path_and_wrong_method(simulator):
    client = simulator.client()

    assert client.get("/v2/nothing").status_code == 404
    assert client.get("/v2/videos/generate").status_code == 405
    assert client.get("/v2/nothing").headers["x-request-id"]


# Validation


def _with(**changes: Any) -> dict[str, Any]:
    return generate_body() | changes


VALIDATION_CASES = {
    "empty prompt": (_with(prompt=""), "prompt"),
    "prompt of 2001 chars": (_with(prompt="x" * 2001), "prompt"),
    "missing prompt": ({"model": "hailuo-2.3-fast"}, "prompt"),
    "wrong model": (_with(model="hailuo-02"), "model"),
    "unknown top-level field": (_with(seed=4), "(root)"),
    "unknown field in hailuoParams": (generate_body(fps=30), "hailuoParams"),
    "bad resolution": (generate_body(resolution="4k"), "hailuoParams.resolution"),
    "bad duration": (generate_body(duration=8), "hailuoParams.duration"),
    "1080p for 10 s": (generate_body(resolution="1080p", duration=10), "hailuoParams.duration"),
    "prompt_optimizer not a boolean": (
        generate_body(prompt_optimizer="yes"),
        "hailuoParams.prompt_optimizer",
    ),
    "image not a URI": (generate_body(image="frame one"), "hailuoParams.image"),
    "image not http": (generate_body(image="ftp://example.com/a.png"), "hailuoParams.image"),
    "webhookUrl not a URI": (_with(webhookUrl="not a url"), "webhookUrl"),
    "bad webhook event": (
        _with(webhookUrl="http://h/x", webhookEvents=["done"]),
        "webhookEvents.0",
    ),
    "no webhook events": (_with(webhookUrl="http://h/x", webhookEvents=[]), "webhookEvents"),
    "body not an object": ([1, 2], "(root)"),
}


@pytest.mark.parametrize(("body", "path"), VALIDATION_CASES.values(), ids=VALIDATION_CASES.keys())
def test_validation_errors_name_the_field(simulator, body, path):
    response = simulator.client().post("/v2/videos/generate", json=body)

    assert response.status_code == 400
    details = response.json()["details"]
    assert path in details, details
    assert all(isinstance(message, str) and message for message in details[path])
    assert simulator.store.count() == 0


def test_body_that_is_not_json(simulator):
    response = simulator.client().post("/v2/videos/generate", content=b"{prompt: ")

    assert response.status_code == 400
    assert "(root)" in response.json()["details"]


def test_long_idempotency_key_is_refused(simulator):
    response = simulator.client().post(
        "/v2/videos/generate", json=generate_body(), headers={"Idempotency-Key": "k" * 256}
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["details"]


def test_key_of_255_chars_is_fine(simulator):
    submit(simulator, **{"Idempotency-Key": "k" * 255})


def test_webhook_url_spelling_of_the_product_page_is_accepted(simulator):
    job_id = submit(simulator, _with(webhook_url="http://127.0.0.1:9/hook"))

    assert simulator.job(job_id)["input"]["webhookUrl"] == "http://127.0.0.1:9/hook"


def test_image_url_that_cannot_be_fetched(simulator):
    body = generate_body(image="http://127.0.0.1:9/frame.png")

    response = simulator.client().post("/v2/videos/generate", json=body)

    assert response.status_code == 400
    assert "hailuoParams.image" in response.json()["details"]


@pytest.mark.parametrize(("status", "content"), [(200, b"<html>not an image</html>"), (404, b"")])
def test_image_url_that_is_not_an_image(simulator, http_stub, status, content):
    url = http_stub.answer("/frame.png", status, content)

    response = simulator.client().post("/v2/videos/generate", json=generate_body(image=url))

    assert response.status_code == 400
    assert "hailuoParams.image" in response.json()["details"]


def test_image_url_on_the_web_is_fetched_and_used(simulator, http_stub, make_image):
    url = http_stub.answer("/frame.jpg", 200, make_image((512, 512), "JPEG"), "image/jpeg")

    job_id = submit(simulator, generate_body(image=url))
    job = simulator.finish(job_id)

    assert job["status"] == "COMPLETED"
    assert [request.path for request in http_stub.requests] == ["/frame.jpg"]
    info = probe(simulator.store.clip_path(job_id))
    assert (info.width, info.height) == (768, 768)


# Lifecycle, files, expiry


def test_job_goes_queued_processing_completed(simulator_factory):
    simulator = simulator_factory(job_seconds=1.5)
    job_id = submit(simulator)
    client = simulator.client()
    seen = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        job = client.get(f"/v2/jobs/{job_id}").json()
        seen.append((job["status"], job["progress"]))
        if job["status"] == "COMPLETED":
            break
        time.sleep(0.03)

    statuses = [status for status, _ in seen]
    assert statuses[0] == "QUEUED"
    assert statuses[-1] == "COMPLETED"
    assert statuses == sorted(statuses, key=["QUEUED", "PROCESSING", "COMPLETED"].index)
    processing = [progress for status, progress in seen if status == "PROCESSING"]
    assert len(set(processing)) >= 3
    assert processing == sorted(processing)
    assert all(1 <= progress <= 99 for progress in processing)
    assert job["progress"] == 100
    assert job["creditCost"] == 5
    assert job["error"] is None
    assert job["result"] == {"videoUrl": f"{simulator.url}/files/{job_id}.mp4"}
    assert job["createdAt"].endswith("Z") and job["completedAt"].endswith("Z")
    assert job["expired"] is False


def test_job_ids_must_be_uuids_and_known(simulator):
    client = simulator.client()

    assert client.get("/v2/jobs/not-a-uuid").status_code == 400
    assert client.get(f"/v2/jobs/{uuid.uuid4()}").status_code == 404


def test_file_is_served_without_auth_as_a_real_mp4(simulator, tmp_path):
    job_id = submit(simulator)
    url = simulator.finish(job_id)["result"]["videoUrl"]

    response = httpx.get(url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert int(response.headers["content-length"]) == len(response.content)
    (tmp_path / "clip.mp4").write_bytes(response.content)
    info = probe(tmp_path / "clip.mp4")
    assert (info.codec, info.height) == ("h264", 768)
    assert info.duration == pytest.approx(6, abs=0.2)
    assert httpx.head(url).headers["content-length"] == response.headers["content-length"]


@pytest.mark.parametrize(
    ("shape", "expected"),
    [("string", "{url}"), ("url", {"url": "{url}"}), ("list", ["{url}"])],
)
def test_result_shape_is_configurable(simulator_factory, shape, expected):
    server = simulator_factory(result_shape=shape)
    job_id = submit(server)
    url = f"{server.url}/files/{job_id}.mp4"

    result = server.finish(job_id)["result"]

    assert json.dumps(result) == json.dumps(expected).replace("{url}", url)


def test_completed_job_expires_and_its_file_goes(simulator_factory):
    # Long enough to fetch the file on a busy machine, short enough to wait out.
    server = simulator_factory(retention_seconds=2.0)
    job_id = submit(server)
    url = server.finish(job_id)["result"]["videoUrl"]
    assert httpx.get(url).status_code == 200

    deadline = time.monotonic() + 15
    while not (job := server.client().get(f"/v2/jobs/{job_id}").json())["expired"]:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)

    assert job["expired"] is True
    assert httpx.get(url).status_code == 404
    assert not server.store.clip_path(job_id).exists()


# Idempotency and credits


def test_replay_with_same_key_returns_the_original_job(simulator):
    key = "gen-42"
    first = submit(simulator, generate_body(resolution="768p"), **{"Idempotency-Key": key})
    # Same request, keys in another order: still the same body.
    reordered = {
        "hailuoParams": {"resolution": "768p"},
        "model": "hailuo-2.3-fast",
        "prompt": PROMPT,
    }
    response = simulator.client().post(
        "/v2/videos/generate", json=reordered, headers={"Idempotency-Key": key}
    )

    assert response.status_code == 202
    assert response.json()["jobId"] == first
    assert simulator.jobs_created_for_key(key) == 1
    assert simulator.request_count("submit") == 2


def test_replay_of_a_completed_job_reports_its_status(simulator):
    job_id = submit(simulator, **{"Idempotency-Key": "done"})
    simulator.finish(job_id)

    response = simulator.client().post(
        "/v2/videos/generate", json=generate_body(), headers={"Idempotency-Key": "done"}
    )

    assert response.json() == {"jobId": job_id, "status": "COMPLETED"}
    assert simulator.store.balance() == 10000 - 5


def test_same_key_with_another_body_is_a_conflict(simulator):
    submit(simulator, **{"Idempotency-Key": "k1"})

    response = simulator.client().post(
        "/v2/videos/generate", json=_with(prompt="Another"), headers={"Idempotency-Key": "k1"}
    )

    assert response.status_code == 409
    assert response.json()["error"]
    assert simulator.jobs_created_for_key("k1") == 1


def test_insufficient_credits_counts_jobs_in_flight(simulator_factory):
    server = simulator_factory(credits=7, job_seconds=30)
    submit(server)

    response = server.client().post("/v2/videos/generate", json=generate_body())

    assert response.status_code == 402
    assert response.json() == {
        "error": "Insufficient credits",
        "creditsRequired": 5,
        "creditsAvailable": 2,
    }


def test_balance_drops_by_the_price_once_a_job_completes(simulator):
    client = simulator.client()
    assert client.get("/v2/me").json()["team"]["credits"] == 10000

    job_id = submit(simulator)
    assert client.get("/v2/me").json()["team"]["credits"] == 10000
    simulator.finish(job_id)

    me = client.get("/v2/me").json()
    assert me["team"]["credits"] == 9995
    assert me["apiKey"]["prefix"] == simulator.api_key[:8]


# Uploads


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_upload_of_an_image(simulator, make_image, image_format, content_type, extension):
    data = make_image(image_format=image_format)

    response = upload(simulator, data)

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["contentType"], body["byteSize"]) == (
        "image",
        content_type,
        len(data),
    )
    assert body["url"] == f"{simulator.url}/uploads/{body['id']}.{extension}"
    served = httpx.get(body["url"])
    assert (served.content, served.headers["content-type"]) == (data, content_type)


@pytest.mark.parametrize(
    ("field", "content"),
    [("file", b"just some text"), ("file", b""), ("other", None)],
    ids=["not an image", "empty", "no file field"],
)
def test_upload_refused(simulator, make_image, field, content):
    files = {field: ("frame.png", make_image() if content is None else content, "image/png")}

    response = simulator.client().post("/v2/uploads", files=files)

    assert response.status_code == 400
    assert "file" in response.json()["details"]


def test_upload_that_is_not_multipart(simulator, make_image):
    response = simulator.client().post("/v2/uploads", content=make_image())

    assert response.status_code == 400


def test_upload_over_25_mb_is_refused(simulator, make_image):
    data = make_image() + b"\0" * (25 * 1024 * 1024)

    response = upload(simulator, data)

    assert response.status_code == 400
    assert "file" in response.json()["details"]
    assert simulator.client().get("/v2/me").status_code == 200


def test_uploaded_image_is_the_first_frame(simulator, make_image):
    url = upload(simulator, make_image((512, 512))).json()["url"]

    job_id = submit(simulator, generate_body(image=url))
    simulator.finish(job_id)

    info = probe(simulator.store.clip_path(job_id))
    assert (info.width, info.height) == (768, 768)


def test_expired_or_unknown_upload_url_is_refused(simulator, make_image):
    url = upload(simulator, make_image()).json()["url"]
    record = simulator.uploads.directory / f"{Path(url).stem}.json"
    record.write_text(json.dumps(json.loads(record.read_text()) | {"expires_at": time.time() - 1}))

    for image in (url, f"{simulator.url}/uploads/{uuid.uuid4()}.png"):
        response = simulator.client().post("/v2/videos/generate", json=generate_body(image=image))
        assert response.status_code == 400
        assert "hailuoParams.image" in response.json()["details"]
    assert httpx.get(url).status_code == 404


# Webhooks


def _events(requests) -> list[str]:
    return [request.headers["X-Webhook-Event"] for request in requests]


def test_webhooks_are_signed_and_cover_the_lifecycle(simulator_factory, http_stub):
    simulator = simulator_factory(job_seconds=2.0)  # progress milestones well apart
    hook = http_stub.answer("/hook", 204)
    job_id = submit(simulator, _with(webhookUrl=hook))

    requests = http_stub.wait_for(lambda seen: "completed" in _events(seen))

    assert _events(requests)[-1] == "completed"
    assert _events(requests).count("progress") >= 2
    for request in requests:
        assert verify(request.body, request.headers["X-Webhook-Signature"], simulator.api_key)
        assert request.headers["Content-Type"] == "application/json"
    progress = [json.loads(r.body) for r in requests if r.headers["X-Webhook-Event"] == "progress"]
    assert all(event["status"] == "PROCESSING" and event["jobId"] == job_id for event in progress)
    assert [event["progress"] for event in progress] == sorted(e["progress"] for e in progress)
    completed = json.loads(requests[-1].body)
    assert completed["status"] == "COMPLETED"
    assert completed["creditCost"] == 5
    assert completed["result"] == {"videoUrl": f"{simulator.url}/files/{job_id}.mp4"}
    assert completed["completedAt"].endswith("Z")
    _wait_for_webhook_status(simulator, job_id, "delivered")


def test_only_the_chosen_webhook_events_are_sent(simulator, http_stub):
    hook = http_stub.answer("/hook")
    job_id = submit(simulator, _with(webhookUrl=hook, webhookEvents=["completed"]))
    simulator.finish(job_id)

    requests = http_stub.wait_for(lambda seen: len(seen) >= 1)
    time.sleep(0.2)

    assert _events(http_stub.requests) == ["completed"]
    assert requests[0].path == "/hook"


def test_webhook_to_a_failing_receiver_is_marked_failed(simulator, http_stub):
    hook = http_stub.answer("/hook", 500)
    job_id = submit(simulator, _with(webhookUrl=hook, webhookEvents=["completed"]))
    simulator.complete_now(job_id)

    _wait_for_webhook_status(simulator, job_id, "failed")

    assert len(http_stub.requests) == 3  # the first attempt and two retries


def _wait_for_webhook_status(server: SimulatorServer, job_id: str, status: str) -> None:
    deadline = time.monotonic() + 10
    while server.job(job_id)["webhookStatus"] != status:
        assert time.monotonic() < deadline, server.job(job_id)
        time.sleep(0.02)


# Persistence and robustness


def test_jobs_and_files_survive_a_restart(simulator_factory):
    first = simulator_factory(credits=100)
    done = submit(first, **{"Idempotency-Key": "before-restart"})
    first.finish(done)
    in_flight = submit(first)
    first.stop()

    second = simulator_factory(credits=100)
    job = second.client().get(f"/v2/jobs/{done}").json()

    assert job["status"] == "COMPLETED"
    assert httpx.get(job["result"]["videoUrl"]).status_code == 200
    assert second.wait_for(in_flight)["status"] == "COMPLETED"
    assert second.client().get("/v2/me").json()["team"]["credits"] == 90
    replay = second.client().post(
        "/v2/videos/generate", json=generate_body(), headers={"Idempotency-Key": "before-restart"}
    )
    assert replay.json()["jobId"] == done


def test_seeded_servers_hand_out_the_same_job_ids(simulator_factory, tmp_path):
    ids = []
    for run in ("a", "b"):
        server = simulator_factory(seed=11, data_dir=tmp_path / run)
        ids.append([submit(server) for _ in range(3)])
        server.stop()

    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 3


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /v2/videos/generate HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b'POST /v2/videos/generate HTTP/1.1\r\nContent-Length: 50\r\n\r\n{"pr',
        b"GET /v2/jobs/%ff%fe HTTP/1.1\r\nX-API-Key: {key}\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),
    ],
    ids=["garbage", "bad length", "short body", "bad path", "tls hello"],
)
def test_malformed_requests_never_kill_the_server(simulator, raw):
    answer = b""
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=2) as connection:
        connection.sendall(raw.replace(b"{key}", simulator.api_key.encode()))
        connection.shutdown(socket.SHUT_WR)
        while chunk := connection.recv(65536):
            answer += chunk

    head = answer.split(b"\r\n\r\n")[0].lower()
    assert not answer or (b"x-request-id: req_" in head and b"application/json" in head)
    assert simulator.client().get("/v2/me").status_code == 200


# The management command


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_command_serves_until_interrupted(tmp_path, stop_signal):
    port = _free_port()
    command = [
        sys.executable,
        "manage.py",
        "simulate_apiframe",
        "--port",
        str(port),
        "--api-key",
        "afk_demo",
        "--job-seconds",
        "1",
        "--render",
        "cached",
        "--data-dir",
        str(tmp_path),
    ]
    process = subprocess.Popen(
        command, cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        me = httpx.get(f"http://127.0.0.1:{port}/v2/me", headers={"X-API-Key": "afk_demo"})
        assert me.status_code == 200
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("resolution", "duration", "image_size", "clip_size", "price"),
    [("768p", 10, None, (1366, 768), 10), ("1080p", 6, (1280, 720), (1920, 1080), 10)],
)
def test_full_render(
    simulator_factory, make_image, resolution, duration, image_size, clip_size, price
):
    server = simulator_factory(render_mode="full")
    params = {"resolution": resolution, "duration": duration}
    if image_size:
        params["image"] = upload(server, make_image(image_size, "JPEG")).json()["url"]

    job_id = submit(server, generate_body(**params))
    job = server.wait_for(job_id, timeout=120)

    assert (job["status"], job["creditCost"]) == ("COMPLETED", price), job
    info = probe(server.store.clip_path(job_id))
    assert (info.width, info.height) == clip_size
    assert info.duration == pytest.approx(duration, abs=0.2)


def _free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]
