"""The studio's states a first day meets, in a real browser: a polled clip's progress moving,
empty results, each Remix, a wrong file after a right one, the undo of a delete, the menu that
Escape closes, the theme switch, and the arrow keys on a clip's page."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browsers import (
    DESKTOP,
    card_for,
    http_member,
    log_in,
    make_clip,
)
from tests.fixtures import picture
from tests.running_studio import RunningStudio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FINISHED = ["A heron lifting off a misty marsh", "A red fox crossing fresh snow"]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    # Polling only (no webhook address): the tracker looks once, near the expected end, so only
    # the studio's estimate can show movement before then.
    running = RunningStudio(
        tmp_path_factory.mktemp("studio"),
        job_seconds=10,
        render="cached",
        extra_env={"EXPECTED_JOB_SECONDS": "9"},
    ).start()
    running.add_member("alice")
    running.add_member("bob")
    bob = http_member(running, "bob")
    for prompt in FINISHED:
        make_clip(bob, prompt)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def finished(studio):
    studio.wait_until_final(len(FINISHED), timeout=90)
    studio.wait_for_posters()
    return FINISHED


def alice(pages, studio) -> Page:
    return log_in(pages.open(DESKTOP), studio, "alice")


def test_a_polled_clip_shows_movement_before_it_completes(pages, studio):
    page = alice(pages, studio)
    page.get_by_label("Prompt", exact=True).fill("Lanterns drifting down a dark river")
    page.get_by_role("button", name="Generate").click()
    card = card_for(page, "Lanterns drifting")
    label = card.locator("[data-progress-label]")
    expect(label).to_contain_text("(estimate)", timeout=15_000)
    bar = card.locator("progress")
    first = int(bar.evaluate("bar => bar.value"))
    page.wait_for_timeout(2500)
    second = int(bar.evaluate("bar => bar.value"))
    assert 0 < first < second < 100, (first, second)
    assert "estimate" in (bar.get_attribute("class") or "")
    expect(card.locator("video")).to_have_count(0)  # it moved while the job was still running
    expect(card.locator("video")).to_be_attached(timeout=40_000)


def test_a_search_with_no_results_says_so_and_clears(pages, studio, finished):
    page = alice(pages, studio)
    page.get_by_label("Search prompts").fill("zebra")
    expect(page.get_by_text("No clips match these filters.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=zebra"))
    page.reload()
    expect(page.get_by_text("No clips match these filters.")).to_be_visible()
    page.get_by_role("link", name="Clear the filters").click()
    expect(card_for(page, FINISHED[0])).to_be_visible()
    expect(page.get_by_label("Search prompts")).to_have_value("")


@pytest.fixture(scope="module")
def clip_with_frame(studio, browser, tmp_path_factory):
    """Bob's clip made from a first frame, for the remixes."""
    image = tmp_path_factory.mktemp("frame") / "harbour.png"
    image.write_bytes(picture((1024, 576)))
    context = browser.new_context(**DESKTOP.context_options())
    page = log_in(context.new_page(), studio, "bob")
    prompt = "Fishing boats leaving a harbour at dawn"
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.locator("#id_image").set_input_files(str(image))
    page.get_by_role("button", name="Generate").click()
    expect(card_for(page, prompt).locator("video")).to_be_attached(timeout=60_000)
    context.close()
    return prompt


def expect_remix_of_bobs_clip(page: Page, prompt: str) -> None:
    expect(page.get_by_role("heading", name=re.compile("remixing bob's clip"))).to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(prompt)
    expect(page.locator("[data-dropzone-text]")).to_contain_text("remixed clip's first frame")
    expect(page.locator("[data-preview]")).to_be_visible()


@pytest.mark.parametrize("where", ["gallery card", "clip page", "prompt page"])
def test_remix_is_the_same_everywhere(where, pages, studio, clip_with_frame):
    page = alice(pages, studio)
    card = card_for(page, clip_with_frame)
    if where == "clip page":
        card.locator(".prompt a").click()
        expect(page.get_by_role("heading", name=clip_with_frame)).to_be_visible()
    elif where == "prompt page":
        card.locator(".prompt a").click()
        page.get_by_role("link", name="Every clip from this prompt").click()
        card = card_for(page, clip_with_frame)
    if where != "gallery card":
        page.get_by_role("link", name="Remix").first.click()
    else:
        card.get_by_role("link", name="Remix").click()
    expect_remix_of_bobs_clip(page, clip_with_frame)


def test_a_wrong_file_after_a_right_one_replaces_what_was_shown(pages, studio, tmp_path):
    page = alice(pages, studio)
    good = tmp_path / "harbour.png"
    good.write_bytes(picture((1024, 576)))
    text = page.locator("[data-dropzone-text]")
    page.locator("#id_image").set_input_files(str(good))
    expect(text).to_contain_text("harbour.png · 1024×576 px")
    expect(text).to_contain_text(re.compile(r"\d+ KB"))  # not "0.0 MB"

    notes = tmp_path / "notes.txt"
    notes.write_text("my shot list, not a picture")
    page.locator("#id_image").set_input_files(str(notes))
    expect(text).to_have_text("notes.txt · 27 bytes")
    expect(page.locator("[data-preview]")).to_be_hidden()
    expect(page.locator("#errors-image")).to_contain_text("is not a JPG, PNG or WebP image")

    tiny = tmp_path / "icon.png"
    tiny.write_bytes(picture((100, 100)))
    page.locator("#id_image").set_input_files(str(tiny))
    expect(page.locator("#errors-image")).to_have_text(
        "The image is 100×100 px; its shorter side must be at least 300 px."
    )  # said at once, before Generate


def test_a_deleted_clip_can_be_taken_back(pages, studio):
    page = alice(pages, studio)
    page.get_by_label("Prompt", exact=True).fill("A paper plane over rooftops")
    page.get_by_role("button", name="Generate").click()
    card = card_for(page, "A paper plane")
    expect(card.locator("video")).to_be_attached(timeout=60_000)
    card.get_by_text("More").click()
    card.get_by_role("button", name="Delete").click()
    note = page.get_by_text("Deleted “A paper plane over rooftops”.")
    expect(note).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(card_for(page, "A paper plane").locator("video")).to_be_attached()
    expect(note).to_have_count(0)


def test_escape_closes_the_card_menu(pages, studio, finished):
    page = alice(pages, studio)
    card = card_for(page, FINISHED[0])
    card.get_by_text("More").click()
    copy = card.get_by_role("button", name="Copy prompt")
    expect(copy).to_be_visible()
    page.keyboard.press("Escape")
    expect(copy).to_be_hidden()


def test_the_theme_switch_is_remembered(pages, studio):
    page = alice(pages, studio)
    switch = page.locator("[data-theme-switch]")
    expect(switch).to_contain_text("Theme: system")
    switch.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    switch.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(17, 17, 24)"


def test_arrow_keys_step_through_the_gallery_on_a_clip_page(pages, studio, finished):
    page = alice(pages, studio)
    card_for(page, FINISHED[1]).locator(".prompt a").click()
    expect(page.get_by_role("heading", name=FINISHED[1])).to_be_visible()
    page.keyboard.press("ArrowRight")  # older: the one made before it
    expect(page.get_by_role("heading", name=FINISHED[0])).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("heading", name=FINISHED[1])).to_be_visible()
