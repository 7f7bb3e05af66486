"""The Apiframe simulator: a real HTTP server speaking the hailuo-2.3-fast contract.

`SimulatorServer` wires the job store, the clip renderers, the webhook sender and the fault plan
together, runs the clock that moves jobs along, and serves the routes (routes.py) with the standard
library's ThreadingHTTPServer: one daemon thread per connection, HTTP/1.1 keep-alive.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .clips import ClipMaker, ClipOrder
from .contract import MODEL
from .faults import REQUIRE_IMAGE_SHAPES, FaultPlan
from .jobs import FINAL, PRICES, IdSource, JobRecord, JobStore, iso
from .routes import Handler, SimulatorHTTPServer
from .uploads import UploadStore
from .webhooks import WebhookSender

log = logging.getLogger(__name__)

RESULT_SHAPES = ("videoUrl", "url", "string", "list")
# GET /v2/models: the catalog entry for the one model simulated, priced from the job price table.
CATALOG = (
    {
        "id": MODEL,
        "label": "Hailuo 2.3 Fast",
        "description": "MiniMax Hailuo 2.3 Fast: 6 s or 10 s clips at 768p, 6 s at 1080p.",
        "modality": "video",
        "costMin": min(PRICES.values()),
        "costMax": max(PRICES.values()),
        "pricingMode": "per-output",
    },
)
TICK_SECONDS = (0.02, 0.25)
UPLOAD_PURGE_SECONDS = 30.0


class SimulatorServer:
    """An in-process Apiframe: `start()` serves it on a background thread, `stop()` ends it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str,
        data_dir: Path,
        job_seconds: float = 15.0,
        job_spread: float = 0.0,
        retention_seconds: float = 86400,
        credits: int = 10000,
        seed: int | None = None,
        fault_rate: float = 0.0,
        render_mode: str = "full",
        result_shape: str = "videoUrl",
        cache_dir: Path | None = None,
        team_admin: bool = True,
        require_image: str | None = None,
    ) -> None:
        if result_shape not in RESULT_SHAPES:
            raise ValueError(f"result_shape must be one of {RESULT_SHAPES}, not {result_shape!r}")
        check_require_image(require_image)
        self.host = host
        self.port = port
        self.api_key = api_key
        self.data_dir = Path(data_dir)
        self.job_seconds = job_seconds
        self.job_spread = job_spread
        self.result_shape = result_shape
        # Whether the key belongs to a team admin: only admins may list with scope=team.
        self.team_admin = team_admin
        # How clips without a first frame are refused (faults.REQUIRE_IMAGE_SHAPES); None: never.
        # Tests switch it on a running server (set_require_image); reset() restores this one.
        self.require_image = self._initial_require_image = require_image
        self.faults = FaultPlan(fault_rate, seed)
        self._timing = random.Random(None if seed is None else f"timing-{seed}")
        new_id = IdSource(seed)
        self.webhooks = WebhookSender(api_key, self.faults, self._webhook_result)
        self.store = JobStore(
            self.data_dir,
            credits=credits,
            retention_seconds=retention_seconds,
            new_id=new_id,
            on_event=self._send_webhook,
        )
        self.uploads = UploadStore(self.data_dir / "uploads", new_id)
        self.clips = ClipMaker(
            render_mode, cache_dir or self.data_dir / "cache", self.store.mark_rendered
        )
        self._requests: dict[str, int] = {}
        self._requests_lock = threading.Lock()
        # Requests about the same job (or submit key) answered at the same time: each worker
        # that claims a generation should be the only one asking about it.
        self._in_flight: dict[str, int] = {}
        self._overlapping: dict[str, int] = {}
        self._stopping = threading.Event()
        self._http: SimulatorHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # Life cycle

    def start(self) -> SimulatorServer:
        self._http = SimulatorHTTPServer((self.host, self.port), Handler)
        self._http.simulator = self
        self.port = self._http.server_address[1]
        self.clips.start()
        self.webhooks.start()
        for record in self.store.unrendered():
            self.schedule_render(record)
        self._threads = [
            threading.Thread(
                target=self._http.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="simulator-http",
                daemon=True,
            ),
            threading.Thread(target=self._tick, name="simulator-clock", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._http is None:
            return
        self._stopping.set()
        self._http.shutdown()
        self._http.server_close()
        self._http = None
        for thread in self._threads:
            thread.join(5)
        self.clips.stop()
        self.webhooks.stop()

    def __enter__(self) -> SimulatorServer:
        return self if self._http is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        # A wildcard bind is reached through loopback; the URLs the simulator hands out must work.
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    # Inspection and control for tests

    def job(self, job_id: str) -> dict[str, Any] | None:
        record = self.store.get(job_id)
        return None if record is None else self.job_json(record)

    def complete_now(self, job_id: str) -> None:
        self.store.complete_now(job_id)

    def wait_for(self, job_id: str, *statuses: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll the store (not HTTP) until the job reaches one of `statuses` (default: final)."""
        wanted = set(statuses) or FINAL
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job is not None and job["status"] in wanted:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is {job and job['status']}, not {wanted}")
            time.sleep(0.02)

    def client(self, *, key: str | None = None, authenticated: bool = True) -> httpx.Client:
        """An httpx client for this server, sending its key (or `key`; none if not authenticated).

        Clients share one transport: building one loads the CA bundle, which tests feel.
        """
        headers = {"X-API-Key": key or self.api_key} if authenticated else {}
        return httpx.Client(
            base_url=self.url, headers=headers, timeout=10.0, transport=_shared_transport()
        )

    def finish(self, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Make the job due now and wait until it is final (which waits for its clip)."""
        self.complete_now(job_id)
        return self.wait_for(job_id, timeout=timeout)

    def stage_job(
        self,
        status: str = "COMPLETED",
        *,
        credit_cost: int | None = None,
        prompt: str = "A job made outside the studio",
        resolution: str = "768p",
        duration: int = 6,
        model: str = MODEL,
        error: str | None = None,
        created_at: datetime | None = None,
        teammate: bool = False,
    ) -> dict[str, Any]:
        """A finished job the studio never submitted, billed `credit_cost` (default: its price)."""
        body = {
            "prompt": prompt,
            "model": model,
            "hailuoParams": {"resolution": resolution, "duration": duration},
        }
        record = self.store.stage(
            body,
            status=status,
            credit_cost=credit_cost,
            error=error,
            created_at=time.time() if created_at is None else _timestamp(created_at),
            run_seconds=self.run_seconds(),
            teammate=teammate,
        )
        if record.status == "COMPLETED":
            self.schedule_render(record)
        return self.job_json(record)

    def set_credit_cost(self, job_id: str, credit_cost: int) -> dict[str, Any]:
        """Bill a finished job another amount: a cost that differs from what the studio expects."""
        return self.job_json(self.store.set_credit_cost(job_id, credit_cost))

    def set_require_image(self, shape: str | None) -> None:
        """Refuse clips without a first frame from now on ("submit" or "job"), or not (None)."""
        check_require_image(shape)
        self.require_image = shape

    def catalog(self, modality: str | None = None) -> list[dict[str, Any]]:
        return [dict(entry) for entry in CATALOG if modality in (None, entry["modality"])]

    def jobs_created_for_key(self, key: str) -> int:
        return self.store.jobs_created_for_key(key)

    def request_count(self, route: str) -> int:
        with self._requests_lock:
            return self._requests.get(route, 0)

    def overlapping_requests(self) -> dict[str, int]:
        """`route:subject` → how many requests about it began while another was in flight."""
        with self._requests_lock:
            return dict(self._overlapping)

    def stats(self) -> dict[str, Any]:
        with self._requests_lock:
            requests = dict(self._requests)
        return {
            "requests": requests,
            "jobs": self.store.count(),
            "jobsByIdempotencyKey": self.store.jobs_by_key(),
            "credits": self.store.balance(),
            "pendingFaults": self.faults.pending(),
        }

    def reset(self) -> None:
        """Forget every job, upload, fault and count: a fresh simulator on the same port."""
        self.store.clear()
        self.uploads.clear()
        self.faults.reset()
        self.require_image = self._initial_require_image
        with self._requests_lock:
            self._requests.clear()
            self._overlapping.clear()

    # Presentation

    def job_json(self, record: JobRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "status": record.status,
            "model": record.model,
            "progress": _progress(record),
            "result": self._result(record),
            "error": record.error,
            "creditCost": record.credit_cost,
            "webhookStatus": record.webhook_status,
            "input": record.input,
            "expired": record.expired,
            "createdAt": iso(record.created_at),
            "completedAt": iso(record.completed_at),
        }

    def listed_job_json(self, record: JobRecord) -> dict[str, Any]:
        """A job as GET /v2/jobs lists it: the job resource without its `input`."""
        listed = self.job_json(record)
        del listed["input"]
        return listed

    def _result(self, record: JobRecord) -> Any:
        if record.status != "COMPLETED":
            return None
        url = f"{self.url}/files/{record.id}.mp4"
        shapes = {"string": url, "videoUrl": {"videoUrl": url}, "url": {"url": url}}
        return shapes.get(self.result_shape, [url])

    # Internals

    @contextlib.contextmanager
    def in_flight(self, route: str | None, subject: str | None) -> Iterator[None]:
        if route is None or subject is None:
            yield
            return
        key = f"{route}:{subject}"
        with self._requests_lock:
            if self._in_flight.get(key):
                self._overlapping[key] = self._overlapping.get(key, 0) + 1
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            yield
        finally:
            with self._requests_lock:
                self._in_flight[key] -= 1
                if not self._in_flight[key]:
                    del self._in_flight[key]

    def count_request(self, route: str) -> None:
        with self._requests_lock:
            self._requests[route] = self._requests.get(route, 0) + 1

    def run_seconds(self) -> float:
        spread = self._timing.uniform(-self.job_spread, self.job_spread) if self.job_spread else 0
        return max(0.05, self.job_seconds * (1 + spread))

    def schedule_render(self, record: JobRecord) -> None:
        self.clips.schedule(
            ClipOrder(
                job_id=record.id,
                destination=self.store.clip_path(record.id),
                prompt=str(record.input.get("prompt", "")),
                height=record.height,
                duration=record.duration,
                image=self.store.input_path(record),
            )
        )

    def _send_webhook(self, record: JobRecord, event: str) -> None:
        payload: dict[str, Any] = {
            "event": event,
            "jobId": record.id,
            "status": record.status,
            "progress": _progress(record),
            "model": MODEL,
        }
        if event == "completed":
            payload["result"] = self._result(record)
        if event == "failed":
            payload["error"] = record.error
        if event in ("completed", "failed"):
            payload["creditCost"] = record.credit_cost
            payload["completedAt"] = iso(record.completed_at)
        self.webhooks.send(record.id, str(record.webhook_url), event, payload)

    def _webhook_result(self, job_id: str, outcome: str) -> None:
        self.store.set_webhook_status(job_id, outcome)

    def _tick(self) -> None:
        interval = min(max(self.job_seconds / 40, TICK_SECONDS[0]), TICK_SECONDS[1])
        last_purge = time.monotonic()
        while not self._stopping.wait(interval):
            try:
                self.store.tick()
                if time.monotonic() - last_purge > UPLOAD_PURGE_SECONDS:
                    self.uploads.purge_expired()
                    last_purge = time.monotonic()
            except Exception:  # the clock must keep running whatever one job's record holds
                log.exception("Simulator clock tick failed")


def check_require_image(shape: str | None) -> None:
    if shape is not None and shape not in REQUIRE_IMAGE_SHAPES:
        raise ValueError(
            f"require_image must be one of {REQUIRE_IMAGE_SHAPES} or None, not {shape!r}"
        )


@functools.cache
def _shared_transport() -> httpx.HTTPTransport:
    return httpx.HTTPTransport()


def _timestamp(moment: datetime) -> float:
    """Seconds since the epoch; a naive datetime is taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _progress(record: JobRecord) -> int | None:
    return {"QUEUED": 0, "PROCESSING": record.progress, "COMPLETED": 100}.get(record.status)
