"""Every mistake a member can make in the form gets its own message, and costs them nothing typed."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.models import OrmQ

from generations.forms import GenerationForm
from generations.images import MAX_BYTES
from generations.models import PROMPT_MAX_LENGTH, Generation, Prompt, Status
from tests.fixtures import picture

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPT = "A red fox running through fresh snow at dawn"


def post(client, htmx=True, files=None, **fields):
    data = {"prompt": PROMPT, "resolution": "768p", "duration": "6", "prompt_optimizer": "on"}
    data.update(fields)
    data.update(files or {})
    return client.post(reverse("generation_create"), data, **(HTMX if htmx else {}))


def upload(content: bytes, name: str) -> dict:
    return {"image": SimpleUploadedFile(name, content)}


def error_slot(response, field: str) -> str:
    """The text of one field's error slot in an htmx answer."""
    html = response.content.decode()
    start = html.index(f'id="errors-{field}"')
    return html[start : html.index("</div>", start)]


def test_it_queues_a_prompt_and_answers_with_its_card(
    alice_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(alice_client)
    assert response.status_code == 200
    generation = Generation.objects.get()
    assert f'id="gen-{generation.pk}"' in response.content.decode()
    assert PROMPT in response.content.decode()
    assert (generation.status, generation.resolution, generation.duration) == ("waiting", "768p", 6)
    assert generation.prompt_optimizer is True
    assert generation.estimated_credits == 5
    assert OrmQ.objects.count() == 1  # the submit task, queued once the row was committed


def test_the_same_words_reuse_one_prompt(alice_client, bob_client):
    post(alice_client)
    post(bob_client)
    prompt = Prompt.objects.get()
    assert prompt.use_count == 2 and prompt.generations.count() == 2


def test_an_uploaded_first_frame_is_kept_under_a_generated_name(alice_client):
    response = post(alice_client, files=upload(picture(), "../../etc/My Holiday.png"))
    assert response.status_code == 200
    generation = Generation.objects.get()
    assert generation.first_frame.name == f"first-frames/{generation.pk}.png"


def test_an_empty_prompt_is_refused(alice_client):
    response = post(alice_client, prompt="   ")
    assert "the prompt can&#x27;t be empty" in error_slot(response, "prompt")
    assert not Generation.objects.exists()


def test_an_overlong_prompt_is_refused(alice_client):
    response = post(alice_client, prompt="x" * 2001)
    assert "The prompt is 2001 characters; the limit is 2000." in error_slot(response, "prompt")


def test_1080p_is_six_seconds_only(alice_client):
    response = post(alice_client, resolution="1080p", duration="10")
    assert "1080p clips are 6 seconds long" in error_slot(response, "duration")
    assert not Generation.objects.exists()


def test_an_unknown_resolution_is_refused(alice_client):
    response = post(alice_client, resolution="4k")
    assert "Select a valid choice" in error_slot(response, "resolution")


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"just text", "notes.png", "This file is not an image the studio can read"),
        (picture(fmt="GIF"), "anim.gif", "GIF images can&#x27;t be a first frame"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "logo.svg",
            "SVG drawings can&#x27;t be a first frame",
        ),
        (picture(fmt="JPEG"), "photo.png", "The file is named as PNG but contains a JPEG image"),
        (picture((400, 200)), "small.png", "its shorter side must be at least 300 px"),
        (picture((1600, 600)), "wide.png", "it must be between 2:5 (tall) and 5:2 (wide)"),
    ],
)
def test_each_broken_image_rule_is_named(alice_client, content, name, message):
    response = post(alice_client, files=upload(content, name))
    assert message in error_slot(response, "image")
    assert not Generation.objects.exists()


def test_an_upload_and_an_address_together_are_refused(alice_client):
    response = post(
        alice_client, files=upload(picture(), "a.png"), image_url="https://example.com/a.png"
    )
    assert "not both" in error_slot(response, "image_url")


def test_an_address_that_is_not_http_is_refused(alice_client):
    response = post(alice_client, image_url="ftp://example.com/a.png")
    assert "only http:// and https:// addresses can be used" in error_slot(response, "image_url")


def test_an_address_inside_the_network_is_refused(alice_client):
    response = post(alice_client, image_url="http://127.0.0.1:9/a.png")
    assert "private or local network" in error_slot(response, "image_url")


def test_errors_leave_the_form_as_the_member_left_it(alice_client):
    response = post(
        alice_client, files=upload(picture(), "a.png"), resolution="1080p", duration="10"
    )
    html = response.content.decode()
    assert response["HX-Reswap"] == "none"  # nothing typed or chosen is replaced
    assert "<textarea" not in html and 'type="file"' not in html
    assert 'hx-swap-oob="true"' in html


def test_without_htmx_errors_come_back_on_the_whole_page_with_the_prompt(alice_client):
    response = post(alice_client, htmx=False, resolution="1080p", duration="10")
    assert response.status_code == 400
    html = response.content.decode()
    assert "1080p clips are 6 seconds long" in html
    assert PROMPT in html


def test_remixing_fills_the_form_with_the_same_settings(alice_client, bob, make_generation):
    source = make_generation(bob, prompt="Koi fish in a pond", status="completed",
                             resolution="1080p", duration=6, prompt_optimizer=False)  # fmt: skip
    html = alice_client.get(reverse("generation_remix", args=[source.pk]), **HTMX).content.decode()
    assert "Koi fish in a pond</textarea>" in html
    assert re.search(r'<input type="radio" name="resolution" value="1080p"[^>]* checked>', html)
    optimizer = re.search(r'<input type="checkbox" name="prompt_optimizer"[^>]*>', html).group()
    assert "checked" not in optimizer


def test_a_teammates_prompt_can_be_used(alice_client, bob, make_generation):
    generation = make_generation(bob, prompt="Paper boats on a rainy street")
    response = alice_client.get(reverse("studio") + f"?prompt={generation.prompt_id}")
    assert "Paper boats on a rainy street</textarea>" in response.content.decode()


def test_retrying_a_failed_clip_starts_a_new_one(alice_client, alice, make_generation):
    failed = make_generation(alice, status="failed", failure_reason="Apiframe is having an outage.")
    response = alice_client.post(reverse("generation_retry", args=[failed.pk]), **HTMX)
    assert response.status_code == 200
    retry = Generation.objects.exclude(pk=failed.pk).get()
    assert (retry.status, retry.retry_of_id, retry.prompt_id) == (
        Status.WAITING,
        failed.pk,
        failed.prompt_id,
    )


def test_the_form_shows_the_limits_the_form_checks(alice_client):
    html = alice_client.get(reverse("studio")).content.decode()
    assert re.search(rf'<textarea name="prompt"[^>]* maxlength="{PROMPT_MAX_LENGTH}"', html)
    assert f"/ {PROMPT_MAX_LENGTH} characters" in html
    assert f"At most {MAX_BYTES // (1024 * 1024)} MB" in html
    assert re.search(r'<input type="url" name="image_url"[^>]* maxlength="2000"', html)


def test_every_field_has_the_error_slot_its_messages_are_swapped_into(alice_client):
    html = alice_client.get(reverse("studio")).content.decode()
    for name in [*GenerationForm.base_fields, "__all__"]:
        assert f'id="errors-{name}"' in html, name
