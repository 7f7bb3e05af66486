"""Twenty members browsing and submitting for a minute against the real stack (gunicorn, the
cluster, the simulator; SQLite unless the suite runs on PostgreSQL), over loopback: no answer is
a 5xx, no log says "database is locked", and every clip submitted is made. Latencies per page are
reported (docs/load-test.md via `make load-test`), never asserted."""

import os
import random
import re
import statistics
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from tests.reports import database_label, machine_label, publish
from tests.running_studio import MEMBER_PASSWORD, RunningStudio

pytestmark = pytest.mark.slow

MEMBERS = 20
# `make load-test` browses for a minute; inside `make test` a shorter run shows the same.
SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", "20"))
# The studio page polls for live updates this often while clips are being made.
LIVE_UPDATE_EVERY = 3.0
THINK_SECONDS = (0.5, 1.5)
SEEDED_GENERATIONS = 200
HTMX = {"HX-Request": "true"}
# What a member does between live updates, and how often (weights).
ACTIONS = {
    "studio page": 3,
    "gallery page (load more)": 3,
    "gallery filtered": 1,
    "generation page": 3,
    "poster image": 2,
    "prompt library": 2,
    "prompt search": 1,
    "submit a clip": 1,
}
CARD_ID = re.compile(r'id="gen-([0-9a-f-]{36})"')
NEXT_PAGE = re.compile(r"\?before=([^\"&]+)")
POSTER = re.compile(r'src="(/media/posters/[^"]+)"')
SINCE = re.compile(r'id="gallery-since" name="since" value="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Tally:
    """Every request's latency and status, by page, from all members' threads."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    failures: list[str] = field(default_factory=list)
    resends: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    created: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, page: str, seconds: float, status: int) -> None:
        with self.lock:
            self.seconds[page].append(seconds)
            self.statuses[page][status] += 1

    def resent(self, page: str) -> None:
        with self.lock:
            self.resends[page] += 1

    def fail(self, page: str, error: Exception) -> None:
        with self.lock:
            self.failures.append(f"{page}: {type(error).__name__}: {error}")

    def server_errors(self) -> dict[str, int]:
        return {
            page: sum(n for status, n in counts.items() if status >= 500)
            for page, counts in self.statuses.items()
            if any(status >= 500 for status in counts)
        }


class Member:
    """One simulated member in a browser tab: logs in, then browses, polls and submits."""

    def __init__(self, studio: RunningStudio, name: str, tally: Tally, seed: int) -> None:
        self.http = httpx.Client(base_url=studio.url, timeout=30.0)
        self.name = name
        self.tally = tally
        self.rng = random.Random(seed)
        self.since = ""
        self.cards: list[str] = []
        self.posters: list[str] = []
        self.next_page = ""
        self.actions = {
            "studio page": self.studio_page,
            "gallery page (load more)": self.gallery_page,
            "gallery filtered": self.gallery_filtered,
            "generation page": self.generation_page,
            "poster image": self.poster_image,
            "prompt library": self.prompt_library,
            "prompt search": self.prompt_search,
            "submit a clip": self.submit_a_clip,
        }

    def get(self, page: str, url: str, **kwargs) -> httpx.Response | None:
        return self.request(page, "GET", url, **kwargs)

    def request(self, page: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, **kwargs)
        except (httpx.RemoteProtocolError, httpx.ReadError) as error:
            # A kept-alive connection gunicorn closed (or reset) just as this request went out: a
            # browser sends a GET again on a new one, and so does this member, once (counted).
            if method != "GET":
                self.tally.fail(page, error)
                return None
            self.tally.resent(page)
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.HTTPError as again:
                self.tally.fail(page, again)
                return None
        except httpx.HTTPError as error:
            self.tally.fail(page, error)
            return None
        self.tally.record(page, time.perf_counter() - started, response.status_code)
        return response

    def log_in(self) -> None:
        form = self.get("log in", "/accounts/login/")
        token = CSRF_FIELD.search(form.text).group(1)
        answer = self.request(
            "log in",
            "POST",
            "/accounts/login/",
            data={"username": self.name, "password": MEMBER_PASSWORD, "next": "/",
                  "csrfmiddlewaretoken": token},
        )  # fmt: skip
        assert answer.status_code == 302, f"{self.name} could not log in: {answer.status_code}"

    def browse(self, until: float) -> None:
        self.studio_page()
        next_update = time.monotonic() + LIVE_UPDATE_EVERY
        while time.monotonic() < until:
            if time.monotonic() >= next_update:
                self.live_update()
                next_update = time.monotonic() + LIVE_UPDATE_EVERY
            else:
                action = self.rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
                self.actions[action]()
            time.sleep(self.rng.uniform(*THINK_SECONDS))
        self.http.close()

    def learn(self, html: str) -> None:
        self.cards = CARD_ID.findall(html) or self.cards
        self.posters = POSTER.findall(html) or self.posters
        if match := NEXT_PAGE.search(html):
            self.next_page = match.group(1)

    # Actions

    def studio_page(self) -> None:
        if response := self.get("studio page", "/"):
            self.learn(response.text)
            self.since = SINCE.search(response.text).group(1)

    def gallery_page(self) -> None:
        url = f"/gallery/?before={self.next_page}" if self.next_page else "/gallery/"
        if response := self.get("gallery page (load more)", url, headers=HTMX):
            self.learn(response.text)

    def gallery_filtered(self) -> None:
        query = self.rng.choice(["who=mine", "status=running", "status=completed", "q=lighthouse"])
        if response := self.get("gallery filtered", f"/gallery/?{query}", headers=HTMX):
            self.learn(response.text)

    def live_update(self) -> None:
        response = self.get("live updates", "/gallery/updates/", params={"since": self.since},
                            headers=HTMX)  # fmt: skip
        if response is not None and response.status_code == 200:
            self.since = SINCE.search(response.text).group(1)  # #gallery-since, out of band

    def generation_page(self) -> None:
        if self.cards:
            self.get("generation page", f"/generations/{self.rng.choice(self.cards)}/")

    def poster_image(self) -> None:
        if self.posters:
            self.get("poster image", self.rng.choice(self.posters))

    def prompt_library(self) -> None:
        self.get("prompt library", f"/prompts/?page={self.rng.choice([1, 1, 2])}")

    def prompt_search(self) -> None:
        word = self.rng.choice(["fox", "city", "storm", "coast", "market"])
        self.get("prompt search", "/prompts/", params={"q": word}, headers=HTMX)

    def submit_a_clip(self) -> None:
        data = {"prompt": f"Load test clip by {self.name}, take {self.rng.randint(1, 10**6)}",
                "resolution": "768p", "duration": "6", "prompt_optimizer": "on"}  # fmt: skip
        headers = {**HTMX, "X-CSRFToken": self.http.cookies.get("csrftoken", "")}
        response = self.request("submit a clip", "POST", "/generations/", data=data,
                                headers=headers)  # fmt: skip
        if response is None or response.status_code != 200:
            return
        with self.tally.lock:
            # The budget's in-flight cap refuses some: that answer swaps in only the errors.
            if 'id="gen-' in response.text:
                self.tally.created += 1
            else:
                self.tally.refused += 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures_table(tally: Tally) -> str:
    lines = [
        "| page | requests | p50 ms | p95 ms | max ms | 5xx | sent again |",
        "|---|---|---|---|---|---|---|",
    ]
    for page in ["log in", "live updates", *ACTIONS]:
        times = tally.seconds.get(page)
        if not times:
            continue
        errors = tally.server_errors().get(page, 0)
        lines.append(
            f"| {page} | {len(times)} | {statistics.median(times) * 1000:.0f} | "
            f"{percentile(times, 0.95) * 1000:.0f} | {max(times) * 1000:.0f} | {errors} | "
            f"{tally.resends.get(page, 0)} |"
        )
    return "\n".join(lines)


def made_by_members(studio: RunningStudio, timeout: float) -> dict[str, int]:
    """The load's own generations by state, once none is in flight (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        states = dict(
            studio.query(
                "select g.status, count(*) from generations_generation g join auth_user u "
                "on u.id = g.owner_id where u.username like 'load%' group by 1"
            )
        )
        if not set(states) & {"waiting", "submitted", "processing"}:
            return states
        if time.monotonic() > deadline:
            return states
        time.sleep(0.5)


