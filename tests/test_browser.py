"""Two teammates in real browsers (Debian's chromium through Playwright) against the whole studio:
gunicorn, the django-q2 cluster and the simulator, as `make run` starts them."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browsers import card_for, log_in
from tests.fixtures import picture
from tests.running_studio import RunningStudio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROMPT = "A lighthouse on a cliff at dusk, waves crashing, slow push-in"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    # 20 s jobs: long enough that the tracker's first look (15 s in) finds one half done.
    running = RunningStudio(tmp_path_factory.mktemp("studio"), job_seconds=20).start()
    running.add_member("alice")
    running.add_member("bob")
    yield running
    running.stop()


def test_two_teammates_make_watch_remix_and_delete_a_clip(pages, studio, tmp_path):
    alice = log_in(pages.open(), studio, "alice")
    bob = log_in(pages.open(), studio, "bob")
    expect(alice.get_by_text("built-in Apiframe simulator")).to_be_visible()

    image = tmp_path / "harbour.png"
    image.write_bytes(picture((1024, 576)))
    alice.get_by_label("Prompt", exact=True).fill(PROMPT)
    alice.locator("#id_image").set_input_files(str(image))
    expect(alice.locator("[data-dropzone-text]")).to_contain_text("1024×576 px")
    alice.get_by_role("button", name="Generate").click()

    # The card is there at once, without a reload, and moves through its states.
    card = card_for(alice, PROMPT)
    expect(card).to_be_visible(timeout=3000)
    expect(card.locator("progress")).to_be_visible()
    expect(card.locator(".badge")).to_have_text("Queued", timeout=10_000)
    expect(card.locator(".badge")).to_have_text("Generating", timeout=30_000)
    progress = int(card.locator("progress").get_attribute("value"))
    assert 0 < progress < 100
    # Bob's gallery shows Alice's card arriving, also without a reload.
    expect(card_for(bob, PROMPT)).to_be_visible(timeout=25_000)

    expect(card.locator("video")).to_be_attached(timeout=60_000)
    expect(card.locator(".badge")).to_have_text("Ready")
    # The poster is made just after the clip is shown, and swaps in without a reload.
    expect(card.locator("[data-play] img")).to_be_visible(timeout=15_000)
    card.get_by_role("button", name="Play the clip").click()
    video = card.locator("video")
    alice.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0", arg=video.element_handle(), timeout=15_000
    )
    size = video.evaluate("v => [v.videoWidth, v.videoHeight, Math.round(v.duration)]")
    assert size == [1366, 768, 6]  # the image's 16:9 shape, 768 px high, six seconds
    frame = alice.locator("#gallery").screenshot()
    (studio.folder / "gallery-with-clip.png").write_bytes(frame)
    expect(card_for(bob, PROMPT).locator("[data-play] img")).to_be_visible(timeout=30_000)

    # Remix fills the form with the same words and settings.
    alice.get_by_label("Prompt", exact=True).fill("")
    card.get_by_role("link", name="Remix").click()
    expect(alice.get_by_label("Prompt", exact=True)).to_have_value(PROMPT)
    expect(alice.locator("[data-dropzone-text]")).to_contain_text("remixed clip's first frame")

    # Bob cannot delete Alice's clip; Alice can, and it leaves Bob's gallery too.
    expect(card_for(bob, PROMPT).get_by_role("button", name="Delete")).to_have_count(0)
    alice.once("dialog", lambda dialog: dialog.accept())
    card.get_by_label("More actions").click()
    card.get_by_role("button", name="Delete").click()
    expect(card_for(alice, PROMPT)).to_have_count(0)
    expect(card_for(bob, PROMPT)).to_have_count(0, timeout=30_000)


def test_a_bad_image_is_explained_and_nothing_typed_is_lost(pages, studio, tmp_path):
    page = log_in(pages.open(), studio, "alice")
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"these are my notes, not a picture")
    page.get_by_label("Prompt", exact=True).fill("Rain on a tin roof, close-up")
    page.locator("#id_image").set_input_files(str(fake))
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#errors-image")).to_have_text(
        "This file is not an image the studio can read: use JPG, PNG or WebP."
    )
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("Rain on a tin roof, close-up")
    assert page.locator("#id_image").evaluate("input => input.files[0].name") == "notes.png"
    expect(card_for(page, "Rain on a tin roof")).to_have_count(0)


def test_1080p_cannot_be_ten_seconds(pages, studio):
    page = log_in(pages.open(), studio, "bob")
    page.locator("#studio-form").get_by_text("1080p", exact=True).click()
    expect(page.locator("input[name=duration][value='10']")).to_be_disabled()
    expect(page.get_by_text("1080p clips are 6 seconds long.")).to_be_visible()
    expect(page.locator("[data-estimate]")).to_have_text("10")


def test_screenshots_for_the_record(pages, studio):
    """Not an assertion of pixels: a picture of the studio kept with the test run's files."""
    page = log_in(pages.open(), studio, "bob")
    out = Path(studio.folder) / "studio.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
