"""Stars, boards and Select mode in a real browser, at phone and desktop size: a member selects
three clips with a click and a shift-click, adds them to a new board in the same step, stars two
of them in bulk, and arranges the board by keyboard (and, with a mouse, by dragging). A star made
in one tab shows in the member's other tab with its next live update."""

import pytest
from playwright.sync_api import Page, expect

from tests.browsers import (
    DESKTOP,
    DEVICES,
    PHONE,
    accessibility_violations,
    card_for,
    log_in,
    report,
    sideways_scroll,
    small_tap_targets,
    studio_with_clips,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Made in this order, so the gallery shows them newest (the last) first.
PROMPTS = [
    "A paper lantern drifting on a lake",
    "A red fox crossing fresh snow",
    "A heron lifting off a misty marsh",
    "A tram climbing a rainy hill",
]
MEMBERS = {"desktop": "alice", "phone": "carol"}


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from studio_with_clips(tmp_path_factory, PROMPTS, "alice", "carol")


def checkbox(page: Page, prompt: str):
    return page.get_by_label(f"Select “{prompt}”")


def board_item(page: Page, prompt: str):
    return page.locator(".board-item", has_text=prompt)


def expect_board_order(page: Page, prompts: list[str]) -> None:
    """The board's clips read in this order, waiting (as every expect does) for a swap or a
    page load under way to finish, so a reading never catches the page half drawn."""
    expect(page.locator(".board-item .prompt a")).to_have_text(prompts)


def make_board(page: Page, studio, name: str) -> str:
    """Make a board from /boards/ and answer its address, once its page has loaded."""
    page.goto(f"{studio.url}/boards/")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Make the board").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    return page.url


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=str)
def test_select_add_to_a_new_board_star_and_arrange_by_keyboard(device, pages, studio):
    page = log_in(pages.open(device), studio, MEMBERS[str(device)])
    newest, second, third, oldest = reversed(PROMPTS)
    bar = page.locator("[data-bulk-tools]")

    # Select mode: a click, then a shift-click, ticks the three cards between.
    select = page.get_by_role("button", name="Select", exact=True)
    select.click()
    expect(page.get_by_role("button", name="Done selecting")).to_have_attribute(
        "aria-pressed", "true"
    )
    checkbox(page, newest).click()
    checkbox(page, third).click(modifiers=["Shift"])
    expect(bar.locator("[data-selected-count]")).to_have_text("3 selected")
    for prompt in (newest, second, third):
        expect(checkbox(page, prompt)).to_be_checked()
    expect(checkbox(page, oldest)).not_to_be_checked()
    if device.has_touch:
        assert small_tap_targets(page, ".bulk-bar") == []
        assert sideways_scroll(page) == []

    # Add to board, making the board in the same step.
    board_name = f"Picks on the {device}"
    bar.get_by_role("link", name="Add to board").click()
    expect(page.get_by_role("dialog", name="Add 3 clips to a board")).to_be_visible()
    dialog = page.locator("#board-picker")
    dialog.get_by_label("…or a new board named").fill(board_name)
    dialog.get_by_role("button", name="Add to board").click()
    expect(dialog).to_contain_text(f"Added 3 clips to “{board_name}”.")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()

    # Star two of them in bulk: their stars change in place.
    bar.get_by_role("button", name="Clear").click()
    expect(bar.locator("[data-selected-count]")).to_have_text("0 selected")
    checkbox(page, newest).click()
    checkbox(page, third).click()
    bar.get_by_role("button", name="Star", exact=True).click()
    expect(page.locator("#bulk-status")).to_contain_text("Starred 2 clips.")
    for prompt in (newest, third):
        star = card_for(page, prompt).get_by_role("button", name="Unstar")
        expect(star).to_have_attribute("aria-pressed", "true")
    expect(card_for(page, second).get_by_role("button", name="Star", exact=True)).to_be_visible()
    # The selection survives the stars being redrawn.
    expect(bar.locator("[data-selected-count]")).to_have_text("2 selected")

    # The board's page, in the team's order, arranged from the keyboard.
    page.goto(f"{studio.url}/boards/")
    page.get_by_role("link", name=board_name).click()
    expect(page.get_by_role("heading", name=board_name)).to_be_visible()
    expect_board_order(page, [newest, second, third])
    page.get_by_role("button", name="In the team's order").click()
    expect(page.get_by_role("button", name="In the team's order")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect_board_order(page, [newest, second, third])  # as they were selected
    down = board_item(page, newest).get_by_role("button", name="Move down")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#board-status")).to_have_text(f"Moved “{newest}” to place 2 of 3.")
    expect_board_order(page, [second, newest, third])
    expect(board_item(page, newest).get_by_role("button", name="Move down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#board-status")).to_have_text(f"Moved “{newest}” to place 3 of 3.")
    expect_board_order(page, [second, third, newest])
    up = board_item(page, third).get_by_role("button", name="Move up")
    up.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#board-status")).to_have_text(f"Moved “{third}” to place 1 of 3.")
    expect(board_item(page, third).get_by_role("button", name="Move up")).to_be_focused()
    page.reload()
    expect_board_order(page, [third, second, newest])
    if device.has_touch:
        assert small_tap_targets(page, ".board-item") == []
        assert sideways_scroll(page) == []


def test_dragging_a_clip_sets_the_teams_order(pages, studio):
    page = log_in(pages.open(DESKTOP), studio, "bob")
    board_url = make_board(page, studio, "Dragged")
    page.goto(f"{studio.url}/")
    page.get_by_role("button", name="Select", exact=True).click()
    page.locator("[data-bulk-tools]").get_by_role("button", name="Select all on this page").click()
    page.locator("[data-bulk-tools]").get_by_role("link", name="Add to board").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Board", exact=True).select_option(label="Dragged")
    dialog.get_by_role("button", name="Add to board").click()
    expect(dialog).to_contain_text("Added 4 clips to “Dragged”.")
    page.goto(board_url)
    page.get_by_role("button", name="In the team's order").click()
    expect(page.get_by_role("button", name="In the team's order")).to_have_attribute(
        "aria-pressed", "true"
    )
    order = list(reversed(PROMPTS))
    expect_board_order(page, order)
    handle = board_item(page, order[3]).locator("[data-drag-handle]")
    handle.drag_to(board_item(page, order[0]))
    expect(page.locator("#board-status")).to_have_text("Saved the board's new order.")
    page.reload()
    expect_board_order(page, [order[3], order[0], order[1], order[2]])


def test_a_star_shows_in_the_members_other_tab(pages, studio):
    first = log_in(pages.open(DESKTOP), studio, "bob")
    second = pages.open(DESKTOP, storage_state=first.context.storage_state())
    second.goto(f"{studio.url}/")
    prompt = PROMPTS[0]
    card_for(first, prompt).get_by_role("button", name="Star", exact=True).click()
    expect(card_for(first, prompt).get_by_role("button", name="Unstar")).to_be_visible()
    # Bob's other tab hears of it with its next live update (every few seconds).
    other = card_for(second, prompt).get_by_role("button", name="Unstar")
    expect(other).to_have_attribute("aria-pressed", "true", timeout=15_000)


# What these pages add (the studio's own filters and cards are checked by
# test_every_page_at_every_size.py).
OURS = (
    ":is(.bulk-bar, .select-box, .star-form, .board-order, .board-edit, .board-controls > form, "
    ".board-items, .boards-page, dialog)"
)


def problems_on(page: Page, pages, *, touch: bool) -> list[str]:
    """Sideways scroll, axe's serious and critical findings, controls under 44 px on a touch
    screen, and console errors."""
    blocking, _ = accessibility_violations(page)
    small = small_tap_targets(page, OURS) if touch else []
    return sideways_scroll(page) + blocking + sorted(set(small)) + pages.take_errors()


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_the_boards_pages_hold_at_every_size(device, pages, studio):
    page = log_in(pages.open(device), studio, "bob")
    board_url = make_board(page, studio, f"Sizes on the {device}")
    # The studio in Select mode, with the "Add to board" dialog open over it.
    page.goto(f"{studio.url}/")
    page.get_by_role("button", name="Select", exact=True).click()
    checkbox(page, PROMPTS[0]).click()
    seen = {"the studio in Select mode": problems_on(page, pages, touch=device.has_touch)}
    page.locator("[data-bulk-tools]").get_by_role("link", name="Add to board").click()
    dialog = page.locator("#board-picker")
    dialog.get_by_label("Board", exact=True).select_option(label=f"Sizes on the {device}")
    seen["the Add to board dialog"] = problems_on(page, pages, touch=device.has_touch)
    dialog.get_by_role("button", name="Add to board").click()
    expect(dialog).to_contain_text("Added 1 clip to")
    dialog.get_by_role("button", name="Done").click()
    for name, url in [("the boards list", f"{studio.url}/boards/"), ("a board", board_url)]:
        page.goto(url)
        seen[name] = problems_on(page, pages, touch=device.has_touch)
    page.get_by_role("button", name="In the team's order").click()
    seen["a board in the team's order"] = problems_on(page, pages, touch=device.has_touch)
    problems = [f"{name}: {problem}" for name, found in seen.items() for problem in found]
    assert not problems, report(f"the boards' pages on a {device}", problems)