@pytest.fixture
def busy_studio(tmp_path):
    studio = RunningStudio(
        tmp_path, job_seconds=8, render="cached", extra_env={"EXPECTED_JOB_SECONDS": "8"}
    ).start()
    try:
        # The seeded clips share three real ones; rendered at 4 fps they are made in seconds.
        studio.manage(
            "seed_gallery", "--generations", str(SEEDED_GENERATIONS), "--days", "30",
            "--clip-fps", "4",
        )  # fmt: skip
        studio.add_members([f"load{i}" for i in range(MEMBERS)])
        yield studio
    finally:
        studio.stop()


def test_twenty_members_browsing_and_submitting_get_no_server_errors(busy_studio, request):
    tally = Tally()
    members = [Member(busy_studio, f"load{i}", tally, seed=i) for i in range(MEMBERS)]
    with ThreadPoolExecutor(MEMBERS) as pool:
        # All log in at once first: hashing 20 passwords is its own figure, not browsing's.
        for outcome in [pool.submit(member.log_in) for member in members]:
            outcome.result()
        started = time.monotonic()
        for outcome in [pool.submit(m.browse, started + SECONDS) for m in members]:
            outcome.result()
    elapsed = time.monotonic() - started
    made = made_by_members(busy_studio, timeout=120)

    assert tally.failures == []
    assert tally.server_errors() == {}
    assert "database is locked" not in busy_studio.logs()
    assert tally.created > 0
    assert made == {"completed": tally.created}

    requests = sum(len(times) for page, times in tally.seconds.items() if page != "log in")
    publish(
        request,
        "load-test" if database_label() == "SQLite" else f"load-test-{database_label().lower()}",
        f"""# Load test

`make load-test` (or `{request.node.nodeid}`, part of `make test`), on {machine_label()}, {database_label()}.

{MEMBERS} members log in at the same moment (through the login form, with its CSRF token), then browse for {SECONDS:.0f} s over loopback, {THINK_SECONDS[0]}–{THINK_SECONDS[1]} s between actions, polling live updates every {LIVE_UPDATE_EVERY:.0f} s as the studio page does, in a gallery seeded with {SEEDED_GENERATIONS} clips. The studio runs as `make run` starts it: gunicorn (2 workers × 4 threads), a django-q2 cluster (3 workers) and the simulator (8 s jobs). The load comes from threads in the test process on the same machine, so latencies include its share of the CPUs.

Browsing: {requests} requests in {elapsed:.0f} s ({requests / elapsed:.1f}/s); {tally.created} clips submitted and made, {tally.refused} refused by the in-flight cap (3 per member); no 5xx answer, no "database is locked" in any log. Logging in is slow by design: each login hashes the password (PBKDF2), and {MEMBERS} at once queue for the CPUs.

{figures_table(tally)}
""",
    )
