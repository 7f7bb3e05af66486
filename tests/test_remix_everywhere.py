"""One Remix, the same from every page: the clip's words, settings and first frame, and a label
saying whose clip is being remixed."""

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.fixtures import picture

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def bobs_clip(bob, make_generation):
    clip = make_generation(
        bob, "Paper boats on a canal", "completed", resolution="768p", duration=10
    )
    clip.first_frame.save("canal.png", ContentFile(picture((800, 450))))
    return clip


def remix_link(clip) -> str:
    return f'href="{reverse("studio")}?remix={clip.pk}"'


def assert_remix_form(html: str, clip) -> None:
    assert "remixing bob's clip" in html
    assert "Paper boats on a canal</textarea>" in html
    assert f'name="reuse_image_of" value="{clip.pk}"' in html
    assert f'src="{clip.first_frame.url}"' in html  # the preview of the frame it will reuse
    assert re.search(r'name="duration" value="10"[^>]*checked', html)  # and its settings


def test_the_studio_card_swaps_the_form_in_place(alice_client, bobs_clip):
    html = alice_client.get(reverse("studio")).content.decode()
    assert remix_link(bobs_clip) in html  # a real link, so it works without script too
    assert f'hx-get="{reverse("generation_remix", args=[bobs_clip.pk])}"' in html
    form = alice_client.get(reverse("generation_remix", args=[bobs_clip.pk]), **HTMX)
    assert_remix_form(form.content.decode(), bobs_clip)


def test_the_clip_page_links_to_the_same_remix(alice_client, bobs_clip):
    html = alice_client.get(bobs_clip.get_absolute_url()).content.decode()
    assert remix_link(bobs_clip) in html
    studio = alice_client.get(f"{reverse('studio')}?remix={bobs_clip.pk}").content.decode()
    assert_remix_form(studio, bobs_clip)
    assert "data-open" in studio  # on a phone, the form opens with the remix in it


def test_the_prompt_page_remix_is_a_plain_link(alice_client, bobs_clip):
    """That page has no form to swap: a link to the studio, not an htmx request with no target."""
    html = alice_client.get(bobs_clip.prompt.get_absolute_url()).content.decode()
    assert remix_link(bobs_clip) in html
    assert "hx-get" not in html.split(remix_link(bobs_clip))[1].split(">")[0]
    assert 'hx-target="#studio-form"' not in html


def test_a_remix_of_a_deleted_clip_starts_an_empty_form(alice_client, bobs_clip):
    bobs_clip.soft_delete()
    html = alice_client.get(f"{reverse('studio')}?remix={bobs_clip.pk}").content.decode()
    assert "remixing" not in html and "Paper boats on a canal</textarea>" not in html
