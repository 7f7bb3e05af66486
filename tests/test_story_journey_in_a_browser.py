"""From drafts to a story, in a real browser against the whole studio: a member makes 3 takes of
one prompt (the tab's title counts them and says when they are done), compares them side by side
playing in sync, stars the keeper, continues it from its last frame, puts both clips in a reel,
makes the reel and plays it: its length is the sum of its shots."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browsers import DESKTOP, log_in, quick_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROMPT = "A paper boat on a rain-soaked street"
NEXT = "The paper boat slips into a storm drain [Push in]"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from quick_studio(tmp_path_factory, "alice")


def takes(page: Page):
    return page.locator("article.card", has_text=PROMPT)


def test_three_takes_compare_star_continue_and_a_reel(pages, studio):
    page = log_in(pages.open(DESKTOP), studio, "alice")

    # Three takes in one submission; while they run the title counts them.
    page.get_by_label("Prompt", exact=True).fill(PROMPT)
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
    keeper.get_by_role("link", name=re.compile(PROMPT[:12])).first.click()
    expect(page.get_by_role("button", name="Unstar")).to_be_visible()
    keeper_url = page.url
    page.get_by_role("link", name="Continue from last frame").click()
    expect(page.locator("#studio-form")).to_contain_text("continuing alice's clip")
    expect(page.locator("[data-preview]")).to_be_visible()
    prompt = page.get_by_label("Prompt", exact=True)
    expect(prompt).to_have_value("")
    prompt.fill(NEXT)
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
    expect(shots.first).to_contain_text(PROMPT)
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
