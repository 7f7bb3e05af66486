"""The Apiframe HTTP client: one pooled httpx client per process, one attempt per call.

Retrying is the pipeline's business (it reschedules instead of sleeping), so every method either
returns a typed answer or raises one of `errors`, whose `retryable` says whether to try again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings

from . import errors
from .payloads import (
    Account,
    GenerationRequest,
    Job,
    JobsPage,
    JobStatus,
    ModelInfo,
    PayloadError,
    SubmittedJob,
    Upload,
    catalog_from_json,
    load_json,
)

log = logging.getLogger(__name__)


class ApiframeClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"X-API-Key": api_key, "User-Agent": "hailuo-studio/1"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            follow_redirects=False,
        )

    def submit(self, request: GenerationRequest, *, idempotency_key: str) -> SubmittedJob:
        """POST /v2/videos/generate. The key makes a retried submit return the original job.

        A 400 about the image, to a request that sent none, is `errors.FirstFrameRequired`."""
        try:
            response = self._send(
                "POST",
                "/v2/videos/generate",
                json=request.to_json(),
                headers={"Idempotency-Key": idempotency_key},
            )
        except errors.ValidationFailed as error:
            if request.image_url or not errors.FirstFrameRequired.recognise(error):
                raise
            raise errors.FirstFrameRequired(
                error.message,
                details=error.details,
                status=error.status,
                request_id=error.request_id,
                body=error.body,
            ) from error
        return self._parse(response, SubmittedJob.from_json)

    def get_job(self, job_id: str) -> Job:
        return self._parse(self._send("GET", f"/v2/jobs/{job_id}"), Job.from_json)

    def upload(self, content: bytes, *, filename: str, content_type: str) -> Upload:
        """POST /v2/uploads: hands a local image to Apiframe, which answers with a short-lived URL."""
        files = {"file": (filename, content, content_type)}
        return self._parse(self._send("POST", "/v2/uploads", files=files), Upload.from_json)

    def me(self) -> Account:
        return self._parse(self._send("GET", "/v2/me"), Account.from_json)

    def list_jobs(
        self,
        *,
        status: JobStatus | str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        scope: str = "user",
        search: str | None = None,
    ) -> JobsPage:
        """GET /v2/jobs: one page of Apiframe's ledger, newest first. scope="team" is for admins
        (a 403, `errors.Forbidden`, otherwise)."""
        params: dict[str, Any] = {"limit": limit, "scope": scope}
        optional = {"status": status, "cursor": cursor, "search": search}
        params |= {name: str(value) for name, value in optional.items() if value is not None}
        return self._parse(self._send("GET", "/v2/jobs", params=params), JobsPage.from_json)

    def iter_jobs(
        self,
        *,
        since: datetime | None = None,
        scope: str = "user",
        status: JobStatus | str | None = None,
    ) -> Iterator[Job]:
        """Every job created at or after `since` (all without it), newest first, page by page.

        New jobs created while iterating are not seen: the cursor pins where the listing began.
        """
        if since is not None and since.tzinfo is None:
            raise ValueError("since must be timezone-aware: Apiframe's timestamps are in UTC")
        cursor = None
        while True:
            page = self.list_jobs(status=status, cursor=cursor, scope=scope)
            for job in page.jobs:
                if since is not None and job.created_at is not None and job.created_at < since:
                    return
                yield job
            if not page.has_more:
                return
            cursor = page.next_cursor

    def models(self, modality: str | None = "video") -> list[ModelInfo]:
        """GET /v2/models: the public catalog with each model's cost range."""
        params = {"modality": modality} if modality else {}
        return self._parse(self._send("GET", "/v2/models", params=params), catalog_from_json)

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise errors.TransportError(f"{method} {path} timed out") from exc
        except httpx.HTTPError as exc:
            raise errors.TransportError(f"{method} {path} failed: {type(exc).__name__}") from exc
        if response.is_success:
            return response
        raise self._error_for(method, path, response)

    def _error_for(self, method: str, path: str, response: httpx.Response) -> errors.ApiframeError:
        request_id = response.headers.get("x-request-id")
        status = response.status_code
        try:
            body = json.loads(self._without_key(response.text))
        except ValueError:
            body = None
        message = body.get("error") if isinstance(body, dict) else None
        message = str(message or f"{method} {path} answered {status}")
        common = {"status": status, "request_id": request_id, "body": body}
        body = body if isinstance(body, dict) else {}
        log.warning("Apiframe %s %s -> %s (request id %s)", method, path, status, request_id)

        if status == 400:
            details = body.get("details")
            return errors.ValidationFailed(
                message, details=details if isinstance(details, dict) else {}, **common
            )
        if status == 402:
            return errors.InsufficientCredits(
                message,
                required=body.get("creditsRequired"),
                available=body.get("creditsAvailable"),
                **common,
            )
        if status == 429:
            return errors.RateLimited(
                message, retry_after=_retry_after(response.headers.get("retry-after")), **common
            )
        if status >= 500:
            return errors.ServiceUnavailable(message, **common)
        error_type = errors.ERRORS_BY_STATUS.get(status, errors.UnexpectedStatus)
        return error_type(message, **common)

    def _without_key(self, text: str) -> str:
        # An error may quote the key back; it must not reach a log line or a clip's failure reason.
        return text.replace(self._api_key, "[API key hidden]") if self._api_key else text

    def _parse(self, response: httpx.Response, parser):
        request_id = response.headers.get("x-request-id")
        try:
            return parser(load_json(response.content))
        except (ValueError, PayloadError) as exc:
            raise errors.MalformedResponse(
                f"unreadable answer: {exc}", status=response.status_code, request_id=request_id
            ) from exc


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


_clients: dict[tuple, ApiframeClient] = {}
_clients_lock = threading.Lock()


def get_client() -> ApiframeClient:
    """The process's pooled client for the configured Apiframe (a forked worker gets its own)."""
    key = (
        os.getpid(),
        settings.APIFRAME_BASE_URL,
        settings.APIFRAME_API_KEY,
        settings.APIFRAME_TIMEOUT_SECONDS,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = ApiframeClient(
                settings.APIFRAME_BASE_URL,
                settings.APIFRAME_API_KEY,
                timeout=settings.APIFRAME_TIMEOUT_SECONDS,
            )
        return client
