"""At phone, tablet and desktop size a member logs in, writes a prompt, presses Generate, sees her
card come into view without hunting for it, and plays the clip once it is ready."""

import pytest
from playwright.sync_api import Locator, expect

from tests.browsers import DEVICES, card_for, log_in, quick_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from quick_studio(tmp_path_factory, "alice")


def press(control: Locator, *, touch: bool) -> None:
    """A tap on a touch screen, a click elsewhere."""
    if touch:
        control.tap()
    else:
        control.click()


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_a_member_makes_and_plays_a_clip(device, pages, studio):
    page = log_in(pages.open(device), studio, "alice")
    prompt = f"Paper boats on a flooded street, seen on a {device}"
    field = page.get_by_label("Prompt", exact=True)
    if not field.is_visible():
        # Small screens fold the form away behind one control named as the form is.
        press(page.get_by_role("button", name="New clip"), touch=device.has_touch)
    field.fill(prompt)
    press(page.get_by_role("button", name="Generate"), touch=device.has_touch)

    # Her card is in view at once: the page shows it, she does not scroll to find it.
    card = card_for(page, prompt)
    expect(card).to_be_in_viewport(ratio=0.5, timeout=5_000)

    play = card.get_by_role("button", name="Play the clip")
    expect(play).to_be_visible(timeout=30_000)
    press(play, touch=device.has_touch)
    video = card.locator("video")
    page.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0", arg=video.element_handle(), timeout=15_000
    )
    assert pages.take_errors() == []
