"""The Content Security Policy is on every page, and nothing of ours needs it loosened: no inline
style, no inline script without the page's nonce, no inline event handler.

Checked three ways: the templates' source, every rendered page, and Chromium's own verdict.
"""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.url_walk import every_page

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NONCE = re.compile(r"'nonce-([^']+)'")
# Script types a browser runs, so the policy applies to them (JSON data blocks are not run).
EXECUTABLE = {"", "text/javascript", "application/javascript", "module"}


@pytest.fixture
def clip(alice, make_generation):
    return make_generation(alice, "A paper boat in the rain", "failed", failure_reason="Outage.")


class InlineCode(HTMLParser):
    """Collects whatever in a page the policy would block."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.blocked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on") or name.startswith("hx-on"):
                self.blocked.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}=javascript:...>")
        executable = tag == "script" and (attributes.get("type") or "") in EXECUTABLE
        inline = tag == "style" or (executable and not attributes.get("src"))
        if inline and (self.nonce is None or attributes.get("nonce") != self.nonce):
            self.blocked.append(f"inline <{tag}> without the page's nonce")
        if executable and not (attributes.get("src") or "/").startswith("/"):
            self.blocked.append(f"<script> from another site: {attributes['src']}")


def policy(response) -> str:
    header = response.get("Content-Security-Policy", "")
    assert header, "no Content-Security-Policy header"
    return header


def test_it_sends_the_policy_with_a_fresh_nonce(alice_client):
    first, second = (policy(alice_client.get("/")) for _ in range(2))
    assert "script-src 'self' 'nonce-" in first
    assert "style-src 'self'" in first and "unsafe-inline" not in first
    assert "object-src 'none'" in first and "frame-ancestors 'none'" in first
    assert NONCE.search(first).group(1) != NONCE.search(second).group(1)


def test_the_login_page_has_it_too():
    assert "script-src 'self' 'nonce-" in policy(Client().get("/accounts/login/"))


def test_no_template_has_inline_style_or_script():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) >= 8
    for template in templates:
        source = template.read_text()
        assert not re.search(r"\sstyle\s*=", source), f"inline style= in {template}"
        assert "<style" not in source, f"<style> in {template}"
        assert not re.search(r"\son[a-z]+\s*=", source), f"event handler attribute in {template}"
        assert "hx-on" not in source and "javascript:" not in source, template
        for tag in re.findall(r"<script\b[^>]*>", source):
            if "application/json" not in tag and " src=" not in tag:
                assert 'nonce="{{ csp_nonce }}"' in tag, f"inline {tag} in {template}"


@pytest.mark.parametrize("persona", ["alice_client", "staff_client"])
def test_no_rendered_page_has_anything_the_policy_blocks(request, persona, clip):
    client = request.getfixturevalue(persona)
    checked = 0
    for page in every_page(clip):
        response = client.get(page.url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        # Django names the nonce in the header only on pages that used it.
        nonce = NONCE.search(policy(response))
        parser = InlineCode(nonce.group(1) if nonce else None)
        parser.feed(response.content.decode())
        assert parser.blocked == [], page.url
        checked += 1
    assert checked >= (20 if persona == "staff_client" else 6)


# --- Chromium's verdict ---------------------------------------------------------------------


@pytest.mark.browser
def test_chromium_reports_no_violation(live_server, transactional_db, make_user, make_generation):
    from playwright.sync_api import sync_playwright

    from tests.fixtures import PASSWORD

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    staff = make_user("sam", is_staff=True, is_superuser=True)
    clip = make_generation(staff, "A kite over the dunes", "failed", failure_reason="Outage.")
    client = Client()
    client.force_login(staff)
    pages = [
        page.url
        for page in every_page(clip)
        if (response := client.get(page.url)).status_code == 200
        and not response.streaming  # a file or a CSV (the audit log's), not a page
        and response.content.lstrip().lower().startswith(b"<!doctype html")
    ]
    assert len(pages) >= 20
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("User name").fill("sam")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(live_server.url + "/")
        for path in pages:
            page.goto(live_server.url + path, wait_until="load")
        browser.close()
    assert violations == []
