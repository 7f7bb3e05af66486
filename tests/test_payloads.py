import pytest

from generations.apiframe.payloads import (
    GenerationRequest,
    Job,
    JobStatus,
    PayloadError,
    result_urls,
)

URL = "https://cdn.example.com/a.mp4"


@pytest.mark.parametrize(
    "result, expected",
    [
        (URL, [URL]),
        ({"videoUrl": URL}, [URL]),
        ({"url": URL}, [URL]),
        (
            [URL, {"videoUrl": "https://cdn.example.com/b.mp4"}],
            [URL, "https://cdn.example.com/b.mp4"],
        ),
        ([{"url": URL}], [URL]),
        (None, []),
        ("", []),
        ({"other": URL}, []),
        (42, []),
    ],
)
def test_it_reads_every_result_shape(result, expected):
    assert result_urls(result) == expected


def job_json(**overrides):
    return {
        "id": "b2c3d4e5-f6a7-8901-bcde-f23456789012",
        "status": "COMPLETED",
        "model": "hailuo-2.3-fast",
        "progress": 100,
        "result": {"videoUrl": URL},
        "error": None,
        "creditCost": 5,
        "webhookStatus": None,
        "createdAt": "2026-11-24T05:00:00Z",
        "completedAt": "2026-11-24T05:01:30.500Z",
        **overrides,
    }


def test_it_parses_a_job():
    job = Job.from_json(job_json())
    assert job.status is JobStatus.COMPLETED
    assert job.video_url == URL
    assert job.credit_cost == 5
    assert (job.completed_at - job.created_at).total_seconds() == 90.5


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "COMPLETED",
        job_json(status="DONE"),
        job_json(id=None),
        job_json(progress="half"),
        job_json(creditCost="five"),
        job_json(createdAt="yesterday"),
    ],
)
def test_it_refuses_a_malformed_job(bad):
    with pytest.raises(PayloadError):
        Job.from_json(bad)


def test_a_webhook_event_reads_as_a_job():
    event = {"event": "completed", "jobId": "b2c3d4e5-f6a7-8901-bcde-f23456789012",
             "status": "COMPLETED", "progress": 100, "result": URL, "creditCost": 5}  # fmt: skip
    job = Job.from_webhook(event)
    assert job.id == event["jobId"] and job.video_url == URL


def test_a_request_without_image_or_webhook_leaves_them_out():
    body = GenerationRequest(prompt="a cat").to_json()
    assert body == {
        "prompt": "a cat",
        "model": "hailuo-2.3-fast",
        "hailuoParams": {"resolution": "768p", "duration": 6, "prompt_optimizer": True},
    }


def test_a_request_with_image_and_webhook_names_them_as_the_openapi_does():
    body = GenerationRequest(
        prompt="a cat", image_url="https://x.test/a.png", webhook_url="https://studio.test/wh/"
    ).to_json()
    assert body["hailuoParams"]["image"] == "https://x.test/a.png"
    assert body["webhookUrl"] == "https://studio.test/wh/"
    assert body["webhookEvents"] == ["progress", "completed", "failed"]
