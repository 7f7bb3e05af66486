"""Every fault Apiframe (or the network to it) can throw at a generation, played by the simulator
over real HTTP: each generation ends in the right final state, with words a member understands,
submitted at most once, never asked about by two workers at once, and nothing is left unfinished
once the deadline has passed."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apiframe_simulator import Fault
from generations.models import Generation, Status
from generations.pipeline import cadence, checks, expectations, storage, tasks, track
from tests.conftest import SIMULATOR_KEY
from tests.fixtures import picture

pytestmark = pytest.mark.django_db(transaction=True)

# The client gives up after CLIENT_TIMEOUT; a slow fault answers after SLOW.
CLIENT_TIMEOUT = 0.5
SLOW = 1.0
# Persistent faults outlast this deadline (seconds), and the generation must still end.
SHORT_DEADLINE = 3
MANY = 60  # "every request from now on", for faults that outlast the deadline

COMPLETED = Status.COMPLETED
FAILED = Status.FAILED


@dataclass(frozen=True)
class Case:
    faults: dict[str, tuple[Fault, ...]]
    status: str = COMPLETED
    reason: str = ""  # the exact failure reason, or its beginning when it ends in "…"
    first_frame: bool = False
    jobs: int = 1  # Apiframe jobs created for the generation
    deadline: int | None = None
    simulator: dict[str, Any] = field(default_factory=dict)
    # Ended for the member while Apiframe may still finish (and bill) the job: still followed.
    still_billing: bool = False

    @property
    def abandons_requests(self) -> bool:
        """A slow answer is given up on and retried while Apiframe still works on the first."""
        return any(fault.kind == "slow" for faults in self.faults.values() for fault in faults)


def transient(route: str, *faults: Fault, first_frame: bool = False) -> Case:
    return Case({route: faults}, first_frame=first_frame)


CASES: dict[str, Case] = {
    # Submitting
    "submit 429 with Retry-After": transient("submit", Fault.status(429, retry_after=1)),
    "submit 500": transient("submit", Fault.status(500)),
    "submit 503": transient("submit", Fault.status(503)),
    "submit slower than the client waits": transient("submit", Fault.slow(SLOW)),
    "submit dropped before Apiframe handled it": transient("submit", Fault.drop()),
    "submit dropped after the job was made": transient("submit", Fault.drop(processed=True)),
    "submit answered malformed JSON": transient("submit", Fault.malformed()),
    "submit failing four ways in a row": transient(
        "submit",
        Fault.status(429, retry_after=1),
        Fault.status(503),
        Fault.drop(),
        Fault.malformed(),
    ),
    "submit refused: the key is wrong": Case(
        {"submit": (Fault.status(401),)},
        status=FAILED,
        reason="The studio's Apiframe key was refused. Ask an administrator to check it.",
        jobs=0,
    ),
    "Apiframe down until the deadline": Case(
        {"submit": (Fault.status(503),) * MANY},
        status=FAILED,
        reason="It could not be submitted within 3 seconds: Apiframe is having an outage.",
        jobs=0,
        deadline=SHORT_DEADLINE,
    ),
    # Uploading a local first frame, then submitting with it
    "upload 503": transient("upload", Fault.status(503), first_frame=True),
    "upload slower than the client waits": transient("upload", Fault.slow(SLOW), first_frame=True),
    "upload dropped": transient("upload", Fault.drop(), first_frame=True),
    "submit with a first frame, answer lost after the job was made": transient(
        "submit", Fault.drop(processed=True), first_frame=True
    ),
    "submit with a first frame, slower than the client waits": transient(
        "submit", Fault.slow(SLOW), first_frame=True
    ),
    # Checking the job
    "check 429 with Retry-After": transient("job", Fault.status(429, retry_after=1)),
    "check 500": transient("job", Fault.status(500)),
    "check 503": transient("job", Fault.status(503)),
    "check slower than the client waits": transient("job", Fault.slow(SLOW)),
    "check dropped": transient("job", Fault.drop()),
    "check answered malformed JSON": transient("job", Fault.malformed()),
    "the job is lost": Case(
        {"job": (Fault.status(404),) * checks.MAX_JOB_NOT_FOUND},
        status=FAILED,
        reason="Apiframe no longer knows this job.",
    ),
    "checks time out until the deadline": Case(
        {"job": (Fault.slow(SLOW),) * MANY},
        status=FAILED,
        reason="Apiframe did not finish this clip within 3 seconds.",
        deadline=SHORT_DEADLINE,
        still_billing=True,
    ),
    "the job fails upstream": Case(
        {"submit": (Fault.fail_job("The prompt was flagged by moderation"),)},
        status=FAILED,
        reason="Apiframe could not make this clip: The prompt was flagged by moderation",
    ),
    # Downloading the finished clip
    "download 500": transient("file", Fault.status(500)),
    "download slower than the studio waits": transient("file", Fault.slow(SLOW)),
    "download dropped": transient("file", Fault.drop()),
    "download cut short": transient("file", Fault.truncated()),
    "download cut short three times": transient("file", *(Fault.truncated(),) * 3),
    "download cut short every time": Case(
        {"file": (Fault.truncated(),) * storage.MAX_DOWNLOAD_ATTEMPTS},
        status=FAILED,
        reason="The clip was made, but the studio could not save its copy after 4 tries: "
        "the download was cut short.",
    ),
    "result file missing": Case(
        {"file": (Fault.missing_file(),)},
        status=FAILED,
        reason="The clip was made, but the studio could not save its copy: "
        "Apiframe's link no longer works (HTTP 404).",
    ),
    "result file expired before the studio fetched it": Case(
        {},
        status=FAILED,
        reason="The clip was made, but the studio could not save its copy: "
        "Apiframe's link no longer works (HTTP 404).",
        simulator={"retention_seconds": 0},
    ),
    "downloads failing every time": Case(
        {"file": (Fault.status(503),) * MANY},
        status=FAILED,
        reason="The clip was made, but the studio could not save its copy after 4 tries: "
        "Apiframe's file server answered HTTP 503.",
    ),
}


@pytest.fixture
def studio_on(simulator_factory, settings, monkeypatch):
    """Points the studio at a fresh simulator (built with the given options); fast timeouts."""

    def point(**options):
        simulator = simulator_factory(**options)
        settings.APIFRAME_BASE_URL = simulator.url
        settings.APIFRAME_API_KEY = SIMULATOR_KEY
        settings.APIFRAME_TIMEOUT_SECONDS = CLIENT_TIMEOUT
        settings.EXPECTED_JOB_SECONDS = 1.0
        settings.PUBLIC_URL = ""
        monkeypatch.setattr(storage, "DOWNLOAD_TIMEOUT_SECONDS", CLIENT_TIMEOUT)
        # Shorter backoff between retries (Retry-After still rules): the cases, not the waits.
        monkeypatch.setattr(cadence, "BACKOFF_BASE", 0.1)
        return simulator

    expectations.forget()
    yield point
    expectations.forget()


def start(owner, *, first_frame: bool = False) -> Generation:
    image = SimpleUploadedFile("frame.png", picture((640, 360))) if first_frame else None
    return Generation.start(owner=owner, prompt_text="A kite over a windy beach", first_frame=image)


def settle(generation: Generation) -> Generation:
    """What the cluster does: the queued submit task, then the tracker until the clip ended."""
    tasks.submit_generation(str(generation.pk))
    assert track.run_tracker(seconds=60)
    assert not Generation.objects.changing().exists(), "the tracker stopped with work left"
    generation.refresh_from_db()
    return generation


def assert_reason(generation: Generation, expected: str) -> None:
    if expected.endswith("…"):
        assert generation.failure_reason.startswith(expected[:-1]), generation.failure_reason
    else:
        assert generation.failure_reason == expected


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_it_ends_every_fault_in_the_right_state_submitted_once(case, studio_on, alice, settings):
    simulator = studio_on(**case.simulator)
    if case.deadline is not None:
        settings.GENERATION_DEADLINE_SECONDS = case.deadline
    for route, faults in case.faults.items():
        simulator.faults.push(route, *faults)

    generation = settle(start(alice, first_frame=case.first_frame))

    assert generation.status == case.status, generation.failure_reason
    assert_reason(generation, case.reason)
    assert simulator.jobs_created_for_key(str(generation.pk)) == case.jobs
    assert generation.may_still_bill == case.still_billing
    if not case.abandons_requests:
        assert simulator.overlapping_requests() == {}
    if case.status == COMPLETED:
        assert generation.video and generation.poster
        assert generation.video.size > 0
    else:
        assert not generation.video
    if case.first_frame:
        assert simulator.request_count("upload") >= 1


def test_a_retry_waits_as_long_as_apiframes_retry_after(studio_on, alice):
    simulator = studio_on()
    simulator.faults.push("submit", Fault.status(429, retry_after=20))
    generation = start(alice)

    tasks.submit_generation(str(generation.pk))

    generation.refresh_from_db()
    assert generation.status == Status.WAITING
    assert generation.last_error == "Apiframe is busy right now (rate limited)."
    assert (generation.next_check_at - generation.updated_at).total_seconds() >= 20
    assert not generation.lease_token  # released for whichever worker comes next


def test_a_clip_still_being_saved_at_the_deadline_says_so(alice, settings):
    settings.GENERATION_DEADLINE_SECONDS = 60
    generation = start(alice)
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.PROCESSING, job_id="00000000-0000-4000-8000-000000000003", progress=100,
        result_url="https://cdn.example.com/clip.mp4",
        created_at=timezone.now() - timedelta(minutes=2),
    )  # fmt: skip

    assert checks.fail_overdue() == 1

    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.failure_reason == (
        "The clip was made, but the studio could not save its copy within 1 minute."
    )


@dataclass(frozen=True)
class WebhookCase:
    faults: dict[str, tuple[Fault, ...]]
    status: str = COMPLETED
    reason: str = ""
    polled: bool = False  # whether the safety-net polling had to find the outcome


WEBHOOK_CASES: dict[str, WebhookCase] = {
    "every event delivered twice": WebhookCase({"webhook": (Fault.webhook_duplicate(),) * 10}),
    "events out of order": WebhookCase({"webhook": (Fault.webhook_reorder(),) * 10}),
    "no event ever delivered": WebhookCase({"webhook": (Fault.webhook_drop(),) * 10}, polled=True),
    "a failure reported twice": WebhookCase(
        {
            "submit": (Fault.fail_job("Out of GPU capacity"),),
            "webhook": (Fault.webhook_duplicate(),),
        },
        status=FAILED,
        reason="Apiframe could not make this clip: Out of GPU capacity",
    ),
}


@pytest.mark.parametrize("case", WEBHOOK_CASES.values(), ids=WEBHOOK_CASES.keys())
def test_it_survives_webhooks_twice_out_of_order_or_never(
    case, studio_on, alice, settings, live_server, monkeypatch
):
    simulator = studio_on()
    settings.PUBLIC_URL = live_server.url
    if case.polled:
        # The safety net's first look comes WEBHOOK_GRACE_SECONDS after the expected end.
        monkeypatch.setattr(cadence, "WEBHOOK_GRACE_SECONDS", 1.0)
        monkeypatch.setattr(cadence, "WEBHOOK_SAFETY_NET_INTERVAL", 1.0)
    for route, faults in case.faults.items():
        simulator.faults.push(route, *faults)

    generation = settle(start(alice))

    assert generation.status == case.status, generation.failure_reason
    assert_reason(generation, case.reason)
    assert simulator.jobs_created_for_key(str(generation.pk)) == 1
    # Webhooks alone carried the news, unless none came and polling had to.
    assert (simulator.request_count("job") > 0) == case.polled
