"""The simulator's jobs: records on disk, the wall-clock lifecycle, idempotency and credits.

Layout of the data dir: `jobs/<id>.json` (one record per job, rewritten atomically on each change),
`files/<id>.mp4` (finished clips, deleted when they expire) and `inputs/<id>.<ext>` (first frames).
Nothing else is kept: the balance and the idempotency ledger are derived from the job records, so
a restarted simulator carries on where it stopped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .contract import MODEL
from .faults import FAILED_JOB_MESSAGE

log = logging.getLogger(__name__)

PRICES = {("768p", 6): 5, ("768p", 10): 10, ("1080p", 6): 10}
HEIGHTS = {"768p": 768, "1080p": 1080}
FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
# Share of a job's run spent QUEUED before PROCESSING starts.
QUEUE_SHARE = 0.1
PROGRESS_MILESTONES = (25, 50, 75)
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600


class InsufficientCredits(Exception):
    def __init__(self, required: int, available: int) -> None:
        super().__init__(f"{required} credits required, {available} available")
        self.required = required
        self.available = available


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different body."""


@dataclass
class JobRecord:
    id: str
    input: dict[str, Any]
    resolution: str
    duration: int
    run_seconds: float
    created_at: float
    idempotency_key: str | None = None
    body_hash: str | None = None
    image_file: str | None = None
    # Set by a scripted Fault.fail_job: the job is accepted, then fails with this error.
    fail_message: str | None = None
    status: str = "QUEUED"
    progress: int = 0
    rendered: bool = False
    render_error: str | None = None
    error: str | None = None
    credit_cost: int | None = None
    completed_at: float | None = None
    expired: bool = False
    # None until a webhook is due; then pending, and delivered or failed after each delivery.
    webhook_status: str | None = None
    events_sent: list[str] = field(default_factory=list)
    # Made by another member of the team (staged by a test): listed with scope=team only.
    teammate: bool = False

    @classmethod
    def from_body(cls, job_id: str, body: dict[str, Any], **fields: Any) -> JobRecord:
        """A job for a submit's body: its size and length read from hailuoParams."""
        params = body.get("hailuoParams") or {}
        return cls(
            id=job_id,
            input=body,
            resolution=params.get("resolution", "768p"),
            duration=int(params.get("duration", 6)),
            body_hash=body_hash(body),
            **fields,
        )

    @property
    def price(self) -> int:
        return PRICES[(self.resolution, self.duration)]

    @property
    def model(self) -> str:
        return str(self.input.get("model") or MODEL)

    @property
    def sort_key(self) -> tuple[float, str]:
        """GET /v2/jobs pages on (createdAt desc, id desc): newest first, ties broken by id."""
        return (self.created_at, self.id)

    @property
    def height(self) -> int:
        return HEIGHTS[self.resolution]

    @property
    def webhook_url(self) -> str | None:
        return self.input.get("webhookUrl")

    def wants_event(self, event: str) -> bool:
        return bool(self.webhook_url) and event in self.input.get(
            "webhookEvents", ("progress", "completed", "failed")
        )


# An event to deliver: (job snapshot, event name).
EventSink = Callable[[JobRecord, str], None]


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a GET /v2/jobs request asks for."""

    status: str | None = None
    model: str | None = None
    search: str | None = None
    team: bool = False

    def matches(self, record: JobRecord) -> bool:
        return (
            (self.team or not record.teammate)
            and self.status in (None, record.status)
            and self.model in (None, record.model)
            and self.search in (None, record.id)
        )


def encode_cursor(record: JobRecord) -> str:
    """Opaque to clients; the exact sort key inside, so no job is skipped or repeated."""
    text = json.dumps([record.created_at, record.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The sort key a cursor stands for; ValueError for anything this simulator did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, job_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeError, TypeError, ValueError):
        raise ValueError("Invalid cursor") from None
    if not isinstance(created_at, int | float) or not isinstance(job_id, str):
        raise ValueError("Invalid cursor")
    return float(created_at), job_id


class IdSource:
    """UUIDs, drawn from a seeded generator when the run is seeded so ids repeat run to run."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(None if seed is None else f"ids-{seed}")
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


