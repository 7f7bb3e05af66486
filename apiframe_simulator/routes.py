"""The simulator's HTTP routes: one handler per request, on ThreadingHTTPServer's threads.

Every answer is JSON with an `x-request-id` header (files excepted: they are bytes), and whatever
goes wrong inside a route, the client gets an answer (a JSON 500 at worst) and the server lives on.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from . import validation
from .faults import (
    FAIL_THE_JOB,
    IMAGE_REQUIRED_MESSAGE,
    REFUSE_AT_SUBMIT,
    REQUIRE_IMAGE_SHAPES,
    Fault,
    FaultPlan,
)
from .jobs import (
    FINAL,
    PRICES,
    IdempotencyConflict,
    InsufficientCredits,
    JobFilter,
    JobRecord,
    JobStore,
    body_hash,
    decode_cursor,
    encode_cursor,
    iso,
)
from .uploads import (
    MAX_IMAGE_BYTES,
    ImageError,
    UploadStore,
    check_image,
    fetch_image,
    is_uuid,
    multipart_files,
)

log = logging.getLogger(__name__)


class Simulator(Protocol):
    """What the routes ask of the simulator (server.SimulatorServer is one), so the routes need
    not import the server that serves them."""

    api_key: str
    team_admin: bool
    require_image: str | None
    faults: FaultPlan
    store: JobStore
    uploads: UploadStore

    @property
    def url(self) -> str: ...
    def job_json(self, record: JobRecord) -> dict[str, Any]: ...
    def listed_job_json(self, record: JobRecord) -> dict[str, Any]: ...

    @property
    def stage_job(self) -> Callable[..., dict[str, Any]]: ...

    def set_credit_cost(self, job_id: str, credit_cost: int) -> dict[str, Any]: ...
    def set_require_image(self, shape: str | None) -> None: ...
    def catalog(self, modality: str | None = None) -> list[dict[str, Any]]: ...
    def run_seconds(self) -> float: ...
    def schedule_render(self, record: JobRecord) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def reset(self) -> None: ...
    def overlapping_requests(self) -> dict[str, int]: ...
    def in_flight(self, route: str | None, subject: str | None) -> AbstractContextManager[None]: ...
    def count_request(self, route: str) -> None: ...


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    simulator: Simulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer (and dropped-connection faults) are routine here.
        log.debug("Connection from %s ended with an error", client_address, exc_info=True)


# Room for the multipart envelope around a 25 MB file; bigger bodies are drained (up to a cap).
MAX_BODY_BYTES = MAX_IMAGE_BYTES + 1024 * 1024
MAX_DRAIN_BYTES = 128 * 1024 * 1024


class _Reply(Exception):
    """Raised inside a route to answer with a JSON error at once."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _bad_request(error: str, details: dict[str, list[str]]) -> _Reply:
    return _Reply(400, {"error": error, "details": details})


