"""Faults the simulator injects: scripted per route (tests play exact sequences) or random per run.

A scripted fault applies to the next request on its route, in the order pushed. Random faults only
hit API routes and only come from the transient kinds a real outage produces; a seeded plan draws
the same sequence every run.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

API_ROUTES = ("submit", "job", "upload", "me", "jobs", "models")
ROUTES = (*API_ROUTES, "file", "upload_file", "webhook")

# Which routes each kind makes sense on; `status`, `slow`, `drop` and `malformed` fit any request.
_ONLY_ON = {
    "fail_job": {"submit"},
    "missing_file": {"file", "upload_file"},
    "truncated": {"file", "upload_file"},
    "webhook_duplicate": {"webhook"},
    "webhook_drop": {"webhook"},
    "webhook_reorder": {"webhook"},
}
_HTTP_KINDS = {"status", "slow", "drop", "malformed"}
_MESSAGES = {
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
}
# What a failed job says when its fault gave no message of its own.
FAILED_JOB_MESSAGE = "Generation failed upstream"
# Seconds a randomly injected slow answer waits: long enough to notice, short enough for test runs.
RANDOM_SLOW_SECONDS = 1.0

# --require-image: Apiframe refusing clips without a first frame (MiniMax documents Hailuo 2.3 Fast
# as image-to-video; Apiframe's schema leaves `image` optional). It refuses in one of two shapes:
# a 400 at submit naming the image in `details`, or a job that fails saying so (billed nothing).
REFUSE_AT_SUBMIT = "submit"
FAIL_THE_JOB = "job"
REQUIRE_IMAGE_SHAPES = (REFUSE_AT_SUBMIT, FAIL_THE_JOB)
IMAGE_REQUIRED_MESSAGE = (
    "hailuo-2.3-fast is an image-to-video model: hailuoParams.image (the first frame) is required"
)


@dataclass(frozen=True)
class Fault:
    kind: str
    code: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    message: str = ""
    # For `drop`: handle the request first (a submit creates its job), then lose the answer.
    processed: bool = False

    @classmethod
    def status(cls, code: int, retry_after: float | None = None) -> Fault:
        """An error answer instead of the real one; `retry_after` becomes the Retry-After header."""
        return cls("status", code=code, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def drop(cls, processed: bool = False) -> Fault:
        return cls("drop", processed=processed)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def fail_job(cls, message: str = FAILED_JOB_MESSAGE) -> Fault:
        return cls("fail_job", message=message)

    @classmethod
    def missing_file(cls) -> Fault:
        return cls("missing_file")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def webhook_duplicate(cls) -> Fault:
        return cls("webhook_duplicate")

    @classmethod
    def webhook_drop(cls) -> Fault:
        return cls("webhook_drop")

    @classmethod
    def webhook_reorder(cls) -> Fault:
        return cls("webhook_reorder")

    @property
    def error_message(self) -> str:
        if self.kind == "fail_job":
            return self.message or FAILED_JOB_MESSAGE
        return self.message or _MESSAGES.get(self.code or 0, "Simulated failure")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """A fault from the control API's JSON (the keys of `to_json`); ValueError if invalid."""
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise ValueError("a fault is an object with a string `kind`")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        fault = cls(**data)
        if fault.kind not in _HTTP_KINDS and fault.kind not in _ONLY_ON:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        if not isinstance(fault.message, str):
            raise ValueError("`message` must be a string")
        if fault.kind == "status" and not (isinstance(fault.code, int) and 400 <= fault.code < 600):
            raise ValueError("a status fault needs an HTTP error `code`")
        numbers = (fault.seconds, 0 if fault.retry_after is None else fault.retry_after)
        if not all(
            isinstance(n, int | float) and not isinstance(n, bool) and n >= 0 for n in numbers
        ):
            raise ValueError("`seconds` and `retry_after` must be numbers of seconds")
        return fault


class FaultPlan:
    """The faults waiting per route plus the seeded random ones; safe to use from many threads."""

    def __init__(self, rate: float = 0.0, seed: int | None = None) -> None:
        self.rate = rate
        self._seed = seed
        self._random = random.Random(seed)
        self._queues: dict[str, deque[Fault]] = {route: deque() for route in ROUTES}
        self._lock = threading.Lock()

    def push(self, route: str, *faults: Fault) -> None:
        self.check(route, *faults)
        with self._lock:
            self._queues[route].extend(faults)

    def next_for(self, route: str) -> Fault | None:
        with self._lock:
            queue = self._queues[route]
            if queue:
                return queue.popleft()
            if route in API_ROUTES and self.rate > 0 and self._random.random() < self.rate:
                return self._random_fault()
            return None

    def pending(self) -> dict[str, int]:
        with self._lock:
            return {route: len(queue) for route, queue in self._queues.items() if queue}

    def reset(self) -> None:
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self._random = random.Random(self._seed)

    @staticmethod
    def check(route: str, *faults: Fault) -> None:
        """ValueError unless every fault can apply to the route."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {ROUTES}")
        for fault in faults:
            allowed = _ONLY_ON.get(fault.kind)
            if allowed is not None and route not in allowed:
                raise ValueError(f"a {fault.kind} fault does not apply to route {route!r}")
            if allowed is None and route == "webhook":
                raise ValueError(f"a {fault.kind} fault does not apply to webhooks")

    def _random_fault(self) -> Fault:
        choices = (
            Fault.status(429, retry_after=1),
            Fault.status(500),
            Fault.status(503),
            Fault.slow(RANDOM_SLOW_SECONDS),
            Fault.drop(),
            Fault.malformed(),
        )
        return self._random.choice(choices)
