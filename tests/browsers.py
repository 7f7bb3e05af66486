"""What the browser tests share: Debian's chromium launched with the studio's flags, the three
sizes the studio must hold at, pages that fail their test on any console error, members logged in
over plain HTTP, and the measurements the layout and accessibility checks take in the page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    StorageState,
    expect,
    sync_playwright,
)

from tests.running_studio import MEMBER_PASSWORD, RunningStudio

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
# axe-core as the package ships it (axe.min.js inside the wheel): nothing is downloaded.
AXE = Axe()
BLOCKING_IMPACTS = ("serious", "critical")
TAP_TARGET_PX = 44


@dataclass(frozen=True)
class Device:
    """A screen the studio must hold at, as Playwright's options for a browser context."""

    name: str
    width: int
    height: int
    is_mobile: bool = False
    has_touch: bool = False
    device_scale_factor: float = 1

    def context_options(self) -> dict:
        return {
            "viewport": {"width": self.width, "height": self.height},
            "is_mobile": self.is_mobile,
            "has_touch": self.has_touch,
            "device_scale_factor": self.device_scale_factor,
        }

    def __str__(self) -> str:
        return self.name


PHONE = Device("phone", 390, 844, is_mobile=True, has_touch=True, device_scale_factor=3)
TABLET = Device("tablet", 820, 1180, has_touch=True)
DESKTOP = Device("desktop", 1400, 1000)
DEVICES = [PHONE, TABLET, DESKTOP]


def quick_studio(
    tmp_path_factory: pytest.TempPathFactory, *members: str, staff: tuple[str, ...] = ()
) -> Iterator[RunningStudio]:
    """A whole studio for a module of browser tests: 4-second jobs, which the studio expects
    (so its progress estimate and its polling pace are right from the first clip)."""
    running = RunningStudio(
        tmp_path_factory.mktemp("studio"),
        job_seconds=4,
        render="cached",
        extra_env={"EXPECTED_JOB_SECONDS": "4"},
    ).start()
    running.add_members(list(members))
    if staff:
        running.add_members(list(staff), staff=True)
    yield running
    running.stop()


def studio_with_clips(
    tmp_path_factory: pytest.TempPathFactory, prompts: list[str], *members: str
) -> Iterator[RunningStudio]:
    """A whole studio where bob has made `prompts`, one at a time (a member runs a few at most),
    all finished with their posters, for `members` to find."""
    running = RunningStudio(
        tmp_path_factory.mktemp("studio"), job_seconds=2, render="cached"
    ).start()
    running.add_members(["bob", *members])
    bob = http_member(running, "bob")
    for made, prompt in enumerate(prompts, start=1):
        make_clip(bob, prompt)
        running.wait_until_final(made, timeout=90)
    running.wait_for_posters()
    yield running
    running.stop()


