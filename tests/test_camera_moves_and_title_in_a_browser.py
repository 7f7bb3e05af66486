"""Camera moves and word when a clip is done, in a real browser. At desktop and phone size the
camera buttons put their bracket at the prompt's cursor, keeping the focus there, join up to three
in one bracket with "Together" and refuse a fourth in words, and the counter counts them. While a
member's clip runs the tab's title counts it; when it is ready the title and the icon say so until
the member is back, and with "Tell me when my clips are done" on (the browser's permission
granted) the switch stays on after a reload and a tab the member is away from gets a notification
that names the clip and opens it. And Continue from last frame, through the simulator: the
card's menu swaps the form in with the clip's last frame, and the clip made from it continues it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browsers import (
    DESKTOP,
    PHONE,
    accessibility_violations,
    card_for,
    http_member,
    log_in,
    make_clip,
    quick_studio,
    sideways_scroll,
    small_tap_targets,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROMPT = "A harbour at dawn"
CLIP = "A lighthouse keeper climbs the stairs at night, lamp in hand"
STORY = "A paper boat drifts down a gutter in the rain"
NEXT = "The paper boat tips over a drain grate [Tilt down]"
# Stands in for the browser's Notification in the tab the member is away from: records each one
# shown, with the page seen as not focused (a headless tab always has the focus).
NOTIFICATIONS_JS = """
window.shownNotifications = [];
class RecordedNotification extends EventTarget {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { super(); this.title = title; this.body = options.body; window.shownNotifications.push(this); }
  close() {}
}
window.Notification = RecordedNotification;
document.hasFocus = () => false;
"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from quick_studio(tmp_path_factory, "alice", "carol")


def open_form(page: Page) -> None:
    toggle = page.get_by_role("button", name="New clip")
    if toggle.is_visible():
        toggle.click()
    page.get_by_text("Camera moves", exact=True).click()


def move(page: Page, name: str):
    return page.locator(f'[data-camera-move="{name}"]')


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=str)
def test_camera_buttons_insert_at_the_cursor_and_combine(device, pages, studio):
    page = log_in(pages.open(device), studio, "alice" if device is DESKTOP else "carol")
    open_form(page)
    prompt = page.get_by_label("Prompt", exact=True)
    counter = page.locator("#studio-form .hint").first
    prompt.fill(f"{PROMPT} then calm")
    prompt.evaluate(f"area => area.setSelectionRange({len(PROMPT)}, {len(PROMPT)})")

    move(page, "Pan left").click()
    expect(prompt).to_have_value(f"{PROMPT} [Pan left] then calm")
    expect(prompt).to_be_focused()
    caret = len(f"{PROMPT} [Pan left]")
    assert prompt.evaluate("area => [area.selectionStart, area.selectionEnd]") == [caret, caret]
    expect(counter).to_contain_text("· 1 camera move")

    together = page.get_by_role("button", name="Together: join the bracket before the cursor")
    together.click()
    expect(together).to_have_attribute("aria-pressed", "true")
    move(page, "Pedestal up").click()
    move(page, "Zoom in").click()
    joined = f"{PROMPT} [Pan left, Pedestal up, Zoom in] then calm"
    expect(prompt).to_have_value(joined)
    expect(counter).to_contain_text(f"{len(joined)} / 2000 characters · 3 camera moves")
    move(page, "Shake").click()
    expect(page.locator("[data-camera-move-note]")).to_have_text(
        "One bracket holds at most 3 camera moves at once: switch off “Together” to add "
        "Shake after them."
    )
    expect(prompt).to_have_value(joined)
    expect(prompt).to_be_focused()

    together.click()
    expect(together).to_have_attribute("aria-pressed", "false")
    prompt.evaluate("area => area.setSelectionRange(area.value.length, area.value.length)")
    move(page, "Static shot").click()
    expect(prompt).to_have_value(f"{joined} [Static shot]")
    expect(counter).to_contain_text("· 4 camera moves")

    assert sideways_scroll(page) == []
    assert accessibility_violations(page)[0] == []
    if device.has_touch:
        assert small_tap_targets(page, within=".camera-moves") == []


