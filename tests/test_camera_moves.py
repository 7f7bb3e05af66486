"""Hailuo's camera commands in a prompt: the studio form offers the 15 as buttons, and the clip's
and the prompt's pages show each bracket of known commands highlighted (up to three together),
leave any other bracket alone, and never let the prompt's text become markup."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from generations.camera_moves import CAMERA_MOVES, count_camera_moves, highlight_camera_moves

# As the contract lists them (/work/shared/apiframe/CONTRACT.md), spelling and all.
CONTRACT = (
    "[Truck left]", "[Truck right]", "[Pan left]", "[Pan right]", "[Push in]", "[Pull out]",
    "[Pedestal up]", "[Pedestal down]", "[Tilt up]", "[Tilt down]", "[Zoom in]", "[Zoom out]",
    "[Shake]", "[Tracking shot]", "[Static shot]",
)  # fmt: skip


def marks(html: str) -> list[str]:
    return re.findall(r'<mark class="camera-move">(.*?)</mark>', html)


def test_the_studio_knows_the_contracts_fifteen():
    assert [f"[{move}]" for move in CAMERA_MOVES] == list(CONTRACT)


@pytest.mark.parametrize("bracket", CONTRACT)
def test_each_command_is_highlighted(bracket):
    html = highlight_camera_moves(f"A quiet street at dusk {bracket} then rain")
    assert marks(html) == [bracket]
    assert html == f'A quiet street at dusk <mark class="camera-move">{bracket}</mark> then rain'
    assert count_camera_moves(bracket) == 1


@pytest.mark.parametrize(
    ("prompt", "highlighted", "count"),
    [
        ("[Pan left, Pedestal up] a crane shot", ["[Pan left, Pedestal up]"], 2),
        ("[Truck left,Zoom in , Shake] chaos", ["[Truck left,Zoom in , Shake]"], 3),
        (
            "in order [Push in] then [Pull out][Static shot]",
            ["[Push in]", "[Pull out]", "[Static shot]"],
            3,
        ),
        ("[pan left] lower case", ["[pan left]"], 1),
    ],
)
def test_combinations_and_sequences(prompt, highlighted, count):
    assert marks(highlight_camera_moves(prompt)) == highlighted
    assert count_camera_moves(prompt) == count


@pytest.mark.parametrize(
    "prompt",
    [
        "[Pan left, Pan right, Zoom in, Shake] four at once is not a command",
        "[Spin around] is not one of Hailuo's",
        "[Pan left, sideways] one unknown spoils the bracket",
        "[] empty, [ , ] and [Pan left,] with an empty part",
        "[[Pan left]] keeps its inner command only",
        "unclosed [Pan left",
    ],
)
def test_unknown_brackets_are_left_alone(prompt):
    html = highlight_camera_moves(prompt)
    expected = ["[Pan left]"] if prompt.startswith("[[") else []
    assert marks(html) == expected
    assert count_camera_moves(prompt) == len(expected)


def test_it_escapes_the_text_around_and_inside(db):
    prompt = (
        '<script>alert(1)</script> [Pan left] <img src=x onerror=alert(2)> & "q" [<b>Shake</b>]'
    )
    html = highlight_camera_moves(prompt)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt; "
        '<mark class="camera-move">[Pan left]</mark> '
        "&lt;img src=x onerror=alert(2)&gt; &amp; &quot;q&quot; [&lt;b&gt;Shake&lt;/b&gt;]"
    )


def test_the_filter_escapes_like_autoescape(db):
    template = Template("{% load camera_moves %}{{ text|camera_moves }}")
    html = template.render(Context({"text": "</mark><script>x</script>[Zoom out]"}))
    assert html == (
        '&lt;/mark&gt;&lt;script&gt;x&lt;/script&gt;<mark class="camera-move">[Zoom out]</mark>'
    )


def test_the_form_offers_the_fifteen_as_buttons(alice_client):
    html = alice_client.get(reverse("studio")).content.decode()
    buttons = re.findall(r'<button type="button" data-camera-move="([^"]+)">\1</button>', html)
    assert buttons == list(CAMERA_MOVES)
    assert '<summary class="button">Camera moves</summary>' in html
    assert "data-camera-move-count" in html and "js/camera_moves.js" in html


PROMPT = 'A <b>lighthouse</b> & waves [Push in, Tilt up] then "calm" [Static shot] [Fly away]'


@pytest.mark.parametrize("page", ["clip", "prompt"])
def test_the_clip_and_prompt_pages_highlight_them(alice, alice_client, make_generation, page):
    clip = make_generation(alice, PROMPT, "completed")
    url = clip.get_absolute_url() if page == "clip" else clip.prompt.get_absolute_url()
    html = alice_client.get(url).content.decode()
    heading = html[html.index('<h1 class="prompt-full">') : html.index("</h1>")]
    assert marks(heading) == ["[Push in, Tilt up]", "[Static shot]"]
    assert "<b>" not in heading and "&lt;b&gt;lighthouse&lt;/b&gt; &amp; waves" in heading
    assert "[Fly away]" in heading