Route = tuple[str, re.Pattern[str], str | None, bool, str]
# (methods, path, route name for counts and faults, needs the API key, handler method)
_ROUTES: list[Route] = [
    ("POST", re.compile(r"/v2/videos/generate"), "submit", True, "_submit"),
    ("GET", re.compile(r"/v2/jobs/(?P<job_id>[^/]*)"), "job", True, "_get_job"),
    ("GET", re.compile(r"/v2/jobs"), "jobs", True, "_list_jobs"),
    ("GET", re.compile(r"/v2/models"), "models", False, "_models"),
    ("POST", re.compile(r"/v2/uploads"), "upload", True, "_upload"),
    ("GET", re.compile(r"/v2/me"), "me", True, "_me"),
    ("GET HEAD", re.compile(r"/files/(?P<name>[^/]+)"), "file", False, "_file"),
    ("GET HEAD", re.compile(r"/uploads/(?P<name>[^/]+)"), "upload_file", False, "_upload_file"),
    ("POST", re.compile(r"/_simulator/faults"), None, True, "_control_faults"),
    ("GET", re.compile(r"/_simulator/stats"), None, True, "_control_stats"),
    ("GET", re.compile(r"/_simulator/overlaps"), None, True, "_control_overlaps"),
    ("POST", re.compile(r"/_simulator/reset"), None, True, "_control_reset"),
    ("GET POST", re.compile(r"/_simulator/require-image"), None, True, "_control_require_image"),
    ("POST", re.compile(r"/_simulator/jobs"), None, True, "_control_stage_job"),
    ("PATCH", re.compile(r"/_simulator/jobs/(?P<job_id>[^/]+)"), None, True, "_control_bill_job"),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ApiframeSimulator/1"
    # Answer even an unparseable request line with a status line and headers (no HTTP/0.9).
    default_request_version = "HTTP/1.0"
    # Idle keep-alive connections are closed after this long, so their threads end.
    timeout = 60
    # Headers and body go out in separate writes; without this, Nagle plus delayed ACKs add 40 ms.
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    @property
    def sim(self) -> Simulator:
        return self.server.simulator

    # Plumbing

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib answers requests it cannot parse in HTML; Apiframe's answers are JSON.
        self._begin()
        self.close_connection = True
        self._send_json(code, {"error": message or HTTPStatus(code).phrase})

    def _begin(self) -> None:
        self.request_id = f"req_{uuid.uuid4().hex[:24]}"
        self.fault: Fault | None = None
        self.answered = False

    def _dispatch(self) -> None:
        self._begin()
        try:
            self._serve()
        except _Reply as reply:
            self._send_json(reply.status, reply.body, reply.headers)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout, a killed worker) before the answer went out.
            log.debug("Client of %s %s hung up", self.command, self.path)
            self.close_connection = True
        except Exception:
            log.exception("Simulator failed on %s %s", self.command, self.path)
            if not self.answered:
                self._send_json(500, {"error": "Internal server error"})
            self.close_connection = True

    def _serve(self) -> None:
        self.body = self._read_body()
        path = urlsplit(self.path).path
        for methods, pattern, route, needs_key, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if self.command not in methods.split():
                raise _Reply(405, {"error": f"{self.command} is not allowed here"})
            if route is not None:
                self.sim.count_request(route)
            if needs_key and self.headers.get("X-API-Key") != self.sim.api_key:
                raise _Reply(401, {"error": "Invalid or missing API key"})
            # Slow faults included: a request is in flight from its arrival to its answer.
            with self.sim.in_flight(route, self._subject(route, match)):
                if route is not None and self._play_fault(route):
                    return
                getattr(self, handler)(**match.groupdict())
            return
        raise _Reply(404, {"error": "Not found"})

    def _subject(self, route: str | None, match: re.Match[str]) -> str | None:
        """What a request is about, for the overlap stat: a job, or a submit's Idempotency-Key."""
        if route == "job":
            return match["job_id"].lower()
        if route == "submit":
            return self.headers.get("Idempotency-Key")
        return None

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise _Reply(411, {"error": "Send a Content-Length"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise _Reply(400, {"error": "Bad Content-Length"}) from None
        if length > MAX_BODY_BYTES:
            self._drain(length)
            key = "file" if self.path.startswith("/v2/uploads") else validation.ROOT
            limit = f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB"
            raise _bad_request("Request too large", {key: [f"The file is larger than {limit}"]})
        return self.rfile.read(length) if length > 0 else b""

    def _drain(self, length: int) -> None:
        if length > MAX_DRAIN_BYTES:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1024 * 1024))
            if not chunk:
                break
            length -= len(chunk)

    def _play_fault(self, route: str) -> bool:
        """Apply the route's next fault; True when it already answered (or refused to)."""
        self.fault = fault = self.sim.faults.next_for(route)
        if fault is None:
            return False
        log.info("Fault on %s %s: %s", self.command, self.path, fault)
        if fault.kind == "slow":
            time.sleep(fault.seconds)
        elif fault.kind == "drop" and not fault.processed:
            self._drop()
            return True
        elif fault.kind == "malformed":
            self._send(200, b'{"jobId": "', "application/json")
            return True
        elif fault.kind == "status":
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            self._send_json(int(fault.code or 500), {"error": fault.error_message}, headers)
            return True
        return False

    def _drop(self) -> None:
        self.answered = True
        self.close_connection = True

    def _send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        if self.fault is not None and self.fault.kind == "drop":
            self._drop()
            return
        self._start_response(status, content_type, len(body), headers)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _start_response(
        self, status: int, content_type: str, length: int, headers: dict[str, str] | None = None
    ) -> None:
        self.answered = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("x-request-id", self.request_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _json_body(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad_request("Invalid JSON body", {validation.ROOT: [str(exc)]}) from None

    # Routes

    def _submit(self) -> None:
        key = self.headers.get("Idempotency-Key")
        if details := validation.validate_idempotency_key(key):
            raise _bad_request("Invalid Idempotency-Key", details)
        body = validation.normalize_generate(self._json_body())
        image_required = self.sim.require_image == REFUSE_AT_SUBMIT
        if details := validation.validate_generate(body, image_required=image_required):
            raise _bad_request("Validation failed", details)
        try:
            record = self.sim.store.replay(key, body_hash(body))
            if record is None:
                record = self._create_job(body, key)
        except IdempotencyConflict:
            raise _Reply(409, {"error": "Idempotency-Key reused with a different body"}) from None
        except InsufficientCredits as exc:
            raise _Reply(
                402,
                {
                    "error": "Insufficient credits",
                    "creditsRequired": exc.required,
                    "creditsAvailable": exc.available,
                },
            ) from None
        self._send_json(202, {"jobId": record.id, "status": record.status})

    def _create_job(self, body: dict[str, Any], key: str | None) -> JobRecord:
        image = self._first_frame(body)
        fail_message = (
            self.fault.error_message if self.fault and self.fault.kind == "fail_job" else None
        )
        if fail_message is None and image is None and self.sim.require_image == FAIL_THE_JOB:
            fail_message = IMAGE_REQUIRED_MESSAGE  # accepted, then failed upstream: billed 0
        record, created = self.sim.store.create(
            body,
            key=key,
            run_seconds=self.sim.run_seconds(),
            image=image,
            fail_message=fail_message,
        )
        if created and fail_message is None:
            self.sim.schedule_render(record)
        return record

    def _first_frame(self, body: dict[str, Any]) -> tuple[bytes, str] | None:
        url = (body.get("hailuoParams") or {}).get("image")
        if not url:
            return None
        try:
            data = self._issued_upload(url) or fetch_image(url)
            _, extension = check_image(data)
        except ImageError as exc:
            raise _bad_request("Validation failed", {"hailuoParams.image": [str(exc)]}) from None
        return data, extension

    def _issued_upload(self, url: str) -> bytes | None:
        """The bytes behind one of this simulator's upload URLs; None for any other URL."""
        parts = urlsplit(url)
        if parts.netloc != urlsplit(self.sim.url).netloc or not parts.path.startswith("/uploads/"):
            return None
        upload = self.sim.uploads.get(Path(parts.path).stem)
        if upload is None:
            raise ImageError("The upload is unknown or has expired")
        return self.sim.uploads.path(upload).read_bytes()

    def _get_job(self, job_id: str) -> None:
        if not is_uuid(job_id):
            raise _Reply(400, {"error": "Invalid job id: expected a UUID"})
        record = self.sim.store.get(job_id.lower())
        if record is None:
            raise _Reply(404, {"error": "Job not found"})
        self._send_json(200, self.sim.job_json(record))

    def _query(self, operation: str) -> dict[str, Any]:
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        values, details = validation.parse_query(operation, query)
        if details:
            raise _bad_request("Invalid query parameters", details)
        return values

    def _list_jobs(self) -> None:
        query = self._query(validation.LIST_JOBS)
        team = query["scope"] == "team"
        if team and not self.sim.team_admin:
            raise _Reply(403, {"error": "Only team admins can list the team's jobs"})
        try:
            before = decode_cursor(query["cursor"]) if query.get("cursor") else None
        except ValueError:
            raise _bad_request("Invalid cursor", {"cursor": ["Invalid cursor"]}) from None
        wanted = JobFilter(
            status=query.get("status"),
            model=query.get("model"),
            search=query["search"].lower() if query.get("search") else None,
            team=team,
        )
        records, has_more = self.sim.store.page(wanted, limit=query["limit"], before=before)
        answer: dict[str, Any] = {
            "jobs": [self.sim.listed_job_json(record) for record in records],
            "nextCursor": encode_cursor(records[-1]) if has_more else None,
            "hasMore": has_more,
        }
        if query["include_models"] == "true":
            answer["models"] = self.sim.store.models_used(team=team)
        self._send_json(200, answer)

    def _models(self) -> None:
        query = self._query(validation.LIST_MODELS)
        self._send_json(200, {"models": self.sim.catalog(query.get("modality"))})

    def _upload(self) -> None:
        try:
            files = multipart_files(self.body, self.headers.get("Content-Type", ""))
            data = files.get("file")
            if data is None:
                raise ImageError("Required")
            upload = self.sim.uploads.add(data)
        except ImageError as exc:
            raise _bad_request("Invalid upload", {"file": [str(exc)]}) from None
        self._send_json(
            201,
            {
                "id": upload.id,
                "url": f"{self.sim.url}/uploads/{upload.filename}",
                "kind": "image",
                "contentType": upload.content_type,
                "byteSize": upload.byte_size,
                "expiresAt": iso(upload.expires_at),
            },
        )

    def _me(self) -> None:
        key = self.sim.api_key

        def stable_id(name: str) -> str:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"apiframe-simulator:{name}:{key}"))

        self._send_json(
            200,
            {
                "user": {
                    "id": stable_id("user"),
                    "email": "studio@simulator.local",
                    "role": "OWNER" if self.sim.team_admin else "MEMBER",
                },
                "team": {
                    "id": stable_id("team"),
                    "name": "Simulated team",
                    "credits": max(0, self.sim.store.balance()),
                    "plan": "simulator",
                    "customerId": None,
                },
                "apiKey": {"id": stable_id("key"), "name": "Simulator key", "prefix": key[:8]},
            },
        )

    def _file(self, name: str) -> None:
        job_id, _, extension = name.partition(".")
        record = self.sim.store.get(job_id) if is_uuid(job_id) and extension == "mp4" else None
        path = self.sim.store.clip_path(job_id) if record else None
        self._serve_file(path if record and not record.expired else None, "video/mp4")

    def _upload_file(self, name: str) -> None:
        upload = self.sim.uploads.get(name.partition(".")[0])
        path = self.sim.uploads.path(upload) if upload and upload.filename == name else None
        self._serve_file(path, upload.content_type if upload else "")

    def _serve_file(self, path: Path | None, content_type: str) -> None:
        kind = self.fault.kind if self.fault else None
        try:
            data = path.read_bytes() if path and kind != "missing_file" else None
        except OSError:
            data = None
        if data is None:
            raise _Reply(404, {"error": "File not found"})
        if kind != "truncated":
            self._send(200, data, content_type)
            return
        # Declare the whole length, send half, hang up: what a broken CDN transfer looks like.
        self._start_response(200, content_type, len(data))
        if self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2])
        self.close_connection = True

    def _control_faults(self) -> None:
        plan = self._json_body()
        if not isinstance(plan, dict):
            details = {validation.ROOT: ["Expected an object"]}
            raise _bad_request("Expected {route: [fault, ...]}", details)
        parsed: dict[str, list[Fault]] = {}
        errors: dict[str, list[str]] = {}
        for route, faults in plan.items():
            try:
                parsed[route] = [Fault.from_json(item) for item in _as_list(faults)]
                self.sim.faults.check(route, *parsed[route])
            except (TypeError, ValueError) as exc:
                errors[str(route)] = [str(exc)]
        if errors:
            raise _bad_request("Invalid faults", errors)
        for route, faults in parsed.items():
            self.sim.faults.push(route, *faults)
        self._send_json(200, {"pendingFaults": self.sim.faults.pending()})

    def _control_stats(self) -> None:
        self._send_json(200, self.sim.stats())

    def _control_overlaps(self) -> None:
        self._send_json(200, {"overlappingRequests": self.sim.overlapping_requests()})

    def _control_reset(self) -> None:
        self.sim.reset()
        self._send_json(200, {"reset": True})

    def _control_require_image(self) -> None:
        """GET: how clips without a first frame are refused; POST {"requireImage": "submit" |
        "job" | null} switches it on a running simulator."""
        if self.command == "POST":
            body = self._json_body()
            shape = body.get("requireImage", "") if isinstance(body, dict) else ""
            if shape is not None and shape not in REQUIRE_IMAGE_SHAPES:
                choices = " | ".join(f"'{choice}'" for choice in REQUIRE_IMAGE_SHAPES)
                details = {"requireImage": [f"Expected {choices} | null"]}
                raise _bad_request("Invalid requireImage", details)
            self.sim.set_require_image(shape)
        self._send_json(200, {"requireImage": self.sim.require_image})

    def _control_stage_job(self) -> None:
        """A finished job made outside the studio: {"status", "creditCost", "prompt", ...}."""
        body = self._json_body()
        if not isinstance(body, dict):
            raise _bad_request("Expected an object", {validation.ROOT: ["Expected an object"]})
        options: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, value in body.items():
            if name not in _STAGE_FIELDS:
                errors[name] = ["Unknown field"]
                continue
            option, kind = _STAGE_FIELDS[name]
            if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
                errors[name] = [f"Expected {kind.__name__}"]
            else:
                options[option] = value
        if options.get("status", "COMPLETED") not in FINAL:
            errors["status"] = [f"Expected one of {', '.join(sorted(FINAL))}"]
        if (options.get("resolution", "768p"), options.get("duration", 6)) not in PRICES:
            errors["duration"] = ["No such resolution and duration"]
        if "created_at" in options:
            try:
                options["created_at"] = datetime.fromisoformat(options["created_at"])
            except ValueError:
                errors["createdAt"] = ["Expected an ISO 8601 date-time"]
        if errors:
            raise _bad_request("Invalid staged job", errors)
        self._send_json(201, self.sim.stage_job(**options))

    def _control_bill_job(self, job_id: str) -> None:
        """Change what a finished job was billed: {"creditCost": int}."""
        body = self._json_body()
        cost = body.get("creditCost") if isinstance(body, dict) else None
        if not isinstance(cost, int) or isinstance(cost, bool) or cost < 0:
            raise _bad_request("Invalid credit cost", {"creditCost": ["Expected an integer >= 0"]})
        try:
            job = self.sim.set_credit_cost(job_id.lower(), cost)
        except KeyError:
            raise _Reply(404, {"error": "Job not found"}) from None
        except ValueError as exc:
            raise _Reply(409, {"error": str(exc)}) from None
        self._send_json(200, job)


# POST /_simulator/jobs: JSON field → (SimulatorServer.stage_job option, accepted types).
_STAGE_FIELDS: dict[str, tuple[str, type]] = {
    "status": ("status", str),
    "creditCost": ("credit_cost", int),
    "prompt": ("prompt", str),
    "resolution": ("resolution", str),
    "duration": ("duration", int),
    "model": ("model", str),
    "error": ("error", str),
    "createdAt": ("created_at", str),
    "teammate": ("teammate", bool),
}


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list of faults")
    return value