def launched_chromium() -> Iterator[Browser]:
    """Debian's chromium (never a browser Playwright downloads), for a module-scoped fixture."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# The console says a policy blocked something, not what: each page also says which element.
CSP_MARK = "content security policy: "
CSP_VIOLATIONS_JS = """document.addEventListener("securitypolicyviolation", (event) => {
  const what = event.target?.outerHTML?.slice(0, 200) ?? String(event.target);
  console.info(`MARK${event.violatedDirective} blocked ${what} ` +
               `(from ${event.sourceFile}:${event.lineNumber}:${event.columnNumber})`);
});""".replace("MARK", CSP_MARK)


class WatchedPages:
    """Opens pages at a device's size and records every console error and uncaught exception on
    them. No message is ignored: none has turned out benign so far."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def open(
        self,
        device: Device = DESKTOP,
        *,
        storage_state: StorageState | None = None,
        color_scheme: Literal["light", "dark"] = "light",
    ) -> Page:
        context = self.browser.new_context(
            **device.context_options(), storage_state=storage_state, color_scheme=color_scheme
        )
        context.add_init_script(CSP_VIOLATIONS_JS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught on {page.url}: {error}"))
        return page

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type == "info" and message.text.startswith(CSP_MARK):
            self.errors.append(f"on {page.url}, {message.text.removeprefix(CSP_MARK)}")
        if message.type == "error":
            where = message.location
            source = f"{where.get('url', '')}:{where.get('lineNumber', '')}"
            self.errors.append(f"console error on {page.url}: {message.text} (from {source})")

    def take_errors(self) -> list[str]:
        """The errors so far, for a test that asserts on them itself; they are not reported twice."""
        errors, self.errors = self.errors, []
        return errors

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def watched_pages(browser: Browser) -> Iterator[WatchedPages]:
    """For a function-scoped fixture: the test fails if any of its pages logged an error."""
    pages = WatchedPages(browser)
    yield pages
    # What the pages logged while the test used them; not what a live update answered into a
    # document already being torn down as its tab closes (every target gone at once), which no
    # member ever sees.
    errors = pages.take_errors()
    pages.close()
    if errors:
        pytest.fail("The pages logged errors:\n" + "\n".join(errors), pytrace=False)


def log_in(page: Page, studio: RunningStudio, username: str) -> Page:
    """Log in through the login form, as a member does, and land on the studio."""
    page.goto(studio.url + "/")
    expect(page).to_have_url(f"{studio.url}/accounts/login/?next=/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{studio.url}/")
    return page


def card_for(page: Page, prompt: str):
    return page.locator("article.card", has_text=prompt)


# Members over plain HTTP: to make clips and log in without spending a browser on it.


def http_member(studio: RunningStudio, username: str) -> httpx.Client:
    """An HTTP client logged in through the login form (the CSRF cookie is the form's token)."""
    client = httpx.Client(base_url=studio.url, timeout=15)
    client.get("/accounts/login/").raise_for_status()
    answer = client.post(
        "/accounts/login/",
        data={
            "username": username,
            "password": MEMBER_PASSWORD,
            "next": "/",
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert answer.status_code == 302 and answer.headers["location"] == "/", answer.text[:500]
    return client


def make_clip(member: httpx.Client, prompt: str) -> None:
    """Ask for a 768p, 6 s clip through the studio's form, as a browser without htmx would."""
    answer = member.post(
        "/generations/",
        data={
            "prompt": prompt,
            "resolution": "768p",
            "duration": "6",
            "csrfmiddlewaretoken": member.cookies["csrftoken"],
        },
    )
    assert answer.status_code == 302, answer.text[:500]


def storage_state(member: httpx.Client) -> StorageState:
    """The member's cookies as Playwright's storage state: a browser context already logged in."""
    cookies = [
        {"name": cookie.name, "value": cookie.value or "", "domain": "127.0.0.1", "path": "/"}
        for cookie in member.cookies.jar
    ]
    return StorageState(cookies=cookies, origins=[])  # type: ignore[typeddict-item]


# Measurements in the page. Each returns what is wrong, in words precise enough to fix it by.

DESCRIBE_JS = """
const describe = (el) => {
  const parts = [];
  for (let node = el; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
    if (node.id) { parts.unshift("#" + node.id); break; }
    parts.unshift(node.localName + [...node.classList].map((name) => "." + name).join(""));
  }
  const words = el.getAttribute("aria-label") || (el.children.length < 3 ? el.textContent : "");
  const text = (words || "").replace(/\\s+/g, " ").trim().slice(0, 30);
  return parts.join(" > ") + (text ? ` ("${text}")` : "");
};
const box = (el) => {
  const r = el.getBoundingClientRect();
  return `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`;
};
const shown = (el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
};
"""


def sideways_scroll(page: Page) -> list[str]:
    """The page must not scroll sideways: if it does, the outermost elements past the right edge."""
    found = page.evaluate(
        "() => {"
        + DESCRIBE_JS
        + """
        // Not innerWidth: on a phone the browser widens the layout to whatever sticks out (a
        // 700 px table makes innerWidth 708); the root's clientWidth stays the screen's.
        const width = document.documentElement.clientWidth;
        const scrollWidth = document.scrollingElement.scrollWidth;
        if (scrollWidth <= width) return null;
        const wide = [...document.body.querySelectorAll("*")].filter(
          (el) => el.getBoundingClientRect().right > width + 0.5 && shown(el));
        const outermost = wide.filter((el) => !wide.includes(el.parentElement));
        return {width, scrollWidth,
                wide: outermost.slice(0, 6).map((el) => `${describe(el)} at ${box(el)}`)};
      }"""
    )
    if found is None:
        return []
    return [
        f"scrolls sideways: {found['scrollWidth']} px wide in a {found['width']} px window; "
        f"past the right edge: {'; '.join(found['wide'])}"
    ]


def missing_icon(page: Page) -> list[str]:
    """A page without <link rel=icon> makes the browser ask for /favicon.ico: it must be there."""
    if page.locator('link[rel~="icon"]').count():
        return []
    status = page.evaluate("() => fetch('/favicon.ico').then((answer) => answer.status)")
    if status == 200:
        return []
    return [
        f"no <link rel=icon>, and /favicon.ico answers {status}: "
        "the browser asks for it and logs the 404 as a console error"
    ]


def accessibility_violations(page: Page) -> tuple[list[str], str]:
    """axe-core over the whole page: (serious or critical violations, a summary of the rest)."""
    results = AXE.run(page).response["violations"]
    blocking, rest = [], []
    for violation in results:
        targets = [" ".join(node["target"]) for node in violation["nodes"]]
        if violation["impact"] in BLOCKING_IMPACTS:
            shown_targets = "; ".join(targets[:6]) + (" …" if len(targets) > 6 else "")
            blocking.append(
                f"axe {violation['id']} ({violation['impact']}): {violation['help']}, "
                f"{len(targets)} element(s): {shown_targets}"
            )
        else:
            rest.append(f"{violation['id']} ({violation['impact']}, {len(targets)})")
    return blocking, ", ".join(rest) or "none"


def covered_cards(page: Page) -> list[str]:
    """Scrolls from the top past every card to the bottom; at each stop, no element may be drawn
    over a card (sampled points) and no element of the compose form may intersect a card's box."""
    return page.evaluate(
        "async () => {"
        + DESCRIBE_JS
        + """
        const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
        const cards = [...document.querySelectorAll("article.card")];
        const form = document.querySelector("#studio-form");
        const formParts = form ? [form, ...form.querySelectorAll("*")] : [];
        const width = document.documentElement.clientWidth;
        const height = document.documentElement.clientHeight;
        const pageTop = (card) => card.getBoundingClientRect().top + scrollY;
        const stops = [0, ...cards.map((card) => pageTop(card) - height / 3),
                       document.scrollingElement.scrollHeight];
        const problems = new Set();
        for (const stop of stops) {
          window.scrollTo(0, Math.max(0, stop));
          await frame(); await frame();
          const at = `scrolled to ${Math.round(scrollY)}`;
          for (const card of cards) {
            const c = card.getBoundingClientRect();
            const left = Math.max(c.left, 0), right = Math.min(c.right, width);
            const top = Math.max(c.top, 0), bottom = Math.min(c.bottom, height);
            if (right - left < 4 || bottom - top < 4) continue;
            // Five columns, a row every 16 px: a thin sticky bar over a card is found too.
            sampling: for (let y = top + 2; y < bottom - 1; y += 16) for (let i = 0; i < 5; i++) {
              const x = left + 2 + (right - left - 4) * i / 4;
              const hit = document.elementFromPoint(x, y);
              // An ancestor is painted under the card: its hit is a rounded corner, not a cover.
              if (hit && !card.contains(hit) && !hit.contains(card)) {
                problems.add(`${describe(hit)} at ${box(hit)} is drawn over card ` +
                             `${describe(card)} at ${box(card)} (${at})`);
                break sampling;
              }
            }
            const overlapping = formParts.filter((el) => {
              if (!shown(el)) return false;
              const f = el.getBoundingClientRect();
              return Math.min(f.right, c.right) - Math.max(f.left, c.left) > 1 &&
                     Math.min(f.bottom, c.bottom) - Math.max(f.top, c.top) > 1;
            });
            const outermost = overlapping.filter((el) => !overlapping.includes(el.parentElement));
            for (const el of outermost.slice(0, 3)) {
              problems.add(`compose form's ${describe(el)} at ${box(el)} overlaps card ` +
                           `${describe(card)} at ${box(card)} (${at})`);
            }
          }
        }
        window.scrollTo(0, 0);
        return [...problems];
      }"""
    )


def small_tap_targets(page: Page, within: str = "article.card") -> list[str]:
    """Every link, button and field shown inside `within` must be 44x44 px or larger."""
    return page.evaluate(
        "([within, least]) => {"
        + DESCRIBE_JS
        + """
        const controls = document.querySelectorAll(
          `${within} :is(a[href], button, input:not([type=hidden]), select, textarea, summary)`);
        return [...controls].filter(shown).filter((el) => {
          const r = el.getBoundingClientRect();
          return r.width < least || r.height < least;
        }).map((el) => `${describe(el)} is ${box(el).split(" ")[1]} px`);
      }""",
        [within, TAP_TARGET_PX],
    )


# Run after each key press: judges the element that just lost the focus (did any of it, its
# label or its parent look different while it had the focus, and was that part visible?) and
# remembers the one that has it now.
FOCUS_WALK_JS = (
    "(target) => {"
    + DESCRIBE_JS
    + """
    const seen = (node) => {
      const r = node.getBoundingClientRect();
      if (r.width < 4 || r.height < 4) return false;
      for (let n = node; n; n = n.parentElement) {
        const s = getComputedStyle(n);
        if (s.opacity === "0" || s.visibility === "hidden") return false;
      }
      return true;
    };
    const looks = (node) => {
      const s = getComputedStyle(node);
      return ["outline-style", "outline-width", "outline-color", "outline-offset", "box-shadow",
              "border-top-color", "background-color", "color", "text-decoration-line"]
        .map((name) => s.getPropertyValue(name)).join("|");
    };
    const parts = (el) => [el, el.closest("label"), el.parentElement]
      .filter((node, i, all) => node && all.indexOf(node) === i);
    const now = document.activeElement;
    const result = {focused: now && now !== document.body ? describe(now) : null,
                    reached: Boolean(now && target && now.matches(target)), unseen: null};
    const before = window.focusWalk;
    if (before && before.el !== now && before.el.isConnected) {
      const shown = before.parts.some((node, i) => before.seen[i] && looks(node) !== before.looks[i]);
      if (!shown) result.unseen = before.name;
    }
    window.focusWalk = now && now !== document.body
      ? {el: now, name: describe(now), parts: parts(now), looks: parts(now).map(looks),
         seen: parts(now).map(seen)}
      : null;
    return result;
  }"""
)


class Keyboard:
    """Key presses, each followed by a look at where the focus went and how it showed."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.unseen: list[str] = []
        self.path: list[str] = []

    def press(self, key: str, target: str | None = None) -> bool:
        self.page.keyboard.press(key)
        step = self.page.evaluate(FOCUS_WALK_JS, target)
        self.path.append(f"{key} → {step['focused']}")
        if step["unseen"]:
            self.unseen.append(step["unseen"])
        return step["reached"]

    def tab_to(self, target: str, *, limit: int = 60, key: str = "Tab") -> bool:
        """Tab until the focus is on `target` (a CSS selector); False if it never gets there."""
        return any(self.press(key, target) for _ in range(limit))

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


def report(title: str, problems: list[str]) -> str:
    return f"{title}:\n  - " + "\n  - ".join(problems)
