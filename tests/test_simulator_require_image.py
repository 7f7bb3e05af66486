"""The simulator's --require-image: Apiframe refusing clips without a first frame, over real HTTP,
in both shapes (a 400 at submit, a job that fails), switched by option, argument or control route."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from apiframe_simulator import SimulatorServer
from apiframe_simulator.__main__ import parser
from apiframe_simulator.faults import IMAGE_REQUIRED_MESSAGE
from apiframe_simulator.validation import FORMAT_CHECKER, response_schema
from tests.fixtures import picture
from tooling.processes import PYTHON, ProcessGroup, free_port

GENERATE = "POST /v2/videos/generate"
GET_JOB = "GET /v2/jobs/{id}"
TEXT_ONLY = {"prompt": "Lanterns over a harbour", "model": "hailuo-2.3-fast"}


def documented(response: httpx.Response, operation: str, status: int) -> Any:
    """The answer's body, once it has this status and validates against the contract's schema."""
    assert response.status_code == status, response.text
    body = response.json()
    schema = Draft202012Validator(response_schema(operation, status), format_checker=FORMAT_CHECKER)
    assert not [error.message for error in schema.iter_errors(body)], body
    return body


def with_uploaded_image(server: SimulatorServer) -> dict[str, Any]:
    upload = server.client().post(
        "/v2/uploads", files={"file": ("frame.png", picture((640, 360)), "image/png")}
    )
    assert upload.status_code == 201, upload.text
    return TEXT_ONLY | {"hailuoParams": {"image": upload.json()["url"]}}


def submit(server: SimulatorServer, body: dict[str, Any]) -> httpx.Response:
    return server.client().post("/v2/videos/generate", json=body)


def test_at_submit_a_clip_without_an_image_is_a_400_naming_the_image(simulator_factory):
    server = simulator_factory(require_image="submit")

    refused = documented(submit(server, TEXT_ONLY), GENERATE, 400)
    also_empty_params = submit(server, TEXT_ONLY | {"hailuoParams": {"resolution": "768p"}})

    assert refused["details"] == {"hailuoParams.image": ["Required"]}
    assert documented(also_empty_params, GENERATE, 400)["details"]["hailuoParams.image"]
    assert server.store.count() == 0  # refused before any job existed: nothing billed
    documented(submit(server, with_uploaded_image(server)), GENERATE, 202)


def test_other_mistakes_are_reported_beside_the_missing_image(simulator_factory):
    server = simulator_factory(require_image="submit")

    refused = documented(submit(server, TEXT_ONLY | {"prompt": ""}), GENERATE, 400)

    assert set(refused["details"]) == {"prompt", "hailuoParams.image"}


def test_as_a_failed_job_it_is_accepted_then_fails_saying_so_and_costs_nothing(simulator_factory):
    server = simulator_factory(require_image="job")
    credits = server.store.balance()

    job_id = documented(submit(server, TEXT_ONLY), GENERATE, 202)["jobId"]
    server.finish(job_id)
    job = documented(server.client().get(f"/v2/jobs/{job_id}"), GET_JOB, 200)

    assert (job["status"], job["error"], job["creditCost"]) == ("FAILED", IMAGE_REQUIRED_MESSAGE, 0)
    assert job["result"] is None
    assert server.store.balance() == credits

    with_image = documented(submit(server, with_uploaded_image(server)), GENERATE, 202)["jobId"]
    assert server.finish(with_image)["status"] == "COMPLETED"


def test_the_control_route_switches_a_running_simulator(simulator):
    client = simulator.client()
    assert client.get("/_simulator/require-image").json() == {"requireImage": None}
    documented(submit(simulator, TEXT_ONLY), GENERATE, 202)

    switched = client.post("/_simulator/require-image", json={"requireImage": "submit"})
    assert switched.json() == {"requireImage": "submit"}
    documented(submit(simulator, TEXT_ONLY), GENERATE, 400)
    assert client.get("/_simulator/require-image").json() == {"requireImage": "submit"}

    client.post("/_simulator/require-image", json={"requireImage": None})
    documented(submit(simulator, TEXT_ONLY), GENERATE, 202)


@pytest.mark.parametrize("body", [{"requireImage": "always"}, {}, ["submit"], {"requireImage": 1}])
def test_the_control_route_refuses_what_it_does_not_know(simulator, body):
    response = simulator.client().post("/_simulator/require-image", json=body)

    assert response.status_code == 400
    assert response.json()["details"] == {"requireImage": ["Expected 'submit' | 'job' | null"]}
    assert simulator.require_image is None


def test_the_control_route_needs_the_key(simulator):
    anonymous = simulator.client(authenticated=False)

    assert (
        anonymous.post("/_simulator/require-image", json={"requireImage": "job"}).status_code == 401
    )
    assert simulator.require_image is None


def test_a_reset_goes_back_to_how_the_simulator_was_started(simulator_factory):
    server = simulator_factory(require_image="job")
    server.set_require_image(None)

    server.client().post("/_simulator/reset")

    assert server.require_image == "job"


def test_the_option_defaults_to_refusing_at_submit_and_can_fail_the_job():
    options = parser()

    assert options.parse_args([]).require_image is None
    assert options.parse_args(["--require-image"]).require_image == "submit"
    assert options.parse_args(["--require-image", "job"]).require_image == "job"
    with pytest.raises(SystemExit):
        options.parse_args(["--require-image", "sometimes"])


def test_manage_py_simulate_apiframe_takes_the_option(tmp_path: Path):
    port, key = free_port(), "afk_require_image"
    processes = ProcessGroup(tmp_path / "logs", {**os.environ, "STUDIO_VAR_DIR": str(tmp_path)})
    processes.spawn(
        "simulator",
        [PYTHON, "manage.py", "simulate_apiframe", "--port", str(port), "--api-key", key,
         "--require-image", "job", "--job-seconds", "0.2", "--render", "cached",
         "--data-dir", str(tmp_path / "simulator")],
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        processes.wait_for(f"{url}/v2/models")
        client = httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=10)
        job_id = documented(client.post("/v2/videos/generate", json=TEXT_ONLY), GENERATE, 202)
        deadline = time.monotonic() + 20
        while (job := client.get(f"/v2/jobs/{job_id['jobId']}").json())["status"] != "FAILED":
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert (job["error"], job["creditCost"]) == (IMAGE_REQUIRED_MESSAGE, 0)
    finally:
        processes.stop()


def test_the_constructor_refuses_an_unknown_shape(tmp_path):
    with pytest.raises(ValueError, match="require_image"):
        SimulatorServer(api_key="afk_x", data_dir=tmp_path, require_image="sometimes")
