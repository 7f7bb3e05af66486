"""The submit-to-playable benchmark (issue #13, item 7): how soon a clip a member asks for can be
played in their own tab, and how soon a teammate's idle tab shows it. Debian's chromium through
Playwright against the whole studio as `make run` starts it (gunicorn, the django-q2 cluster and
the simulator, webhooks on); every moment on screen is noted inside the tabs by card_clock.js."""

from __future__ import annotations

import contextlib
import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.processes import ROOT

from .figures import Figure
from .pipeline import parse_time, wait_until, warm_clip_cache
from .processes import Stack
from .stats import spread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

AUTHOR, TEAMMATE, EARLIER = "alice", "bob", "carol"
PASSWORD = "correct horse battery staple"
# Finished clips the studio learns a clip's duration from before the run (its history).
EARLIER_CLIPS = 2
CLOCK_SCRIPT = Path(__file__).with_name("card_clock.js").read_text()
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# Bounds past which a tab has plainly failed to show a clip: the run stops and says so.
SHOWN_TIMEOUT_S = 10.0
PLAYABLE_AFTER_JOB_TIMEOUT_S = 30.0
TEAMMATE_TIMEOUT_S = 60.0
QUIET_TIMEOUT_S = 60.0
# A seeded pause of up to this before each round, so submits do not fall in step with a tab's asks.
PAUSE_S = 2.0
SEED = 13
CHANGING_SQL = (
    "SELECT COUNT(*) FROM generations_generation WHERE deleted_at IS NULL AND (status IN "
    "('waiting', 'submitted', 'processing') OR (status = 'completed' AND poster = '' "
    "AND next_check_at IS NOT NULL))"
)
# What a tab asks for the cards changed since it last asked (#gallery-live).
UPDATES_PATH = "/gallery/updates/"


class CardNotSeen(RuntimeError):
    """A tab never showed a clip's card (or never made it playable) within its bound."""


@dataclass(frozen=True)
class Clip:
    prompt: str
    card_id: str  # the card's element id, gen-<uuid>
    way: str  # "one at a time" or "at once"


