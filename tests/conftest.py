"""Fixtures shared by the test suite, one section per area."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from apiframe_simulator import SimulatorServer
from tests.independent_apiframe import IndependentApiframe, make_clip
from tests.s3_server import s3_bucket, s3_server  # noqa: F401  (fixtures: media in a bucket)

# ---------------------------------------------------------------------------------------------
# Which tests run on both databases (`make test` runs the rest on SQLite only)
# ---------------------------------------------------------------------------------------------

# What depends on the database's own behaviour: locks, claims, transactions, aggregate queries,
# migrations, full-text and caching in tables. The rest (forms, the client, the simulator, the
# browser, faults over HTTP) behaves the same on either and runs once, on SQLite.
BOTH_DATABASES = {
    "test_add_to_board.py",
    "test_batch_concurrency.py",
    "test_board_names.py",
    "test_board_order.py",
    "test_board_permissions.py",
    "test_bulk_actions.py",
    "test_stars.py",
    "test_stars_reach_other_tabs.py",
    "test_budget_concurrency.py",
    "test_budgets.py",
    "test_concurrent_approvals.py",
    "test_deleted_prompts_leave_the_library.py",
    "test_first_frame_requirement.py",
    "test_first_frame_upload.py",
    "test_gallery.py",
    "test_gallery_filters.py",
    "test_hostile_parameters.py",
    "test_invites.py",
    "test_keeping_the_tracker_alive.py",
    "test_last_staff_member.py",
    "test_ledger_check.py",
    "test_login_throttle.py",
    "test_money_after_leaving_early.py",
    "test_pipeline.py",
    "test_posters.py",
    "test_prompt_search.py",
    "test_restart.py",
    "test_search_index_in_step.py",
    "test_seed_gallery.py",
    "test_share_links_anonymous.py",
    "test_share_links_dead.py",
    "test_share_revoke_permissions.py",
    "test_share_token_throttle.py",
    "test_share_views_counted.py",
    "test_state_machine.py",
    "test_tracker_claims.py",
    "test_two_clusters.py",
    "test_usage_matches_the_provider.py",
    "test_usage_review.py",
    "test_zip_download.py",
}

# What behaves the same on either database and barely touches it (the simulator, the client, media
# on S3, the benchmarks' harness) runs once too, in the PostgreSQL pass: `make test` runs the two
# passes side by side, and this evens them out.
PASS_BESIDE_POSTGRES = {
    "test_benchmarks.py",
    "test_camera_moves.py",
    "test_client.py",
    "test_client_jobs_list.py",
    "test_independent_apiframe.py",
    "test_last_frame.py",
    "test_reel_benchmark.py",
    "test_reel_stitching.py",
    "test_reels_on_s3.py",
    "test_s3_keys_never_shown.py",
    "test_s3_memory.py",
    "test_s3_ranges.py",
    "test_s3_settings.py",
    "test_simulator_contract.py",
    "test_simulator_faults.py",
    "test_simulator_jobs_list.py",
    "test_simulator_render.py",
    "test_simulator_require_image.py",
    "test_simulator_server.py",
}

# What makes a test slow, so `make test-fast` leaves it out: real HTTP servers, and transactions
# committed for threads and processes to see.
SLOW_FIXTURES = {"simulator", "simulator_factory", "studio_simulator", "independent_apiframe",
                 "independent_apiframe_factory", "live_server", "http_stub", "s3_server"}  # fmt: skip


# The longest files, started first: xdist hands out whole files in collection order, and one of
# these begun last would be the run's tail.
LONGEST_FIRST = [
    "test_restart.py", "test_load.py", "test_two_clusters.py", "test_hostile_parameters.py",
    "test_every_page_at_every_size.py", "test_studio_states_in_a_browser.py",
    "test_stopping_the_cluster.py", "test_redis_broker.py", "test_benchmarks.py",
    "test_browser.py", "test_collections_in_a_browser.py", "test_story_in_a_browser.py",
    "test_reel_resume.py", "test_team_journey_in_a_browser.py", "test_variations_end_to_end.py",
]  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest as found
    for item in items:
        if item.path.name in BOTH_DATABASES:
            item.add_marker(pytest.mark.both_databases)
        if item.path.name in PASS_BESIDE_POSTGRES:
            item.add_marker(pytest.mark.beside_postgres)
        database = item.get_closest_marker("django_db")
        committed = database is not None and database.kwargs.get("transaction")
        if committed or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# ---------------------------------------------------------------------------------------------
# Apiframe simulator (generations/simulator)
# ---------------------------------------------------------------------------------------------

SIMULATOR_KEY = "afk_test_simulator"


@pytest.fixture(scope="session")
def simulator_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clip cache for the session: `cached` servers then render each clip size only once."""
    return tmp_path_factory.mktemp("simulator-cache")


