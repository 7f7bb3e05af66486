"""With the keyboard alone a member logs in, makes a clip (Ctrl+Enter in the prompt), reaches its
card and plays it; every element that takes the focus on the way shows that it has it."""

import pytest
from playwright.sync_api import expect

from tests.browsers import (
    DESKTOP,
    FOCUS_WALK_JS,
    TABLET,
    Keyboard,
    card_for,
    http_member,
    log_in,
    quick_studio,
    report,
    storage_state,
)
from tests.running_studio import MEMBER_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROMPT = "Fireflies in a summer forest, made without a mouse"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from quick_studio(tmp_path_factory, "alice")


def test_a_member_makes_and_plays_a_clip_with_the_keyboard_alone(pages, studio):
    page = pages.open(DESKTOP)
    page.goto(studio.url + "/")
    keys = Keyboard(page)
    problems = []

    # Log in: the user name field has the focus when the page opens. Shift+Tab and back judge
    # the Log in button before Enter leaves the page.
    page.evaluate(FOCUS_WALK_JS, None)
    keys.type("alice")
    keys.press("Tab")
    keys.type(MEMBER_PASSWORD)
    assert keys.tab_to("button[type=submit]", limit=5), "Tab never reaches Log in"
    keys.press("Shift+Tab")
    keys.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{studio.url}/")
    page.evaluate(FOCUS_WALK_JS, None)  # a new page: nothing is carried over

    assert keys.tab_to("#id_prompt"), "Tab never reaches the prompt:\n" + "\n".join(keys.path)
    keys.type(PROMPT)
    keys.press("Control+Enter")
    card = card_for(page, PROMPT)
    try:
        expect(card).to_be_visible(timeout=3_000)
    except AssertionError:
        problems.append("Ctrl+Enter in the prompt does not generate")
        assert keys.tab_to("#studio-form button[type=submit]"), "Tab never reaches Generate"
        keys.press("Enter")
        expect(card).to_be_visible(timeout=3_000)

    # Once the card is ready (its poster swapped in), Tab from the prompt reaches its play button.
    expect(card.get_by_role("button", name="Play the clip")).to_be_visible(timeout=30_000)
    play = f"#{card.get_attribute('id')} [data-play]"
    if not keys.tab_to(play):
        problems.append(
            "Tab never reaches the card's play button:\n    " + "\n    ".join(keys.path)
        )
    else:
        keys.press("Enter")
        page.wait_for_function(
            "v => v.readyState >= 2 && v.currentTime > 0",
            arg=card.locator("video").element_handle(),
            timeout=15_000,
        )
    problems += [f"no visible focus indicator on {name}" for name in dict.fromkeys(keys.unseen)]
    assert not problems, report("Keyboard alone, on a desktop", problems)


def test_the_first_tab_offers_to_skip_to_the_gallery(pages, studio):
    page = pages.open(DESKTOP, storage_state=storage_state(http_member(studio, "alice")))
    page.goto(studio.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the gallery")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    # The next Tab starts inside the gallery, past the header and the form.
    page.keyboard.press("Tab")
    assert page.evaluate(
        "() => document.querySelector('#gallery').contains(document.activeElement)"
    )


def test_escape_closes_what_opened_on_a_tablet(pages, studio):
    page = log_in(pages.open(TABLET), studio, "alice")
    form_toggle = page.get_by_role("button", name="New clip")
    prompt = page.get_by_label("Prompt", exact=True)
    form_toggle.focus()
    page.keyboard.press("Enter")
    expect(prompt).to_be_visible()
    expect(form_toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(prompt).to_be_hidden()
    expect(form_toggle).to_be_focused()  # the focus goes back to what opened it

    menu_toggle = page.get_by_role("button", name="Menu")
    menu_toggle.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Prompt library")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Prompt library")).to_be_hidden()
    expect(menu_toggle).to_be_focused()
