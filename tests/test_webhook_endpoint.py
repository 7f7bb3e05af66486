"""Apiframe's webhooks: signed events are applied once; anything else changes nothing."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from generations.apiframe import signatures
from generations.models import Generation, Status

JOB_ID = "b2c3d4e5-f6a7-8901-bcde-f23456789012"


@pytest.fixture
def webhook(settings, db):
    settings.APIFRAME_API_KEY = "afk_webhook_test"

    def send(event: dict, *, key="afk_webhook_test", signature=None, body=None):
        raw = body if body is not None else json.dumps(event).encode()
        headers = {"HTTP_X_WEBHOOK_EVENT": event.get("event", "")}
        signed = signature if signature is not None else signatures.sign(raw, key)
        if signed:
            headers["HTTP_X_WEBHOOK_SIGNATURE"] = signed
        client = Client(enforce_csrf_checks=True)  # Apiframe has no session and no CSRF token.
        return client.post(
            reverse("apiframe_webhook"), raw, content_type="application/json", **headers
        )

    return send


@pytest.fixture
def running(alice, make_generation):
    return make_generation(alice, status="processing", job_id=JOB_ID, progress=10)


def completed_event():
    return {"event": "completed", "jobId": JOB_ID, "status": "COMPLETED", "progress": 100,
            "result": "http://127.0.0.1:9/files/x.mp4", "model": "hailuo-2.3-fast",
            "creditCost": 5, "completedAt": "2026-11-24T05:01:30Z"}  # fmt: skip


def state(generation):
    row = Generation.objects.get(pk=generation.pk)
    return row.status, row.progress, row.result_url, row.updated_at


def test_a_signed_progress_event_moves_the_bar(webhook, running):
    response = webhook(
        {"event": "progress", "jobId": JOB_ID, "status": "PROCESSING", "progress": 55}
    )
    assert response.status_code == 204
    assert Generation.objects.get(pk=running.pk).progress == 55


def test_a_signed_completion_makes_the_clip_due_for_storing(webhook, running):
    assert webhook(completed_event()).status_code == 204
    stored = Generation.objects.get(pk=running.pk)
    assert stored.is_storing and stored.credit_cost == 5


def test_a_bare_hex_signature_is_accepted(webhook, running):
    raw = json.dumps(completed_event()).encode()
    bare = signatures.sign(raw, "afk_webhook_test").removeprefix("sha256=")
    assert webhook({}, body=raw, signature=bare).status_code == 204
    assert Generation.objects.get(pk=running.pk).is_storing


def test_a_failure_event_fails_the_generation_with_its_reason(webhook, running):
    webhook({"event": "failed", "jobId": JOB_ID, "status": "FAILED", "error": "NSFW content"})
    failed = Generation.objects.get(pk=running.pk)
    assert failed.status == Status.FAILED
    assert failed.failure_reason == "Apiframe could not make this clip: NSFW content"


def test_an_unsigned_event_is_refused_without_effect(webhook, running):
    before = state(running)
    assert webhook(completed_event(), signature="").status_code == 401
    assert state(running) == before


def test_an_event_signed_with_another_key_is_refused(webhook, running):
    before = state(running)
    assert webhook(completed_event(), key="afk_someone_else").status_code == 401
    assert state(running) == before


def test_a_tampered_body_is_refused(webhook, running):
    raw = json.dumps(completed_event()).encode()
    signature = signatures.sign(raw, "afk_webhook_test")
    tampered = raw.replace(b'"creditCost": 5', b'"creditCost": 0')
    assert webhook({}, body=tampered, signature=signature).status_code == 401
    assert Generation.objects.get(pk=running.pk).result_url == ""


def test_a_replayed_event_changes_nothing_the_second_time(webhook, running):
    webhook(completed_event())
    after_first = state(running)
    assert webhook(completed_event()).status_code == 204
    assert state(running) == after_first


def test_an_out_of_order_progress_event_is_ignored(webhook, running):
    webhook(completed_event())
    after = state(running)
    webhook({"event": "progress", "jobId": JOB_ID, "status": "PROCESSING", "progress": 80})
    assert state(running) == after


def test_an_unknown_job_is_ignored(webhook, running):
    before = state(running)
    event = {**completed_event(), "jobId": "00000000-0000-4000-8000-00000000ffff"}
    assert webhook(event).status_code == 204
    assert state(running) == before


def test_an_unreadable_signed_body_is_refused(webhook, running):
    assert webhook({}, body=b"{not json").status_code == 400
    assert webhook({}, body=b'{"jobId": "x", "status": "WEIRD"}').status_code == 400


def event_body(**fields) -> bytes:
    return json.dumps({**completed_event(), **fields}).encode()


HOSTILE_EVENTS = {
    "progress 1e999": event_body(status="PROCESSING", progress=0).replace(
        b'"progress": 0', b'"progress": 1e999'
    ),
    "progress NaN": event_body(status="PROCESSING", progress=float("nan")),
    "progress -Infinity": event_body(status="PROCESSING", progress=float("-inf")),
    "creditCost 1e999": event_body(creditCost=0).replace(
        b'"creditCost": 0', b'"creditCost": 1e999'
    ),
    "creditCost negative": event_body(creditCost=-5),
    "creditCost past the column": event_body(creditCost=2**40),
    "nested 200,000 deep": b'{"jobId": "x", "status": "COMPLETED", "result": '
    + b"[" * 200_000
    + b"]" * 200_000
    + b"}",
    "nested 5,000 deep in the result": event_body(result=None).replace(
        b'"result": null', b'"result": ' + b"[" * 5_000 + b"]" * 5_000
    ),
    "a 5,000-digit number": event_body(creditCost=0).replace(
        b'"creditCost": 0', b'"creditCost": ' + b"9" * 5_000
    ),
    "a NUL in the error": event_body(status="FAILED", error="bad\x00news"),
    "a NUL in the job id": event_body(jobId=JOB_ID + "\x00"),
    "a completion time past 9999": event_body(completedAt="9999-12-31T23:59:59-05:00"),
    "an offset of +99:00": event_body(completedAt="2026-11-24T05:01:30+99:00"),
    "a clip address of 3,000 characters": event_body(
        result="https://cdn.example.com/" + "a" * 3000
    ),
    "not UTF-8": event_body().replace(b"hailuo", b"\xff\xfe"),
}


@pytest.mark.parametrize("body", HOSTILE_EVENTS.values(), ids=HOSTILE_EVENTS.keys())
def test_a_signed_but_hostile_body_is_refused_without_effect(webhook, running, body):
    before = state(running)
    assert webhook({}, body=body).status_code == 400
    assert state(running) == before
    assert OrmQ.objects.count() == 0


def test_it_only_takes_post(db):
    assert Client().get(reverse("apiframe_webhook")).status_code == 405


@pytest.mark.parametrize(
    "signature",
    ["sha256=", "sha256=zz", "sha256=" + "0" * 5000, "sha256=é" + "a" * 63, "md5=abc"],
)
def test_a_malformed_signature_is_refused_without_effect(webhook, running, signature):
    before = state(running)
    assert webhook(completed_event(), signature=signature).status_code == 401
    assert state(running) == before


def test_refused_and_unknown_events_queue_no_work(webhook, running):
    unknown = {**completed_event(), "jobId": "00000000-0000-4000-8000-00000000ffff"}
    webhook(completed_event(), signature="")
    webhook(completed_event(), key="afk_someone_else")
    webhook(unknown)
    assert OrmQ.objects.count() == 0
    assert webhook(completed_event()).status_code == 204  # the genuine one does
    assert OrmQ.objects.count() == 1


def test_a_refusal_is_logged_without_the_key_or_the_signature(webhook, running, caplog):
    forged = signatures.sign(json.dumps(completed_event()).encode(), "afk_someone_else")
    webhook(completed_event(), signature=forged)
    assert "Refused a webhook" in caplog.text
    assert "afk_webhook_test" not in caplog.text and forged not in caplog.text
