"""Drafts to a story in a real browser, against the whole studio (one studio for the module).

- The journey: a member makes 3 takes of one prompt (the tab's title counts them and says when
  they are done), compares them side by side playing in sync, stars the keeper, continues it from
  its last frame, puts both clips in a reel, makes the reel and plays it: its length is the sum of
  its shots.
- Camera moves at desktop and phone size: the buttons put their bracket at the prompt's cursor,
  keeping the focus there, join up to three in one bracket with "Together" and refuse a fourth in
  words, and the counter counts them.
- Word when a clip is done: while a member's clip runs the tab's title counts it; when it is
  ready the title and the icon say so until the member is back, and with "Tell me when my clips
  are done" on (the browser's permission granted) the switch stays on after a reload and a tab
  the member is away from gets a notification that names the clip and opens it.
- Continue from last frame from a card's menu: the form swaps in with the clip's last frame, and
  the clip made from it continues it."""

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
TAKES = "A paper boat on a rain-soaked street"
NEXT_SHOT = "The paper boat slips into a storm drain [Push in]"
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
    # The poster comes just after and redraws the card (closing an open menu): wait for it.
    expect(card.locator("[data-play] img")).to_be_visible(timeout=30_000)
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


def takes(page: Page):
    return page.locator("article.card", has_text=TAKES)


def test_three_takes_compare_star_continue_and_a_reel(pages, studio):
    page = log_in(pages.open(DESKTOP), studio, "alice")

    # Three takes in one submission; while they run the title counts them.
    page.get_by_label("Prompt", exact=True).fill(TAKES)
    page.locator(".takes-field").get_by_text("3", exact=True).click()
    expect(page.locator("[data-estimate]")).to_have_text("15")
    page.get_by_role("button", name="Generate").click()
    expect(takes(page)).to_have_count(3)
    expect(page).to_have_title(re.compile(r"^\(3\) "))
    for n in (1, 2, 3):
        expect(takes(page).filter(has_text=f"Take {n} of 3")).to_have_count(1)
    # Done: the title says so (the tab was being looked at, so until the next click or key).
    expect(takes(page).locator(".badge", has_text="Ready")).to_have_count(3, timeout=60_000)
    expect(page).to_have_title(re.compile(r"clips? ready", re.IGNORECASE))

    # Compare: side by side, one Play all drives every take.
    takes(page).first.get_by_role("link", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare 3 takes")).to_be_visible()
    videos = page.locator("[data-compare-video]")
    expect(videos).to_have_count(3)
    page.get_by_role("button", name="Play all").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-compare-video]')]"
        ".every(v => !v.paused && v.currentTime > 0.3)",
        timeout=15_000,
    )
    page.get_by_role("button", name="Pause all").click()
    page.wait_for_function(
        "() => { const t = [...document.querySelectorAll('[data-compare-video]')]"
        ".map(v => v.paused ? v.currentTime : -1);"
        " return t.every(x => x >= 0) && Math.max(...t) - Math.min(...t) < 0.2; }",
        timeout=10_000,
    )
    # The keeper: take 2, starred here.
    keeper = page.locator(".compare-clip", has_text="Take 2 of 3")
    keeper.get_by_role("button", name="Star", exact=True).click()
    expect(keeper.get_by_role("button", name="Unstar")).to_have_attribute("aria-pressed", "true")

    # Continue the keeper from its last frame: its page opens the form with that frame.
    keeper.get_by_role("link", name=re.compile(TAKES[:12])).first.click()
    expect(page.get_by_role("button", name="Unstar")).to_be_visible()
    keeper_url = page.url
    page.get_by_role("link", name="Continue from last frame").click()
    expect(page.locator("#studio-form")).to_contain_text("continuing alice's clip")
    expect(page.locator("[data-preview]")).to_be_visible()
    prompt = page.get_by_label("Prompt", exact=True)
    expect(prompt).to_have_value("")
    prompt.fill(NEXT_SHOT)
    expect(page.locator("[data-camera-move-count]")).to_have_text(" · 1 camera move")
    page.get_by_role("button", name="Generate").click()
    follow_on = page.locator("article.card", has_text="storm drain")
    expect(follow_on.locator(".badge")).to_have_text("Ready", timeout=60_000)

    # The new clip's page shows the chain and the camera move highlighted.
    follow_on.get_by_role("link", name=re.compile("storm drain")).first.click()
    expect(page.locator("mark.camera-move")).to_have_text("[Push in]")
    expect(page.get_by_text("Continues")).to_be_visible()
    follow_on_url = page.url

    # Both clips into a new reel, from their pages.
    page.goto(keeper_url)
    page.get_by_role("link", name="Add to reel").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("…or a new reel named").fill("Paper boat")
    dialog.get_by_role("button", name="Add to reel").click()
    expect(dialog).to_contain_text("Added to “Paper boat”")
    page.goto(follow_on_url)
    page.get_by_role("link", name="Add to reel").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reel", exact=True).select_option(label="Paper boat")
    dialog.get_by_role("button", name="Add to reel").click()
    expect(dialog).to_contain_text("Added to “Paper boat”")
    dialog.get_by_role("link", name="Open the reel").click()

    # Make reel: progress shows live, then the player; the length is the sum of the shots.
    shots = page.get_by_role("region", name="Shots, in the order they play").get_by_role("listitem")
    expect(shots).to_have_count(2)
    expect(shots.first).to_contain_text(TAKES)
    page.get_by_role("button", name="Make reel").click()
    player = page.locator("video").first
    expect(player).to_be_attached(timeout=90_000)
    page.wait_for_function(
        "v => v.readyState >= 1 && isFinite(v.duration)", arg=player.element_handle()
    )
    assert round(player.evaluate("v => v.duration")) == 12  # two 6 s shots
    player.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.2", arg=player.element_handle())
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    assert pages.take_errors() == []
