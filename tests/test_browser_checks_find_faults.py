"""The layout, accessibility, console and focus checks of tests/browsers.py, each shown a page
with the fault it looks for (and one without): a check that passes on the studio must be able
to fail."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browsers import (
    DESKTOP,
    FOCUS_WALK_JS,
    PHONE,
    Keyboard,
    WatchedPages,
    accessibility_violations,
    covered_cards,
    missing_icon,
    sideways_scroll,
    small_tap_targets,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOUND_PAGE = """<!doctype html><html lang="en"><head><title>Sound</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Sound</h1><article class="card"><p>A clip</p>
<button style="width: 60px; height: 48px">Play</button></article></main></body></html>"""


@pytest.fixture
def pages(browser):
    # Not watched_pages: the console test makes errors on purpose and reads them itself.
    watched = WatchedPages(browser)
    yield watched
    watched.close()


@pytest.fixture(scope="module")
def tiny_site():
    """A page with a strict content security policy and no icon; everything else is a 404."""

    class Site(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path == "/strict/"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Security-Policy", "default-src 'self'")
            self.end_headers()
            self.wfile.write(
                b"<!doctype html><title>Strict</title><h1>Strict</h1>" if found else b""
            )

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def page_with(pages, body: str, device=DESKTOP):
    page = pages.open(device)
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Faults</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><main><h1>Faults</h1>{body}</main></body></html>"
    )
    return page


def test_a_sound_page_passes_every_check(pages):
    page = pages.open(PHONE)
    page.set_content(SOUND_PAGE)
    assert sideways_scroll(page) == []
    assert accessibility_violations(page)[0] == []
    assert covered_cards(page) == []
    assert small_tap_targets(page) == []
    assert pages.take_errors() == []


def test_it_names_what_sticks_out_sideways(pages):
    page = page_with(
        pages, '<table class="wide" style="width: 700px"><tr><td>x</td></tr></table>', PHONE
    )
    (problem,) = sideways_scroll(page)
    assert "in a 390 px window" in problem and "table.wide" in problem


def test_it_finds_what_is_drawn_over_a_card_and_a_form_overlapping_one(pages):
    page = page_with(
        pages,
        '<div id="cover" style="position: fixed; top: 0; left: 0; width: 100%; height: 150px;'
        ' background: red"></div>'
        '<form id="studio-form" style="position: absolute; top: 400px; left: 0; width: 300px">'
        '<textarea aria-label="Prompt"></textarea></form>'
        '<article class="card" style="margin-top: 50px; height: 600px">A clip</article>',
    )
    problems = covered_cards(page)
    assert any(p.startswith("#cover at 0,0 1400x150 is drawn over card") for p in problems)
    assert any(p.startswith("compose form's #studio-form") for p in problems)


def test_it_finds_controls_too_small_to_tap(pages):
    page = page_with(
        pages,
        '<article class="card"><button style="width: 20px; height: 20px">x</button>'
        '<a href="/" style="display: inline-block; width: 50px; height: 50px">ok</a></article>',
    )
    (problem,) = small_tap_targets(page)
    assert 'button ("x") is 20x20 px' in problem


def test_it_reports_serious_accessibility_violations_by_id(pages):
    page = page_with(pages, '<button></button><img src="/nothing.png">')
    blocking, _ = accessibility_violations(page)
    assert any(line.startswith("axe button-name (critical)") for line in blocking)
    assert any(line.startswith("axe image-alt (critical)") for line in blocking)


def test_it_records_console_errors_and_uncaught_exceptions(pages):
    page = page_with(pages, "<p>quiet</p>")
    page.evaluate("() => console.error('a console error')")
    page.evaluate("() => setTimeout(() => { throw new Error('an uncaught one'); })")
    page.wait_for_timeout(100)
    errors = pages.take_errors()
    assert any("a console error" in error for error in errors)
    assert any("an uncaught one" in error for error in errors)


def test_it_says_what_the_content_security_policy_blocked(pages, tiny_site):
    page = pages.open(DESKTOP)
    page.goto(tiny_site + "/strict/")
    page.evaluate("() => document.querySelector('h1').setAttribute('style', 'color: red')")
    page.wait_for_timeout(100)
    errors = pages.take_errors()
    assert any("/strict/: Applying inline style violates" in error for error in errors)
    assert any('style-src-attr blocked <h1 style="color: red">' in error for error in errors)


def test_it_finds_a_page_whose_icon_is_missing(pages, tiny_site):
    page = pages.open(DESKTOP)
    page.goto(tiny_site + "/strict/")
    (problem,) = missing_icon(page)
    assert "/favicon.ico answers 404" in problem
    pages.take_errors()  # the browser's own request for it may have logged the 404 already


def test_it_finds_focus_that_does_not_show(pages):
    page = page_with(
        pages,
        '<button id="ringed">Ringed</button>'
        '<button id="hidden-focus" style="outline: none">No ring</button><a href="/">after</a>',
    )
    keys = Keyboard(page)
    page.evaluate(FOCUS_WALK_JS, None)
    assert keys.tab_to("#hidden-focus", limit=3)
    keys.press("Tab")
    assert keys.unseen == ['#hidden-focus ("No ring")']