def test_the_title_and_icon_say_when_a_clip_is_ready_and_a_notification_names_it(pages, studio):
    page = log_in(pages.open(DESKTOP), studio, "alice")
    page.context.grant_permissions(["notifications"], origin=studio.url)
    icon = page.locator('link[rel~="icon"]')
    plain_icon = icon.get_attribute("href")
    switch = page.get_by_label("Tell me when my clips are done")
    switch.check()
    expect(page.locator("[data-notify-note]")).to_contain_text("You'll get a notification")
    page.reload()
    expect(switch).to_be_checked()  # remembered, and the browser allows it

    page.get_by_label("Prompt", exact=True).fill(CLIP)
    page.get_by_role("button", name="Generate").click()
    expect(page).to_have_title("(1) Hailuo Studio")
    # Another tab of hers, which she is away from, opened while the clip is being made.
    away = pages.open(DESKTOP, storage_state=page.context.storage_state())
    away.add_init_script(NOTIFICATIONS_JS)
    away.goto(studio.url + "/")
    expect(away.get_by_label("Tell me when my clips are done")).to_be_checked()

    expect(card_for(page, CLIP).locator("video")).to_be_attached(timeout=60_000)
    expect(page).to_have_title("Clip ready · Hailuo Studio")
    expect(icon).to_have_attribute("href", re.compile(r"/favicon-done\b"))
    expect(away).to_have_title("Clip ready · Hailuo Studio", timeout=15_000)

    # The tab she was away from got a notification naming the clip; it opens the clip's page.
    away.wait_for_function("() => window.shownNotifications.length === 1")
    title, body = away.evaluate(
        "() => [window.shownNotifications[0].title, window.shownNotifications[0].body]"
    )
    first_words = " ".join(CLIP.split()[:8])
    assert (title, body) == ("Clip ready", f"“{first_words}…”")
    away.evaluate("() => window.shownNotifications[0].dispatchEvent(new Event('click'))")
    expect(away).to_have_url(re.compile(r"/generations/[0-9a-f-]{36}/(\?.*)?$"))
    expect(away.get_by_role("heading", name=CLIP)).to_be_visible()

    # She looks (a click in the tab she was watching): the word has been seen.
    page.locator("#studio-form .form-title").click()
    expect(page).to_have_title("Hailuo Studio")
    expect(icon).to_have_attribute("href", plain_icon)


def test_continue_from_last_frame_through_the_simulator(pages, studio):
    make_clip(http_member(studio, "carol"), STORY)
    page = log_in(pages.open(DESKTOP), studio, "alice")
    card = card_for(page, STORY)
    expect(card.locator("video")).to_be_attached(timeout=60_000)
    form = page.locator("#studio-form")

    def continue_it() -> None:
        card.get_by_label("More actions").click()
        card.get_by_role("link", name="Continue from last frame").click()
        expect(form.locator("[data-continuing]")).to_have_text("· continuing carol's clip")
        expect(form.locator("[data-preview]")).to_have_attribute("src", re.compile("last-frames/"))

    continue_it()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("")
    page.get_by_role("button", name="Remove image").click()  # then it is a clip of its own
    expect(form.locator("[data-continuing]")).to_be_hidden()
    expect(form.locator("input[name=continues]")).to_have_value("")

    continue_it()
    assert accessibility_violations(page)[0] == []
    page.get_by_label("Prompt", exact=True).fill(NEXT)
    page.get_by_role("button", name="Generate").click()
    made = card_for(page, NEXT)
    expect(made).to_contain_text("from image")
    expect(made.locator("video")).to_be_attached(timeout=60_000)
    made.locator(".prompt a").click()
    expect(page.locator("nav.chain")).to_contain_text(f"Continues carol's “{STORY}”")
    expect(page.locator(".prompt-full mark.camera-move")).to_have_text("[Tilt down]")
    assert accessibility_violations(page)[0] == []
