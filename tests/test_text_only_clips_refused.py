"""Apiframe refusing a clip without a first frame, end to end against the simulator: the member is
told in words, the clip costs nothing, and the form asks for an image until a text-only clip
succeeds again."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apiframe_simulator import Fault
from apiframe_simulator.faults import IMAGE_REQUIRED_MESSAGE
from generations.apiframe import GenerationRequest, get_client
from generations.apiframe import errors as api
from generations.apiframe.errors import FIRST_FRAME_NEEDED
from generations.forms import FIRST_FRAME_ASKED
from generations.models import FirstFrameRequirement, Generation, Status
from generations.models.first_frame_requirements import RETRY_TEXT_ONLY_AFTER
from generations.pipeline import tasks, track
from tests.fixtures import picture

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPT = "A lighthouse in a storm, waves breaking over the rocks"
SHAPES = ["submit", "job"]  # a 400 at submit, or a job that fails saying so


def first_frame() -> SimpleUploadedFile:
    return SimpleUploadedFile("frame.png", picture((640, 360)))


def start(owner, **fields) -> Generation:
    return Generation.start(owner=owner, prompt_text=PROMPT, **fields)


def run_until_settled(seconds: float = 30) -> None:
    """What the cluster does: the submit task, then the tracker until nothing is left to do."""
    for generation in Generation.objects.filter(status=Status.WAITING):
        tasks.submit_generation(str(generation.pk))
    assert track.run_tracker(seconds=seconds)
    assert not Generation.objects.in_pipeline().exists(), "the tracker stopped with work left"


def made(generation: Generation) -> Generation:
    run_until_settled()
    generation.refresh_from_db()
    return generation


def post(client, files=None, htmx=True):
    data = {"prompt": PROMPT, "resolution": "768p", "duration": "6", "prompt_optimizer": "on"}
    return client.post(reverse("generation_create"), data | (files or {}), **(HTMX if htmx else {}))


def legend(client) -> str:
    html = client.get(reverse("studio")).content.decode()
    start = html.index("<legend>First frame")
    return html[start : html.index("</legend>", start)]


def text(response) -> str:
    return unescape(response.content.decode())


def error_slot(response, field: str) -> str:
    html = text(response)
    start = html.index(f'id="errors-{field}"')
    return html[start : html.index("</div>", start)]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_refused_text_only_clip_fails_in_words_costs_nothing_and_marks_the_first_frame(
    studio_simulator, alice, shape
):
    studio_simulator.set_require_image(shape)

    generation = made(start(alice))

    assert generation.status == Status.FAILED
    assert generation.failure_reason == FIRST_FRAME_NEEDED
    assert generation.credit_cost == 0 and generation.settled_at is not None
    assert Generation.objects.credits() == 0
    assert Generation.objects.standing(alice).spent == 0
    assert FirstFrameRequirement.current().stands()
    if shape == "job":
        assert studio_simulator.job(generation.job_id)["error"] == IMAGE_REQUIRED_MESSAGE
    else:
        assert generation.job_id == "" and studio_simulator.store.count() == 0


def test_a_failed_job_reported_by_webhook_marks_the_first_frame_too(
    studio_simulator, alice, settings, live_server
):
    settings.PUBLIC_URL = live_server.url
    studio_simulator.set_require_image("job")

    generation = made(start(alice))

    assert generation.failure_reason == FIRST_FRAME_NEEDED
    assert studio_simulator.request_count("job") == 0  # the failure arrived by webhook
    assert FirstFrameRequirement.current().stands()


def test_then_the_form_asks_for_an_image_and_a_clip_with_one_is_made(
    studio_simulator, alice, alice_client, bob_client
):
    studio_simulator.set_require_image("submit")
    made(start(alice))

    refused = post(bob_client)
    whole_page = post(bob_client, htmx=False)

    assert FIRST_FRAME_ASKED in error_slot(refused, "image")
    assert whole_page.status_code == 400
    assert FIRST_FRAME_ASKED in error_slot(whole_page, "image")
    assert PROMPT in text(whole_page)  # nothing typed is lost
    assert "(needed)" in legend(bob_client)
    assert Generation.objects.count() == 1

    assert post(alice_client, files={"image": first_frame()}).status_code == 200
    with_image = made(Generation.objects.get(first_frame__startswith="first-frames/"))
    assert with_image.status == Status.COMPLETED, with_image.failure_reason
    assert FirstFrameRequirement.current().stands()  # a clip with an image proves nothing


def test_an_image_clip_failing_over_its_image_leaves_text_only_clips_alone(studio_simulator, alice):
    studio_simulator.faults.push("submit", Fault.fail_job(IMAGE_REQUIRED_MESSAGE))

    generation = made(start(alice, first_frame=first_frame()))

    assert (
        generation.failure_reason == f"Apiframe could not make this clip: {IMAGE_REQUIRED_MESSAGE}"
    )
    assert not FirstFrameRequirement.current().stands()


def test_a_day_on_one_text_only_clip_is_let_through_and_its_success_clears_the_mark(
    studio_simulator, alice, alice_client, bob_client
):
    studio_simulator.set_require_image("submit")
    made(start(alice))
    # Apiframe changes its mind (switched over the control route, as a running one would be).
    studio_simulator.client().post("/_simulator/require-image", json={"requireImage": None})
    FirstFrameRequirement.objects.update(refused_at=timezone.now() - RETRY_TEXT_ONLY_AFTER)
    assert "(optional)" in legend(alice_client)

    assert post(alice_client).status_code == 200  # the day's one try
    assert FIRST_FRAME_ASKED in error_slot(post(bob_client), "image")  # while it is out
    text_only = made(Generation.objects.get(status=Status.WAITING))

    assert text_only.status == Status.COMPLETED, text_only.failure_reason
    assert not FirstFrameRequirement.current().stands()
    assert "(optional)" in legend(bob_client)
    assert post(bob_client).status_code == 200


def test_the_client_names_the_refusal_only_for_a_request_without_an_image(studio_simulator):
    studio_simulator.set_require_image("submit")
    client = get_client()

    with pytest.raises(api.FirstFrameRequired) as text_only:
        client.submit(GenerationRequest(prompt=PROMPT), idempotency_key="text-only")
    with pytest.raises(api.ValidationFailed) as bad_image:
        client.submit(
            GenerationRequest(prompt=PROMPT, image_url=f"{studio_simulator.url}/uploads/gone.png"),
            idempotency_key="bad-image",
        )

    assert text_only.value.details == {"hailuoParams.image": ["Required"]}
    assert not isinstance(bad_image.value, api.FirstFrameRequired)
    assert "hailuoParams.image" in bad_image.value.details
