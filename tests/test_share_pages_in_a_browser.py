"""Share links in real Chromium, at phone, tablet and desktop size: a member opens "Share" on a
clip's page, makes a link and sees it to copy; a logged-out browser opens a clip's and a board's
link and the clip plays (its media through the link, with Range); a dead link is a plain 404.
Every one of these pages: no sideways scroll, no serious accessibility violation, no console
error or blocked script, its controls big enough to tap."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from playwright.sync_api import expect

from generations.models import Board, ShareLink
from tests.browsers import (
    DEVICES,
    accessibility_violations,
    launched_chromium,
    report,
    sideways_scroll,
    small_tap_targets,
    watched_pages,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls (and the
    # database's flush after each) are still plain synchronous ones.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield from launched_chromium()


@pytest.fixture
def pages(browser):
    yield from watched_pages(browser)


@pytest.fixture
def shared(live_server, transactional_db, alice, make_generation, independent_clip):
    """Two real MP4s of alice's, a board with both, and links to one clip and to the board."""
    clips = []
    for prompt in ("A red fox running through fresh snow", "Neon city at night in the rain"):
        video = default_storage.save("clips/shared.mp4", ContentFile(independent_clip.read_bytes()))
        clips.append(make_generation(alice, prompt, status="completed", video=video, poster=""))
    board = Board.make(name="Client picks for the spring campaign", by=alice)
    board.add([clip.pk for clip in clips], by=alice)
    return {
        "clips": clips,
        "clip": ShareLink.make(by=alice, generation=clips[0], expiry_days=30, allow_download=True),
        "board": ShareLink.make(by=alice, board=board, expiry_days=0, allow_download=True),
    }


def member_state(live_server, user) -> dict:
    client = Client()
    client.force_login(user)
    host = live_server.url.split("//", 1)[1].split(":", 1)[0]
    session = client.cookies["sessionid"].value
    return {"cookies": [{"name": "sessionid", "value": session, "domain": host, "path": "/"}],
            "origins": []}  # fmt: skip


def problems_on(page, pages, within: str = "main") -> list[str]:
    """What is wrong with the page; tap targets counted `within` (on a member's page, the share
    controls: the rest of the page is other tests' to judge)."""
    blocking, _ = accessibility_violations(page)
    return sideways_scroll(page) + blocking + small_targets(page, within) + pages.take_errors()


def small_targets(page, within: str) -> list[str]:
    """Controls under 44 px; a radio button or checkbox counts by its label, which is what a
    finger presses (a segmented control's radio buttons are not drawn at all)."""
    small = [found for found in small_tap_targets(page, within) if not found.startswith("#id_")]
    choices = f"{within} label:has(input[type=radio], input[type=checkbox])"
    for label in page.locator(choices).all():
        box = label.bounding_box()
        if box and box["height"] < 44:
            small.append(f"the label “{label.inner_text()}” is {box['height']:.0f} px tall")
    return small


def plays(page) -> None:
    video = page.locator("video").first
    expect(video).to_be_visible()
    page.wait_for_function("() => document.querySelector('video').readyState >= 1", timeout=15000)


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_a_member_makes_a_link_and_sees_it_to_copy(device, pages, live_server, shared, alice):
    page = pages.open(device, storage_state=member_state(live_server, alice))
    page.goto(live_server.url + shared["clips"][1].get_absolute_url(), wait_until="load")
    page.get_by_text("Share", exact=True).click()
    page.locator("label", has_text="7 days").click()  # the segmented control's visible part
    expect(page.get_by_label("7 days")).to_be_checked()
    page.get_by_role("button", name="Make link").click()
    made = page.get_by_label("Share link")
    expect(made).to_be_visible()
    link = ShareLink.objects.get(generation=shared["clips"][1])
    assert made.input_value() == live_server.url + link.get_absolute_url()
    assert link.expires_at is not None and link.allow_download
    problems = problems_on(page, pages, ".share-control")
    assert not problems, report(f"the clip page with a link made, on a {device}", problems)
    page.goto(live_server.url + "/account/", wait_until="load")
    expect(page.get_by_role("button", name="Revoke")).to_have_count(3)
    problems = problems_on(page, pages, "#shares")
    assert not problems, report(f"the account page's links, on a {device}", problems)


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_a_logged_out_browser_plays_what_is_shared(device, pages, live_server, shared):
    page = pages.open(device)
    page.goto(live_server.url + f"/s/{shared['clip'].token}/", wait_until="load")
    expect(page.get_by_role("heading", name="A red fox running through fresh snow")).to_be_visible()
    expect(page.get_by_role("link", name="Download")).to_have_count(1)
    plays(page)
    problems = problems_on(page, pages)
    assert not problems, report(f"a shared clip on a {device}", problems)
    page.goto(live_server.url + f"/s/{shared['board'].token}/", wait_until="load")
    expect(page.locator("video")).to_have_count(2)
    plays(page)
    problems = problems_on(page, pages)
    assert not problems, report(f"a shared board on a {device}", problems)


def test_a_dead_link_is_a_plain_page_without_the_studio(pages, live_server, shared, alice):
    shared["clip"].revoke(by=alice)
    page = pages.open()
    response = page.goto(live_server.url + f"/s/{shared['clip'].token}/", wait_until="load")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="This link doesn't work")).to_be_visible()
    expect(page.get_by_role("link")).to_have_count(0)
    assert not accessibility_violations(page)[0]
    pages.take_errors()  # the 404 itself is logged by the browser as a failed load