@pytest.fixture
def simulator_factory(
    tmp_path: Path, simulator_cache_dir: Path
) -> Iterator[Callable[..., SimulatorServer]]:
    """Starts SimulatorServers (fast defaults, overridable by keyword) and stops them afterwards.

    Servers made by one test share its data dir unless given their own `data_dir`, so a test can
    stop one and start another on the same records.
    """
    started: list[SimulatorServer] = []

    def make(**options: Any) -> SimulatorServer:
        settings = {
            "api_key": SIMULATOR_KEY,
            "data_dir": tmp_path / "simulator",
            "job_seconds": 1.0,
            "render_mode": "cached",
            "cache_dir": simulator_cache_dir,
        }
        server = SimulatorServer(**(settings | options)).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def simulator(simulator_factory: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A started simulator: 1 s jobs, cached clips, a fresh data dir, key `SIMULATOR_KEY`."""
    return simulator_factory()


@pytest.fixture
def studio_simulator(simulator: SimulatorServer, settings) -> Iterator[SimulatorServer]:
    """The studio pointed at a fresh simulator, polling only, expecting 1-second jobs."""
    from generations.pipeline import expectations

    settings.APIFRAME_BASE_URL = simulator.url
    settings.APIFRAME_API_KEY = SIMULATOR_KEY
    settings.EXPECTED_JOB_SECONDS = 1.0
    settings.PUBLIC_URL = ""
    expectations.forget()
    yield simulator
    expectations.forget()


@pytest.fixture(scope="session")
def independent_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small MP4 every completed job of the independent Apiframe serves, made once."""
    return make_clip(tmp_path_factory.mktemp("independent-apiframe"))


@pytest.fixture
def independent_apiframe_factory(
    independent_clip: Path,
) -> Iterator[Callable[..., IndependentApiframe]]:
    """Starts IndependentApiframes (keywords as its constructor's) and stops them afterwards."""
    started: list[IndependentApiframe] = []

    def make(**options: Any) -> IndependentApiframe:
        server = IndependentApiframe(clip=independent_clip, **options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def independent_apiframe(
    independent_apiframe_factory: Callable[..., IndependentApiframe],
) -> IndependentApiframe:
    """Apiframe as tests/independent_apiframe.py reads the contract: 1 s jobs, key `.api_key`."""
    return independent_apiframe_factory()


@dataclass(frozen=True)
class StubRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class StubServer:
    """A tiny HTTP server that records every request and answers from a per-path table.

    Serves as a webhook receiver (POSTs are answered 200 by default) and as a host for images
    and other files the simulator is told to fetch.
    """

    def __init__(self) -> None:
        self.requests: list[StubRequest] = []
        self._answers: dict[str, tuple[int, bytes, str]] = {}
        self._changed = threading.Condition()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def answer(
        self, path: str, status: int = 200, body: bytes = b"", content_type: str = "text/plain"
    ) -> str:
        """Answer requests to `path` this way from now on; returns the full URL."""
        self._answers[path] = (status, body, content_type)
        return self.url + path

    def wait_for(
        self, predicate: Callable[[list[StubRequest]], bool], timeout: float = 10.0
    ) -> list[StubRequest]:
        """Block until the recorded requests satisfy `predicate`; returns a copy of them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.requests):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"stub saw {len(self.requests)} requests: {self.requests}")
                self._changed.wait(remaining)
            return list(self.requests)

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _record(self, request: StubRequest) -> tuple[int, bytes, str]:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
        return self._answers.get(request.path, (200 if request.method == "POST" else 404, b"", ""))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = StubRequest(self.command, self.path, dict(self.headers.items()), body)
                status, answer, content_type = stub._record(request)
                self.send_response(status)
                self.send_header("Content-Type", content_type or "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def http_stub() -> Iterator[StubServer]:
    stub = StubServer()
    yield stub
    stub.stop()


def _image_bytes(size: tuple[int, int] = (640, 360), image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.fixture
def make_image() -> Callable[..., bytes]:
    """make_image(size=(640, 360), image_format="PNG"): a small real image (PNG/JPEG/GIF/WEBP)."""
    return _image_bytes


# ---------------------------------------------------------------------------------------------
# Browsers (tests/browsers.py): Debian's chromium, one per test module, and pages that fail their
# test on any console error
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    from tests.browsers import launched_chromium

    yield from launched_chromium()


@pytest.fixture
def pages(browser):
    from tests.browsers import watched_pages

    yield from watched_pages(browser)