def body_hash(body: dict[str, Any]) -> str:
    """Same request, same hash, whatever the key order or spacing the client used."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def iso(timestamp: float | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, as Apiframe writes its timestamps."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json(path: Path, data: object) -> None:
    """Write atomically so a crash or a concurrent reader never sees half a record."""
    temporary = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)


class JobStore:
    """Every job, guarded by one lock; `tick` moves jobs along the clock and reports events."""

    def __init__(
        self,
        data_dir: Path,
        *,
        credits: int,
        retention_seconds: float,
        new_id: Callable[[], str],
        on_event: EventSink,
    ) -> None:
        self.records_dir = data_dir / "jobs"
        self.files_dir = data_dir / "files"
        self.inputs_dir = data_dir / "inputs"
        for directory in (self.records_dir, self.files_dir, self.inputs_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.initial_credits = credits
        self.retention_seconds = retention_seconds
        self._new_id = new_id
        self._on_event = on_event
        self._lock = threading.RLock()
        self._jobs: dict[str, JobRecord] = {}
        self._load()

    # Reading

    def get(self, job_id: str) -> JobRecord | None:
        """A snapshot of the job as of now (moved along its lifecycle first)."""
        with self._lock:
            record = self._jobs.get(job_id)
            if record is None:
                return None
            self._advance(record, time.time())
            return replace(record, events_sent=list(record.events_sent))

    def clip_path(self, job_id: str) -> Path:
        return self.files_dir / f"{job_id}.mp4"

    def input_path(self, record: JobRecord) -> Path | None:
        return self.inputs_dir / record.image_file if record.image_file else None

    def unrendered(self) -> list[JobRecord]:
        """Jobs still waiting for a clip (after a restart their renders must be scheduled again)."""
        with self._lock:
            return [
                replace(record)
                for record in self._jobs.values()
                if record.status not in FINAL
                and not (record.rendered or record.render_error)
                and record.fail_message is None
            ]

    def balance(self) -> int:
        with self._lock:
            spent = sum(record.credit_cost or 0 for record in self._jobs.values())
            return self.initial_credits - spent

    def jobs_created_for_key(self, key: str) -> int:
        with self._lock:
            return sum(1 for record in self._jobs.values() if record.idempotency_key == key)

    def jobs_by_key(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for record in self._jobs.values():
                if record.idempotency_key is not None:
                    key = record.idempotency_key
                    counts[key] = counts.get(key, 0) + 1
            return counts

    def count(self) -> int:
        with self._lock:
            return len(self._jobs)

    def page(
        self, wanted: JobFilter, *, limit: int, before: tuple[float, str] | None
    ) -> tuple[list[JobRecord], bool]:
        """(up to `limit` matching jobs older than the `before` key, newest first; more follow)."""
        now = time.time()
        with self._lock:
            matching = []
            for record in self._jobs.values():
                self._advance(record, now)
                if wanted.matches(record) and (before is None or record.sort_key < before):
                    matching.append(record)
            matching.sort(key=lambda record: record.sort_key, reverse=True)
            page = [replace(r, events_sent=list(r.events_sent)) for r in matching[:limit]]
            return page, len(matching) > limit

    def models_used(self, *, team: bool) -> list[str]:
        with self._lock:
            return sorted({r.model for r in self._jobs.values() if team or not r.teammate})

    # Submitting

    def replay(self, key: str | None, digest: str) -> JobRecord | None:
        """The job an earlier submit with this key created (within 24 h), if the body matches."""
        if key is None:
            return None
        with self._lock:
            record = self._latest_for_key(key, time.time())
            if record is None:
                return None
            if record.body_hash != digest:
                raise IdempotencyConflict(key)
            return self.get(record.id)

    def create(
        self,
        body: dict[str, Any],
        *,
        key: str | None,
        run_seconds: float,
        image: tuple[bytes, str] | None,
        fail_message: str | None,
    ) -> tuple[JobRecord, bool]:
        """(job, created): a new job, or the one a concurrent submit with the same key made."""
        with self._lock:
            existing = self.replay(key, body_hash(body))
            if existing is not None:
                return existing, False
            record = JobRecord.from_body(
                self._unused_id(),
                body,
                run_seconds=run_seconds,
                created_at=time.time(),
                idempotency_key=key,
                fail_message=fail_message,
            )
            available = self._available()
            if record.price > available:
                raise InsufficientCredits(record.price, max(0, available))
            if image is not None:
                data, extension = image
                record.image_file = f"{record.id}.{extension}"
                (self.inputs_dir / record.image_file).write_bytes(data)
            self._jobs[record.id] = record
            self._save(record)
            return replace(record), True

    def stage(
        self,
        body: dict[str, Any],
        *,
        status: str,
        credit_cost: int | None,
        error: str | None,
        created_at: float,
        run_seconds: float,
        teammate: bool,
    ) -> JobRecord:
        """A job that already ended, made outside the studio: what tests reconcile against."""
        if status not in FINAL:
            raise ValueError(f"a staged job is final: one of {sorted(FINAL)}, not {status!r}")
        with self._lock:
            record = JobRecord.from_body(
                self._unused_id(),
                body,
                run_seconds=run_seconds,
                created_at=created_at,
                status=status,
                teammate=teammate,
            )
            record.progress = 100 if status == "COMPLETED" else 0
            record.credit_cost = (
                credit_cost
                if credit_cost is not None
                else record.price
                if status == "COMPLETED"
                else 0
            )
            record.error = error or ("Generation failed" if status == "FAILED" else None)
            record.completed_at = min(time.time(), created_at + run_seconds)
            self._jobs[record.id] = record
            self._save(record)
            return replace(record)

    def set_credit_cost(self, job_id: str, credit_cost: int) -> JobRecord:
        """Bill a finished job differently (KeyError if unknown, ValueError if still running)."""
        with self._lock:
            record = self._jobs[job_id]
            self._advance(record, time.time())
            if record.status not in FINAL:
                raise ValueError(f"job {job_id} is {record.status}, not finished")
            record.credit_cost = credit_cost
            self._save(record)
            return replace(record, events_sent=list(record.events_sent))

    # Changes from the workers and the clock

    def mark_rendered(self, job_id: str, error: str | None) -> None:
        with self._lock:
            record = self._jobs.get(job_id)
            if record is None:
                return
            record.rendered = error is None
            record.render_error = error
            self._save(record)
            self._advance(record, time.time())

    def set_webhook_status(self, job_id: str, status: str) -> None:
        with self._lock:
            record = self._jobs.get(job_id)
            if record is not None and record.webhook_status != status:
                record.webhook_status = status
                self._save(record)

    def complete_now(self, job_id: str) -> None:
        """Make the job due now; it completes as soon as its clip is rendered."""
        with self._lock:
            record = self._jobs[job_id]
            record.run_seconds = min(record.run_seconds, time.time() - record.created_at)
            self._save(record)
            self._advance(record, time.time())

    def tick(self) -> None:
        now = time.time()
        with self._lock:
            for record in self._jobs.values():
                self._advance(record, now)

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            for directory in (self.records_dir, self.files_dir, self.inputs_dir):
                for path in directory.iterdir():
                    path.unlink(missing_ok=True)

    # Internals (called with the lock held)

    def _advance(self, record: JobRecord, now: float) -> None:
        if record.status == "COMPLETED":
            self._expire_if_due(record, now)
        if record.status in FINAL:
            return
        elapsed = now - record.created_at
        queued_for = QUEUE_SHARE * record.run_seconds
        if elapsed < queued_for:
            record.status, record.progress = "QUEUED", 0
            return
        if elapsed >= record.run_seconds and self._finish(record, now):
            return
        span = max(record.run_seconds - queued_for, 1e-6)
        record.status = "PROCESSING"
        record.progress = max(1, min(99, 1 + int(98 * (elapsed - queued_for) / span)))
        self._progress_event(record)

    def _finish(self, record: JobRecord, now: float) -> bool:
        # An empty fail_message (kept by a simulator before this check) still fails the job.
        failed = record.fail_message is not None
        error = (record.fail_message or FAILED_JOB_MESSAGE) if failed else record.render_error
        if error is None and not record.rendered:
            return False
        if error is not None:
            record.status, record.error, record.credit_cost = "FAILED", error, 0
        else:
            record.status, record.progress, record.credit_cost = "COMPLETED", 100, record.price
        record.completed_at = now
        event = record.status.lower()
        record.events_sent.append(event)
        self._emit(record, event)
        self._save(record)
        return True

    def _progress_event(self, record: JobRecord) -> None:
        # One event per milestone; a job that leapt past several (after a restart) reports the last.
        reached = [m for m in PROGRESS_MILESTONES if m <= record.progress]
        new = [m for m in reached if f"progress:{m}" not in record.events_sent]
        if not new:
            return
        record.events_sent.extend(f"progress:{m}" for m in new)
        self._emit(record, "progress")
        self._save(record)

    def _emit(self, record: JobRecord, event: str) -> None:
        if record.wants_event(event):
            record.webhook_status = "pending"
            self._on_event(replace(record, events_sent=list(record.events_sent)), event)

    def _expire_if_due(self, record: JobRecord, now: float) -> None:
        if record.expired or record.completed_at is None:
            return
        if now >= record.completed_at + self.retention_seconds:
            record.expired = True
            self.clip_path(record.id).unlink(missing_ok=True)
            self._save(record)

    def _available(self) -> int:
        reserved = sum(r.price for r in self._jobs.values() if r.status not in FINAL)
        return self.balance() - reserved

    def _latest_for_key(self, key: str, now: float) -> JobRecord | None:
        candidates = [
            record
            for record in self._jobs.values()
            if record.idempotency_key == key
            and now - record.created_at < IDEMPOTENCY_WINDOW_SECONDS
        ]
        return max(candidates, key=lambda record: record.created_at, default=None)

    def _unused_id(self) -> str:
        # A seeded run restarted on the same data dir draws the same ids again: skip those.
        job_id = self._new_id()
        while job_id in self._jobs:
            job_id = self._new_id()
        return job_id

    def _save(self, record: JobRecord) -> None:
        write_json(self.records_dir / f"{record.id}.json", asdict(record))

    def _load(self) -> None:
        for path in sorted(self.records_dir.glob("*.json")):
            try:
                record = JobRecord(**json.loads(path.read_text()))
            except (OSError, ValueError, TypeError) as exc:
                log.warning("Skipping unreadable job record %s: %s", path.name, exc)
                continue
            self._jobs[record.id] = record
