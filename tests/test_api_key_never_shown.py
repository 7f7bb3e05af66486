"""The Apiframe key (and the simulator's) never appears in a page, a log line or an error report,
even when Apiframe echoes it back in an error message."""

import json
import logging
import sys

import httpx
import pytest
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from generations.apiframe import GenerationRequest, client
from generations.apiframe import errors as api
from generations.models import Generation, Status
from generations.pipeline import submit
from tests.url_walk import every_page

KEY = "afk_live_CANARY_7d1f3b9a52e84c60"
SIMULATOR_KEY = "afk_sim_CANARY_0c5e2a7f13"


@pytest.fixture(autouse=True)
def distinctive_keys(settings, http_stub):
    settings.APIFRAME_API_KEY = KEY
    settings.SIMULATOR_API_KEY = SIMULATOR_KEY
    settings.APIFRAME_SIMULATED = False
    settings.APIFRAME_BASE_URL = http_stub.url  # nothing here may reach the real Apiframe
    client._clients.clear()
    yield
    client._clients.clear()


def assert_hidden(text: str) -> None:
    assert KEY not in text and SIMULATOR_KEY not in text
    assert "CANARY" not in text  # not even part of one


def echoing_errors(stub) -> None:
    """An Apiframe that quotes the key back in every error, as some APIs do."""
    echo = {"error": f"Invalid API key {KEY}", "details": {"key": [f"{KEY} is unknown"]}}
    for path, status in [("/v2/videos/generate", 400), ("/v2/jobs/x", 401), ("/v2/me", 503)]:
        stub.answer(path, status, json.dumps(echo).encode(), "application/json")


@pytest.fixture
def failed_clip(alice, make_generation) -> Generation:
    return make_generation(alice, "A glass city", "failed", failure_reason="Outage.")


def test_it_renders_no_page_with_the_key(staff_client, alice_client, failed_clip, settings):
    pages = [page.url for page in every_page(failed_clip)]
    pages += [
        f"/admin/generations/generation/{failed_clip.pk}/change/",
        f"/admin/generations/prompt/{failed_clip.prompt_id}/change/",
        f"/admin/auth/user/{failed_clip.owner_id}/change/",
    ]
    rendered = 0
    for browser in (staff_client, alice_client):
        for url in pages:
            response = browser.get(url)
            if response.status_code == 200 and not response.streaming:
                assert_hidden(response.content.decode())
                rendered += 1
    assert rendered > 40


def test_it_keeps_the_key_out_of_client_errors_and_logs(http_stub, caplog):
    echoing_errors(http_stub)
    caplog.set_level(logging.DEBUG)
    apiframe = client.get_client()
    request = GenerationRequest(prompt="x", resolution="768p", duration=6, prompt_optimizer=True)
    raised = []
    for call in (
        lambda: apiframe.submit(request, idempotency_key="k"),
        lambda: apiframe.get_job("x"),
        apiframe.me,
    ):
        with pytest.raises(api.ApiframeError) as error:
            call()
        raised.append(error.value)
    assert [type(e) for e in raised] == [
        api.ValidationFailed,
        api.InvalidApiKey,
        api.ServiceUnavailable,
    ]
    for error in raised:
        assert_hidden(f"{error} {error.message!r} {error.body!r} {error.user_message}")
    assert_hidden(repr(raised[0].details))
    assert_hidden(caplog.text)
    # The key did go where it belongs: in the header of each request.
    sent = [{name.lower(): value for name, value in r.headers.items()} for r in http_stub.requests]
    assert {headers.get("x-api-key") for headers in sent} == {KEY}


def test_it_keeps_the_key_out_of_a_refused_clip(http_stub, caplog, failed_clip, alice_client):
    echoing_errors(http_stub)
    caplog.set_level(logging.DEBUG)
    generation = failed_clip.retry(by=failed_clip.owner)
    submit.submit(generation)
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert_hidden(generation.failure_reason + generation.last_error)
    assert_hidden(caplog.text)
    assert_hidden(alice_client.get(generation.get_absolute_url()).content.decode())


def test_it_keeps_the_key_out_of_a_transport_error(settings, caplog):
    settings.APIFRAME_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    caplog.set_level(logging.DEBUG)
    with pytest.raises(api.TransportError) as error:
        client.get_client().me()
    assert_hidden(str(error.value) + caplog.text)


def error_report(request) -> str:
    """What Django's error mail and debug page would show for the exception being handled."""
    reporter = ExceptionReporter(request, *sys.exc_info())
    return reporter.get_traceback_text() + reporter.get_traceback_html()


def test_it_cleanses_the_keys_from_the_settings_in_an_error_report():
    request = RequestFactory().get("/", HTTP_X_API_KEY=KEY, APIFRAME_API_KEY=KEY)
    try:
        raise RuntimeError("something broke")
    except RuntimeError:
        report = error_report(request)
    assert "APIFRAME_API_KEY" in report and "SIMULATOR_API_KEY" in report  # listed, but hidden
    assert "********************" in report
    assert_hidden(report)


@pytest.fixture
def broken_http(monkeypatch):
    """Making the Apiframe client crashes, with the key in the crashing functions' variables."""

    def broken_client(*args, **kwargs):
        raise httpx.InvalidURL("cannot use this base URL")

    monkeypatch.setattr(client.httpx, "Client", broken_client)


def test_it_cleanses_the_key_from_a_crash_while_making_the_client(broken_http):
    request = RequestFactory().get("/admin/usage/")
    try:
        client.get_client()
    except httpx.InvalidURL:
        report = error_report(request)
    assert "get_client" in report and "__init__" in report  # the frames are in the report
    assert_hidden(report)


def test_it_cleanses_the_key_from_the_debug_error_page(broken_http, monkeypatch, settings, staff):
    settings.DEBUG = True  # the page shows every frame's variables
    monkeypatch.setattr("generations.views.prompts.Paginator", lambda *a: client.get_client())
    browser = Client(raise_request_exception=False)
    browser.force_login(staff)
    response = browser.get("/prompts/")
    assert response.status_code == 500 and "get_client" in response.content.decode()
    assert_hidden(response.content.decode())