class Tab:
    """One member's studio tab, in a browser context of its own, with the card clock in it."""

    def __init__(self, browser, username: str) -> None:
        self.username = username
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(CLOCK_SCRIPT)
        self.page = context.new_page()
        self.asks: list[float] = []
        self.errors: list[str] = []
        self.page.on("request", self.note_request)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def log_in(self, url: str) -> Tab:
        self.page.goto(f"{url}/accounts/login/?next=/")
        self.page.fill("input[name=username]", self.username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.locator("form button[type=submit]").click()
        self.page.wait_for_selector("#studio-form", state="attached")
        self.page.wait_for_selector("#gallery-cards", state="attached")
        return self

    def note_request(self, request) -> None:
        if UPDATES_PATH in request.url:
            self.asks.append(time.time())

    def submit(self, prompt: str) -> None:
        self.page.fill("#id_prompt", prompt)
        self.page.locator("#studio-form button[type=submit]").click()

    def clock(self) -> dict:
        return self.page.evaluate("window.__cardClock")

    def wait_for(self, card_id: str, moment: str, timeout: float) -> None:
        """Until the card clock has noted `moment` (shown, playable, poster) for the card."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(
                "([id, moment]) => window.__cardClock?.cards[id]?.[moment] != null",
                arg=[card_id, moment], timeout=timeout * 1000, polling=100,
            )  # fmt: skip
        except PlaywrightTimeout:
            errors = f"; page errors: {self.errors}" if self.errors else ""
            raise CardNotSeen(
                f"{self.username}'s tab: card {card_id} not {moment} within {timeout:g} s{errors}"
            ) from None


def run(folder: Path, *, sequential: int, concurrent: int, job_seconds: float,
        label: str = "", previous: dict | None = None, command: str = "",
        browser: Browser | None = None):  # fmt: skip
    """Start a studio, measure, stop it; the report's figures, notes and details. `browser`: one
    already running (a test's), else Debian's chromium is started for the run."""
    stack = start_studio(folder, job_seconds=job_seconds, in_flight=concurrent + 2)
    try:
        with contextlib.nullcontext(browser) if browser else chromium() as running:
            measured = measure(stack, running, sequential=sequential, concurrent=concurrent,
                               job_seconds=job_seconds)  # fmt: skip
    finally:
        stack.stop(grace=3)  # the figures are in: a tracker mid-loop need not be waited for
    timings = measured["clips"]
    details = {
        **measured,
        "commit": measured_commit(),
        "label": label,
        "command": command,
        "job_seconds": job_seconds,
        "history": history(previous),
    }
    return figures(timings, measured["asks_per_minute"]), notes(details), details


def start_studio(folder: Path, *, job_seconds: float, in_flight: int) -> Stack:
    stack = Stack(folder)
    stack.env["PUBLIC_URL"] = stack.url  # webhooks: the simulator posts to this gunicorn
    data_dir = folder / "simulator-data"
    warm_clip_cache(data_dir / "cache", sizes=[("768p", 6)])  # the form's default size
    stack.prepare()
    team = [AUTHOR, TEAMMATE, EARLIER]
    stack.manage("shell", "-c", "from tooling.benchmarks import playable_team as t; "
                 f"t.make_team({team!r}, {PASSWORD!r}, in_flight={in_flight})")  # fmt: skip
    try:
        stack.start_simulator(job_seconds=job_seconds, data_dir=data_dir)
        stack.start_web()
        stack.start_cluster()
        # The studio's history: finished clips it learns a clip's duration from, posters made.
        stack.manage("shell", "-c", "from tooling.benchmarks import playable_team as t; "
                     f"t.earlier_clips({EARLIER!r}, {EARLIER_CLIPS})")  # fmt: skip
        if not wait_until(lambda: quiet_in_the_database(stack, EARLIER_CLIPS), 60 + job_seconds):
            raise RuntimeError(f"the earlier clips did not finish; logs in {stack.folder}")
    except BaseException:
        stack.stop(grace=3)
        raise
    return stack


def quiet_in_the_database(stack: Stack, count: int) -> bool:
    """`count` clips or more, none still on its way (posters included)."""
    made = stack.query("SELECT COUNT(*) FROM generations_generation")[0][0]
    return made >= count and stack.query(CHANGING_SQL)[0][0] == 0


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, driven by Playwright (which never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def measure(stack: Stack, browser: Browser, *, sequential: int, concurrent: int,
            job_seconds: float) -> dict:  # fmt: skip
    """The rounds, in two members' tabs; each clip's latencies and each tab's pace of asks."""
    rounds = [("one at a time", [prompt(n)]) for n in range(sequential)]
    rounds.append(("at once", [prompt(sequential + n) for n in range(concurrent)]))
    # The teammate's tab first: open and idle the longest, as a teammate's would be.
    teammate = Tab(browser, TEAMMATE).log_in(stack.url)
    author = Tab(browser, AUTHOR).log_in(stack.url)
    began = time.time()
    clips = play_rounds(stack, author, teammate, rounds, job_seconds=job_seconds)
    ended = time.time()
    clocks = {"author": author.clock(), "teammate": teammate.clock()}
    for tab in (author, teammate):
        tab.page.context.close()
    stored = stored_times(stack)
    submits = {entry["prompt"]: entry["at"] for entry in clocks["author"]["submits"]}
    return {
        "clips": [
            clip_timings(clip, submits[clip.prompt], stored[clip.card_id],
                         clocks["author"]["cards"][clip.card_id],
                         clocks["teammate"]["cards"][clip.card_id])
            for clip in clips
        ],
        "asks_per_minute": {"author": asks_per_minute(author.asks, began, ended),
                            "teammate": asks_per_minute(teammate.asks, began, ended)},
        "seconds": round(ended - began, 1),
        "page_errors": author.errors + teammate.errors,
    }  # fmt: skip


def play_rounds(stack: Stack, author: Tab, teammate: Tab, rounds: list[tuple[str, list[str]]],
                *, job_seconds: float) -> list[Clip]:  # fmt: skip
    """Each round from a quiet studio: the author presses Generate for each of its prompts and
    waits for their clips to be playable; at the end, the teammate's tab must show them all."""
    pauses = random.Random(SEED)
    clips: list[Clip] = []
    for way, batch in rounds:
        if not batch:
            continue
        wait_for_quiet(stack, [author, teammate], clips)
        time.sleep(pauses.uniform(0, PAUSE_S))
        made = [submit(stack, author, text, way) for text in batch]
        for clip in made:
            author.wait_for(clip.card_id, "playable", job_seconds + PLAYABLE_AFTER_JOB_TIMEOUT_S)
        clips += made
    for clip in clips:
        teammate.wait_for(clip.card_id, "playable", TEAMMATE_TIMEOUT_S)
    return clips


def prompt(number: int) -> str:
    return f"Submit-to-playable clip {number}: a lighthouse on a cliff at dusk, slow push-in"


def submit(stack: Stack, author: Tab, text: str, way: str) -> Clip:
    """Press Generate in the author's tab; the clip once its card is on screen."""
    author.submit(text)
    found: list[str] = []

    def made() -> bool:
        found[:] = [row[0] for row in stack.query(
            "SELECT g.id FROM generations_generation g JOIN generations_prompt p "
            "ON p.id = g.prompt_id WHERE p.text = ?", text)]  # fmt: skip
        return bool(found)

    if not wait_until(made, SHOWN_TIMEOUT_S, every=0.05):
        raise CardNotSeen(f"pressing Generate made no clip for {text!r}; page errors: "
                          f"{author.errors}")  # fmt: skip
    clip = Clip(prompt=text, card_id=f"gen-{uuid.UUID(found[0])}", way=way)
    author.wait_for(clip.card_id, "shown", SHOWN_TIMEOUT_S)
    return clip


def wait_for_quiet(stack: Stack, tabs: list[Tab], clips: list[Clip]) -> None:
    """Until nothing is on its way and every tab shows every clip with its poster: each tab is
    then back to its idle pace, by today's rules and by the ones planned."""

    def quiet() -> bool:
        if stack.query(CHANGING_SQL)[0][0]:
            return False
        for tab in tabs:
            cards = tab.clock()["cards"]
            if any(cards.get(clip.card_id, {}).get("poster") is None for clip in clips):
                return False
        return True

    if not wait_until(quiet, QUIET_TIMEOUT_S):
        raise CardNotSeen(f"the tabs did not all show every clip's poster within "
                          f"{QUIET_TIMEOUT_S:g} s")  # fmt: skip


def stored_times(stack: Stack) -> dict[str, float]:
    """Each stored clip's stored_at (the cluster's clock: the machine's, as the tabs'), in epoch
    seconds, by card id."""
    return {
        f"gen-{uuid.UUID(pk)}": parse_time(stored).timestamp()
        for pk, stored in stack.query(
            "SELECT id, stored_at FROM generations_generation WHERE stored_at IS NOT NULL")
    }  # fmt: skip


def asks_per_minute(asks: list[float], began: float, ended: float) -> float | None:
    minutes = (ended - began) / 60
    return round(sum(began <= at <= ended for at in asks) / minutes, 1) if minutes > 0 else None


def clip_timings(clip: Clip, submitted_ms: float, stored_s: float, author: dict,
                 teammate: dict) -> dict:  # fmt: skip
    """One clip's latencies in seconds, from the tabs' clocks (ms) and the database's (s)."""

    def since(start_s: float, moment_ms: float | None) -> float | None:
        return None if moment_ms is None else round(moment_ms / 1000 - start_s, 3)

    submitted = submitted_ms / 1000
    return {
        "prompt": clip.prompt,
        "card": clip.card_id,
        "way": clip.way,
        "submit_to_shown": since(submitted, author.get("shown")),
        "submit_to_stored": round(stored_s - submitted, 3),
        "stored_to_playable": since(stored_s, author.get("playable")),
        "submit_to_playable": since(submitted, author.get("playable")),
        "teammate_submit_to_shown": since(submitted, teammate.get("shown")),
        "teammate_stored_to_playable": since(stored_s, teammate.get("playable")),
    }


AUTHOR_PART = "submit to playable: author's tab"
TEAMMATE_PART = "submit to playable: teammate's idle tab"
# (part, timing key, figure name, target for p90): the issue asks for a clip to show within about
# a second of being stored.
MEASURES = [
    (AUTHOR_PART, "submit_to_shown", "submit → card on screen", None),
    (AUTHOR_PART, "stored_to_playable", "stored → playable", 1.5),
    (AUTHOR_PART, "submit_to_playable", "submit → playable", None),
    (TEAMMATE_PART, "teammate_submit_to_shown", "author's submit → card on screen", None),
    (TEAMMATE_PART, "teammate_stored_to_playable", "stored → playable", None),
]


def figures(timings: list[dict], asks: dict[str, float | None]) -> list[Figure]:
    rows: list[Figure] = []
    ways = sorted({timing["way"] for timing in timings}, reverse=True)
    counts = ", ".join(f"{sum(t['way'] == way for t in timings)} {way}" for way in ways)
    for part, key, name, p90_limit in MEASURES:
        numbers = rounded(spread([t[key] for t in timings if t[key] is not None]))
        rows += [
            Figure(part, f"{name}, median", numbers["median"], "s",
                   note=f"{numbers['count']} clips: {counts}"),
            Figure(part, f"{name}, p90", numbers["p90"], "s", p90_limit,
                   note="the issue's aim: within about a second of being stored"
                   if p90_limit else ""),
            Figure(part, f"{name}, max", numbers["max"], "s"),
        ]  # fmt: skip
    submit_to_stored = rounded(spread([t["submit_to_stored"] for t in timings]))
    rows.insert(3, Figure(AUTHOR_PART, "submit → stored, median", submit_to_stored["median"], "s",
                          note="the job and storing; stored → playable is the page's share"))  # fmt: skip
    rows += [
        Figure(AUTHOR_PART, "live-update asks per minute", asks["author"], "asks/min"),
        Figure(TEAMMATE_PART, "live-update asks per minute", asks["teammate"], "asks/min"),
    ]
    return rows


def rounded(numbers: dict) -> dict:
    return {k: v if v is None or isinstance(v, int) else round(v, 3) for k, v in numbers.items()}


def measured_commit() -> str:
    """The commit measured, and whether the studio's own files differed from it."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        # Only the trailing newline goes: a porcelain line starts with its status columns.
        return result.stdout.rstrip("\n") if result.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "not a git checkout"
    changed = git("status", "--porcelain", "--", "templates", "static", "generations",
                  "hailuo_site").splitlines()  # fmt: skip
    if not changed:
        return f"{head}, the studio as committed"
    return f"{head} with uncommitted changes to {', '.join(line[3:] for line in changed)}"


def history(previous: dict | None, keep: int = 4) -> list[dict]:
    """Earlier runs of this part, newest first, so a "before" survives the run "after"."""
    if not previous:
        return []
    details = previous.get("details", {})
    earlier = {
        "measured_at": previous.get("measured_at"),
        "label": details.get("label", ""),
        "commit": details.get("commit", ""),
        "command": details.get("command", ""),
        "figures": {f"{f['part']}: {f['name']}": f["value"] for f in previous.get("figures", [])},
    }
    return [earlier, *details.get("history", [])][:keep]


def notes(details: dict) -> list[str]:
    lines = [
        f"Run{': ' + details['label'] if details['label'] else ''}. Commit measured: "
        f"{details['commit']}. Command: `{details['command']}`.",
        "The studio as `make run` starts it, in a temporary folder: gunicorn (2 workers × 4 "
        "threads), the django-q2 cluster (`Q_WORKERS=4`, SQLite, the ORM broker) and the "
        f"simulator (`--render cached`, {details['job_seconds']:g} s per job), with PUBLIC_URL "
        f"set so Apiframe's webhooks reach gunicorn. {EARLIER_CLIPS} earlier clips are made and "
        "finished first, so the studio has learned how long a clip takes.",
        "Two members in Debian's chromium (Playwright, one browser context each): the author "
        "types a prompt and presses Generate; the teammate's tab is opened first and never "
        "touched. Before each round the harness waits until nothing is on its way and both tabs "
        f"show every clip with its poster (so both are back to their idle pace), then a seeded "
        f"pause of 0–{PAUSE_S:g} s. Rounds: one clip at a time, then several pressed in a row. "
        "A round so begins soon after the teammate's tab last asked: its figure is close to its "
        "idle interval, the worst case, where a tab asking at random moments would average half.",
        "Moments on screen are noted inside the tabs by tooling/benchmarks/card_clock.js "
        "(Date.now(), the machine's clock, which the studio's processes share): submit is the "
        "form's submit event; a card is on screen when it enters #gallery-cards; playable when "
        "its video has a src and readyState ≥ 1 (metadata loaded) or its poster's play button "
        "shows. Stored is Generation.stored_at from the database. Stored → playable is the "
        "page's share: waiting for the tab's next ask, the answer, the swap and, for a card "
        "without its poster yet, loading the clip's metadata.",
        "Live-update asks per minute: requests to /gallery/updates/ each tab sent during the "
        "measured rounds.",
    ]
    if details.get("page_errors"):
        lines.append(f"Errors the pages raised: {'; '.join(details['page_errors'][:5])}.")
    for run in details.get("history", []):
        values = run["figures"]
        picked = [
            (f"{AUTHOR_PART}: stored → playable", "author stored → playable"),
            (f"{AUTHOR_PART}: submit → playable", "author submit → playable"),
            (f"{TEAMMATE_PART}: author's submit → card on screen", "teammate sees the card"),
        ]
        summary = "; ".join(
            f"{label} " + " / ".join(
                format_seconds(values.get(f"{key}, {stat}")) for stat in ("median", "p90", "max"))
            for key, label in picked
        )  # fmt: skip
        lines.append(
            f"Earlier run{': ' + run['label'] if run['label'] else ''} (measured "
            f"{run['measured_at']}, commit {run['commit']}), median / p90 / max: {summary}."
        )
    return lines


def format_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"
