"""A prompt is shown exactly as typed, and never as markup: HTML and script tags, right-to-left
text, emoji and the full 2000 characters, on every page that shows it."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from generations.models import Generation

PIECE = (
    '<script>alert("owned")</script><img src=x onerror=alert(1)> & <b>bold</b> "double" \'single\' '
    "שלום עולם مرحبا بالعالم 🎬🦊👩‍👩‍👧 "
)
PROMPT = (PIECE * 40)[:1999] + "!"
RAW_MARKUP = ("<script>alert", "<img src=x", "<b>bold")


@pytest.fixture
def generation(alice_client) -> Generation:
    """The prompt, typed into the form by Alice."""
    data = {"prompt": PROMPT, "resolution": "768p", "duration": "6"}
    response = alice_client.post(reverse("generation_create"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert_escaped(response.content.decode(), PROMPT[:219])  # the card htmx adds to the gallery
    return Generation.objects.select_related("prompt").get()


def assert_escaped(html: str, shown: str) -> None:
    for markup in RAW_MARKUP:
        assert markup not in html
    assert escape(shown) in html


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_it_stores_the_prompt_exactly_as_typed(generation):
    assert len(PROMPT) == 2000
    assert generation.prompt.text == PROMPT


def test_it_shows_it_whole_on_the_generation_page(bob_client, generation):
    assert_escaped(page(bob_client, generation.get_absolute_url()), PROMPT)


def test_it_shows_it_whole_on_the_prompt_page(bob_client, generation):
    assert_escaped(page(bob_client, generation.prompt.get_absolute_url()), PROMPT)


def test_it_shows_it_on_the_studio_card(bob_client, generation):
    html = page(bob_client, reverse("studio"))
    assert_escaped(html, PROMPT[:219])  # the card's text is cut short…
    assert f'title="{escape(PROMPT)}"' in html  # …its tooltip and copy button hold it all
    assert f'data-copy="{escape(PROMPT)}"' in html


def test_it_shows_it_in_the_prompt_library(bob_client, generation):
    assert_escaped(page(bob_client, reverse("prompt_library")), PROMPT[:299])


def test_it_fills_the_form_with_it_for_reuse(bob_client, generation):
    html = page(bob_client, reverse("studio") + f"?prompt={generation.prompt_id}")
    assert f"{escape(PROMPT)}</textarea>" in html


@pytest.mark.parametrize(
    "changelist", ["admin:generations_generation_changelist", "admin:generations_prompt_changelist"]
)
def test_it_shows_it_in_the_admin_lists(staff_client, generation, changelist):
    assert_escaped(page(staff_client, reverse(changelist)), PROMPT[:60])


def test_it_shows_it_on_the_admins_generation_page(staff_client, generation):
    html = page(staff_client, reverse("admin:generations_generation_change", args=[generation.pk]))
    for markup in RAW_MARKUP:
        assert markup not in html


@pytest.mark.parametrize("url", ["prompt_library", "studio"])
def test_it_escapes_a_search_for_markup(alice_client, url):
    html = page(alice_client, reverse(url) + "?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in html
    assert escape("<script>alert(1)") in html
