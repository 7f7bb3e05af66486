"""The whole of keeping and showing work, in real browsers: a member stars two clips, makes a board
by adding three clips in bulk, downloads them as one ZIP, shares the board, and a logged-out
browser opens the link, plays a clip and reaches nothing else of the studio."""

import csv
import io
import re
import zipfile

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browsers import (
    DESKTOP,
    card_for,
    log_in,
    studio_with_clips,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Made in this order, so the gallery shows them newest (the last) first.
PROMPTS = [
    "A lighthouse beam sweeping over fog",
    "Kites over a windy beach",
    "A night market under string lights",
    "A cable car above the clouds",
]
BOARD = "For the client"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from studio_with_clips(tmp_path_factory, PROMPTS, "alice")


def checkbox(page: Page, prompt: str):
    return page.get_by_label(f"Select “{prompt}”")


def test_a_member_keeps_downloads_and_shares_a_board(pages, studio, tmp_path):
    page = log_in(pages.open(DESKTOP), studio, "alice")
    newest, second, third, _ = reversed(PROMPTS)

    # Two stars, each changing its card in place.
    for prompt in (newest, third):
        card_for(page, prompt).get_by_role("button", name="Star", exact=True).click()
        star = card_for(page, prompt).get_by_role("button", name="Unstar")
        expect(star).to_have_attribute("aria-pressed", "true")

    # Three clips in bulk onto a board made in the same step.
    page.get_by_role("button", name="Select", exact=True).click()
    checkbox(page, newest).click()
    checkbox(page, third).click(modifiers=["Shift"])
    bar = page.locator("[data-bulk-tools]")
    expect(bar.locator("[data-selected-count]")).to_have_text("3 selected")
    bar.get_by_role("link", name="Add to board").click()
    dialog = page.locator("#board-picker")
    dialog.get_by_label("…or a new board named").fill(BOARD)
    dialog.get_by_role("button", name="Add to board").click()
    expect(dialog).to_contain_text(f"Added 3 clips to “{BOARD}”.")
    dialog.get_by_role("button", name="Done").click()

    # The three, downloaded as one ZIP: their MP4s and a manifest.
    with page.expect_download() as download:
        bar.get_by_role("button", name="Download selected").click()
    archive = tmp_path / "clips.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert zipped.testzip() is None
        manifest = list(csv.DictReader(io.StringIO(zipped.read("clips.csv").decode("utf-8-sig"))))
    assert sorted(name for name in names if name.endswith(".mp4")) == sorted(
        row["file"] for row in manifest
    )
    assert {row["prompt"] for row in manifest} == {newest, second, third}

    # The board, shared.
    page.goto(f"{studio.url}/boards/")
    page.get_by_role("link", name=BOARD).click()
    expect(page.get_by_role("heading", name=BOARD)).to_be_visible()
    page.get_by_text("Share", exact=True).click()
    page.get_by_role("button", name="Make link").click()
    address = page.locator(".share-made .share-url")
    expect(address).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{43}/$"))
    link = address.input_value()

    # Someone without an account opens it: the board's clips, playable, and nothing else.
    stranger = pages.open(DESKTOP)
    stranger.goto(link)
    expect(stranger.get_by_role("heading", name=BOARD)).to_be_visible()
    expect(stranger.locator("video")).to_have_count(3)
    for name in ("alice", "bob"):
        expect(stranger.locator("body")).not_to_contain_text(name)
    expect(stranger.locator("a[href='/'], nav, form")).to_have_count(0)
    video = stranger.locator("video").first
    video.evaluate("v => { v.muted = true; return v.play(); }")
    stranger.wait_for_function("v => v.currentTime > 0", arg=video.element_handle())

    # The link opens no door: the studio's pages and its own media want a login.
    outside = httpx.Client(base_url=studio.url, follow_redirects=False, timeout=10)
    clip_path = studio.query("select video from generations_generation where video != '' limit 1")[
        0
    ][0]
    for path in ("/", "/boards/", "/account/", f"/media/{clip_path}", "/admin/shares/"):
        answer = outside.get(path)
        assert answer.status_code == 302 and "/login/" in answer.headers["location"], path
    assert outside.get(link.replace(studio.url, "")[:-5] + "xxxx/").status_code == 404
