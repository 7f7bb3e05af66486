"""A second Apiframe, written from the Apiframe contract (CONTRACT.md) alone, to test against.

It shares no code (and no design) with generations/simulator: no files on disk, no clock thread,
no faults. Every job lives in a dict; its state is worked out from the wall time whenever anyone
looks (QUEUED for the first fifth of `seconds_per_job`, then PROCESSING, then COMPLETED or FAILED),
and a job is billed the moment it is first seen completed. Its price table deliberately differs
from the studio's estimates (12 credits for 1080p), and a prompt with the word FAILME fails.

    with IndependentApiframe(clip=path) as apiframe:
        ApiframeClient(apiframe.url, apiframe.api_key) ...
        apiframe.billed_total(), apiframe.billed_for("a prompt", "an-idempotency-key")
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODEL = "hailuo-2.3-fast"
PRICES = {("768p", 6): 5, ("768p", 10): 10, ("1080p", 6): 12}
STATUSES = ("QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED")
QUEUED_SHARE = 0.2
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
GENERATE_FIELDS = {"prompt", "model", "hailuoParams", "webhookUrl", "webhook_url", "webhookEvents"}
PARAM_FIELDS = {"image", "resolution", "duration", "prompt_optimizer"}
WEBHOOK_EVENTS = {"progress", "completed", "failed"}


def make_clip(folder: Path) -> Path:
    """A one-second blue H.264 MP4, made once with imageio-ffmpeg's own ffmpeg binary."""
    import imageio_ffmpeg

    clip = folder / "independent-clip.mp4"
    if not clip.exists():
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                *("-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:s=320x180:d=1"),
                *("-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(clip)),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    return clip


@dataclass
class Job:
    id: str
    seq: int  # the listing's order: later jobs have higher numbers
    body: dict[str, Any]
    key: str | None
    created: float
    price: int
    status: str = "QUEUED"
    progress: int = 0
    credit_cost: int | None = None
    error: str | None = None
    completed: float | None = None

    @property
    def prompt(self) -> str:
        return self.body["prompt"]

    @property
    def fails(self) -> bool:
        return re.search(r"\bFAILME\b", self.prompt) is not None


@dataclass
class Ledger:
    """What was billed: one line per completed job, written once."""

    lines: list[tuple[str, str, str | None, int]] = field(default_factory=list)

    def bill(self, job: Job) -> None:
        self.lines.append((job.id, job.prompt, job.key, job.price))


class Refusal(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def stamp(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class IndependentApiframe:
    """The contract's endpoints on 127.0.0.1:<free port>, with jobs in memory."""

    def __init__(
        self,
        *,
        clip: Path,
        api_key: str = "afk_independent",
        seconds_per_job: float = 1.0,
        credits: int = 1000,
        admin: bool = True,
    ) -> None:
        self.api_key = api_key
        self.seconds_per_job = seconds_per_job
        self.starting_credits = credits
        self.admin = admin
        self.clip_bytes = clip.read_bytes()
        self.calls: Counter[str] = Counter()
        self.ledger = Ledger()
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[str, tuple[str, str]] = {}  # key -> (job id, canonical body)
        self._uploads: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> IndependentApiframe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> IndependentApiframe:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # What tests compare against

    def billed_total(self) -> int:
        with self._lock:
            self._catch_up()
            return sum(price for *_, price in self.ledger.lines)

    def billed_for(self, *prompts_or_keys: str) -> int:
        """Credits billed for jobs whose prompt or Idempotency-Key is one of these."""
        wanted = set(prompts_or_keys)
        with self._lock:
            self._catch_up()
            return sum(
                price
                for _, prompt, key, price in self.ledger.lines
                if prompt in wanted or key in wanted
            )

    def balance(self) -> int:
        with self._lock:
            self._catch_up()
            return self._balance()

    def jobs_created(self) -> int:
        with self._lock:
            return len(self._jobs)

    def job(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            self._catch_up()
            return self._describe(self._jobs[job_id])

    def wait_until_final(self, job_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (job := self.job(job_id))["status"] not in ("COMPLETED", "FAILED", "CANCELLED"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job['status']}")
            time.sleep(0.05)
        return job

    # The jobs' lives (called with the lock held)

    def _catch_up(self) -> None:
        now = time.time()
        for job in self._jobs.values():
            if job.status not in ("QUEUED", "PROCESSING"):
                continue
            elapsed = now - job.created
            if elapsed >= self.seconds_per_job:
                job.completed = job.created + self.seconds_per_job
                if job.fails:
                    job.status, job.credit_cost = "FAILED", 0
                    job.error = "The prompt asked to fail (FAILME)"
                else:
                    job.status, job.progress, job.credit_cost = "COMPLETED", 100, job.price
                    self.ledger.bill(job)
            elif elapsed >= QUEUED_SHARE * self.seconds_per_job:
                job.status = "PROCESSING"
                job.progress = int(100 * elapsed / self.seconds_per_job)

    def _balance(self) -> int:
        return self.starting_credits - sum(price for *_, price in self.ledger.lines)

    def _describe(self, job: Job, *, with_input: bool = True) -> dict[str, Any]:
        answer = {
            "id": job.id,
            "status": job.status,
            "model": MODEL,
            "progress": job.progress if job.status != "FAILED" else None,
            "result": (
                {"videoUrl": f"{self.url}/videos/{job.id}.mp4"}
                if job.status == "COMPLETED"
                else None
            ),
            "error": job.error,
            "creditCost": job.credit_cost,
            "webhookStatus": None,
            "expired": False,
            "createdAt": stamp(job.created),
            "completedAt": stamp(job.completed),
        }
        if with_input:
            answer["input"] = job.body
        return answer

    # Endpoints: each takes the request and answers (status, JSON) or raises Refusal

    def generate(self, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        key = headers.get("Idempotency-Key")
        if key is not None and len(key) > 255:
            raise Refusal(
                400, {"error": "Bad Idempotency-Key", "details": {"Idempotency-Key": ["Too long"]}}
            )
        body = self._json(raw)
        problems = generate_problems(body)
        if problems:
            raise Refusal(400, {"error": "Validation failed", "details": problems})
        params = body.get("hailuoParams") or {}
        price = PRICES[(params.get("resolution", "768p"), params.get("duration", 6))]
        canonical = json.dumps(body, sort_keys=True)
        with self._lock:
            if key is not None and key in self._by_key:
                job_id, earlier = self._by_key[key]
                if earlier != canonical:
                    raise Refusal(409, {"error": "Idempotency-Key already used with another body"})
                self._catch_up()
                return 202, {"jobId": job_id, "status": self._jobs[job_id].status}
            self._catch_up()
            pending = sum(j.price for j in self._jobs.values() if j.credit_cost is None)
            available = self._balance() - pending
            if available < price:
                raise Refusal(
                    402,
                    {
                        "error": "Not enough credits",
                        "creditsRequired": price,
                        "creditsAvailable": max(available, 0),
                    },
                )
            job = Job(str(uuid.uuid4()), len(self._jobs) + 1, body, key, time.time(), price)
            self._jobs[job.id] = job
            if key is not None:
                self._by_key[key] = (job.id, canonical)
        return 202, {"jobId": job.id, "status": "QUEUED"}

    def get_job(self, job_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self._catch_up()
            job = self._jobs.get(job_id.lower())
            if job is None:
                raise Refusal(404, {"error": "Job not found"})
            return 200, self._describe(job)

    def list_jobs(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        one = {name: values[-1] for name, values in query.items()}
        problems: dict[str, list[str]] = {}
        limit_text = one.get("limit", "20")
        limit = int(limit_text) if limit_text.isdigit() else 0
        if not 1 <= limit <= 100:
            problems["limit"] = ["Expected an integer from 1 to 100"]
        if one.get("status") not in (None, *STATUSES):
            problems["status"] = [f"Expected one of {', '.join(STATUSES)}"]
        scope = one.get("scope", "user")
        if scope not in ("user", "team"):
            problems["scope"] = ["Expected user or team"]
        before = None
        if "cursor" in one:
            match = re.fullmatch(r"before-(\d+)", one["cursor"])
            if match is None:
                problems["cursor"] = ["Not a cursor this API gave out"]
            else:
                before = int(match[1])
        if problems:
            raise Refusal(400, {"error": "Invalid query", "details": problems})
        if scope == "team" and not self.admin:
            raise Refusal(403, {"error": "Only team admins may list the team's jobs"})
        with self._lock:
            self._catch_up()
            newest_first = sorted(self._jobs.values(), key=lambda job: job.seq, reverse=True)
            matching = [
                job
                for job in newest_first
                if (before is None or job.seq < before)
                and one.get("status") in (None, job.status)
                and one.get("model") in (None, MODEL)
                and one.get("search", "").lower() in ("", job.id)
            ]
            page = matching[:limit]
            more = len(matching) > limit
            return 200, {
                "jobs": [self._describe(job, with_input=False) for job in page],
                "nextCursor": f"before-{page[-1].seq}" if more else None,
                "hasMore": more,
            }

    def upload(self, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        content = multipart_field(headers.get("Content-Type", ""), raw, "file")
        if content is None:
            raise Refusal(400, {"error": "Invalid upload", "details": {"file": ["Required"]}})
        if len(content) > MAX_UPLOAD_BYTES:
            raise Refusal(400, {"error": "Invalid upload", "details": {"file": ["Over 25 MB"]}})
        content_type = sniff_image(content)
        if content_type is None:
            raise Refusal(400, {"error": "Invalid upload", "details": {"file": ["Not an image"]}})
        upload_id = str(uuid.uuid4())
        with self._lock:
            self._uploads[upload_id] = (content, content_type)
        expires = datetime.now(UTC) + timedelta(hours=1)
        return 201, {
            "id": upload_id,
            "url": f"{self.url}/uploaded/{upload_id}",
            "kind": "image",
            "contentType": content_type,
            "byteSize": len(content),
            "expiresAt": stamp(expires.timestamp()),
        }

    def me(self) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self._catch_up()
            credits = self._balance()
        return 200, {
            "user": {"id": "user-1", "email": "tester@independent.local", "role": "ADMIN"},
            "team": {"id": "team-1", "name": "Independent team", "credits": credits},
        }

    def models(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        modality = (query.get("modality") or [None])[-1]
        entry = {
            "id": MODEL,
            "label": "Hailuo 2.3 Fast",
            "modality": "video",
            "costMin": min(PRICES.values()),
            "costMax": max(PRICES.values()),
            "pricingMode": "per-output",
        }
        return 200, {"models": [entry] if modality in (None, "video") else []}

    def file(self, path: str) -> tuple[bytes, str] | None:
        """The bytes behind a result or upload URL, or None."""
        with self._lock:
            self._catch_up()
            if match := re.fullmatch(r"/videos/([0-9a-f-]+)\.mp4", path):
                job = self._jobs.get(match[1])
                return (self.clip_bytes, "video/mp4") if job and job.status == "COMPLETED" else None
            if match := re.fullmatch(r"/uploaded/([0-9a-f-]+)", path):
                return self._uploads.get(match[1])
        return None

    @staticmethod
    def _json(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise Refusal(
                400, {"error": "Body is not JSON", "details": {"(root)": ["Invalid JSON"]}}
            ) from None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                route = f"{self.command} {re.sub(r'/[0-9a-fA-F-]{36}', '/{id}', parts.path)}"
                api.calls[route] += 1
                try:
                    status, answer = self.route(parts.path, parse_qs(parts.query), raw)
                except Refusal as refusal:
                    self.answer(refusal.status, refusal.body, refusal.headers)
                    return
                if isinstance(answer, tuple):
                    content, content_type = answer
                    self.send(status, content, content_type)
                else:
                    self.answer(status, answer)

            do_POST = do_GET

            def route(self, path: str, query: dict[str, list[str]], raw: bytes) -> tuple[int, Any]:
                if path.startswith(("/videos/", "/uploaded/")):
                    found = api.file(path)
                    if found is None:
                        raise Refusal(404, {"error": "No such file"})
                    return 200, found
                if path == "/v2/models" and self.command == "GET":
                    return api.models(query)
                if self.headers.get("X-API-Key") != api.api_key:
                    raise Refusal(401, {"error": "Missing or bad API key"})
                if path == "/v2/videos/generate" and self.command == "POST":
                    return api.generate(self.headers, raw)
                if path == "/v2/jobs" and self.command == "GET":
                    return api.list_jobs(query)
                if path.startswith("/v2/jobs/") and self.command == "GET":
                    return api.get_job(path.removeprefix("/v2/jobs/"))
                if path == "/v2/uploads" and self.command == "POST":
                    return api.upload(self.headers, raw)
                if path == "/v2/me" and self.command == "GET":
                    return api.me()
                raise Refusal(404, {"error": "Not found"})

            def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                self.send(status, json.dumps(body).encode(), "application/json", headers)

            def send(
                self,
                status: int,
                content: bytes,
                content_type: str,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("x-request-id", uuid.uuid4().hex)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

        return Handler


def generate_problems(body: Any) -> dict[str, list[str]]:
    """The contract's rules for a generate body, checked by hand: {json path: [messages]}."""
    if not isinstance(body, dict):
        return {"(root)": ["Expected an object"]}
    problems: dict[str, list[str]] = {}

    def problem(path: str, message: str) -> None:
        problems.setdefault(path, []).append(message)

    if unknown := set(body) - GENERATE_FIELDS:
        problem("(root)", f"Unknown fields: {', '.join(sorted(unknown))}")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not 1 <= len(prompt) <= 2000:
        problem("prompt", "A string of 1 to 2000 characters is required")
    if body.get("model") != MODEL:
        problem("model", f"Expected {MODEL}")
    params = body.get("hailuoParams", {})
    if not isinstance(params, dict):
        problem("hailuoParams", "Expected an object")
        params = {}
    if unknown := set(params) - PARAM_FIELDS:
        problem("hailuoParams", f"Unknown fields: {', '.join(sorted(unknown))}")
    resolution, duration = params.get("resolution", "768p"), params.get("duration", 6)
    if resolution not in ("768p", "1080p"):
        problem("hailuoParams.resolution", "Expected 768p or 1080p")
    if duration not in (6, 10) or isinstance(duration, bool):
        problem("hailuoParams.duration", "Expected 6 or 10")
    elif resolution == "1080p" and duration == 10:
        problem("hailuoParams.duration", "1080p clips are 6 seconds long")
    if not isinstance(params.get("prompt_optimizer", True), bool):
        problem("hailuoParams.prompt_optimizer", "Expected a boolean")
    for path, url in (
        ("hailuoParams.image", params.get("image")),
        ("webhookUrl", body.get("webhookUrl")),
    ):
        if url is not None and not (isinstance(url, str) and re.match(r"https?://[^\s/]+", url)):
            problem(path, "Expected an http(s) URL")
    events = body.get("webhookEvents", [])
    if not isinstance(events, list) or not set(events) <= WEBHOOK_EVENTS:
        problem("webhookEvents", "Expected a list of progress, completed, failed")
    return problems


def multipart_field(content_type: str, raw: bytes, name: str) -> bytes | None:
    """One field of a multipart/form-data body, read with the standard library's email parser."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            return part.get_payload(decode=True)
    return None


def sniff_image(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_MAGIC.items() if content.startswith(magic)), None)
