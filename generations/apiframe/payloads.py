"""Typed requests and answers of the Apiframe API, parsed strictly enough to catch a malformed answer."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .errors import job_error_wants_first_frame

MODEL = "hailuo-2.3-fast"
# Apiframe's documents are a few levels deep; far deeper is an attack on the parser, not an answer.
MAX_JSON_DEPTH = 32
# The largest credit cost and the longest clip address the studio can store.
MAX_CREDIT_COST = 2**31 - 1
MAX_URL_LENGTH = 2000


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class PayloadError(ValueError):
    """The answer does not have the shape the contract promises."""


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    resolution: str = "768p"
    duration: int = 6
    prompt_optimizer: bool = True
    image_url: str | None = None
    webhook_url: str | None = None
    webhook_events: tuple[str, ...] = ("progress", "completed", "failed")

    def to_json(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "resolution": self.resolution,
            "duration": self.duration,
            "prompt_optimizer": self.prompt_optimizer,
        }
        if self.image_url:
            params["image"] = self.image_url
        body: dict[str, Any] = {"prompt": self.prompt, "model": MODEL, "hailuoParams": params}
        if self.webhook_url:
            body["webhookUrl"] = self.webhook_url
            body["webhookEvents"] = list(self.webhook_events)
        return body


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    status: JobStatus

    @classmethod
    def from_json(cls, data: Any) -> SubmittedJob:
        data = _require_object(data)
        return cls(job_id=_require_str(data, "jobId"), status=_parse_status(data))


@dataclass(frozen=True)
class Job:
    id: str
    status: JobStatus
    progress: int | None
    error: str | None
    credit_cost: int | None
    result: Any
    expired: bool
    created_at: datetime | None
    completed_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    model: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Job:
        data = _require_object(data)
        progress = data.get("progress")
        if progress is not None and not (_is_finite_number(progress) and progress >= 0):
            raise PayloadError(f"progress is not a number: {progress!r}")
        credit_cost = data.get("creditCost")
        if credit_cost is not None and not (
            _is_finite_number(credit_cost) and 0 <= credit_cost <= MAX_CREDIT_COST
        ):
            raise PayloadError(f"creditCost is not a number of credits: {credit_cost!r}")
        if any(len(url) > MAX_URL_LENGTH for url in result_urls(data.get("result"))):
            raise PayloadError(f"a result URL is longer than {MAX_URL_LENGTH} characters")
        error = data.get("error")
        return cls(
            id=_require_str(data, "id"),
            status=_parse_status(data),
            progress=None if progress is None else min(100, int(progress)),
            error=error if isinstance(error, str) else None,
            credit_cost=None if credit_cost is None else int(credit_cost),
            result=data.get("result"),
            expired=bool(data.get("expired", False)),
            created_at=_parse_time(data.get("createdAt")),
            completed_at=_parse_time(data.get("completedAt")),
            raw=data,
            model=data["model"] if isinstance(data.get("model"), str) else None,
        )

    @classmethod
    def from_webhook(cls, event: Any) -> Job:
        """A webhook event as a Job: events carry `jobId` where the job resource has `id`."""
        event = _require_object(event)
        return cls.from_json({**event, "id": event.get("jobId") or event.get("id")})

    @property
    def video_urls(self) -> list[str]:
        return result_urls(self.result)

    @property
    def wants_first_frame(self) -> bool:
        """Failed saying it needed an image: how Apiframe may refuse a clip sent without one."""
        return self.status == JobStatus.FAILED and job_error_wants_first_frame(self.error)

    @property
    def video_url(self) -> str | None:
        urls = self.video_urls
        return urls[0] if urls else None


@dataclass(frozen=True)
class JobsPage:
    """One page of GET /v2/jobs, newest first: Apiframe's own ledger of what it ran and billed."""

    jobs: list[Job]
    next_cursor: str | None
    has_more: bool

    @classmethod
    def from_json(cls, data: Any) -> JobsPage:
        data = _require_object(data)
        jobs = data.get("jobs")
        if not isinstance(jobs, list):
            raise PayloadError("jobs is not a list")
        cursor = data.get("nextCursor")
        if cursor is not None and not isinstance(cursor, str):
            raise PayloadError(f"nextCursor is not a string: {cursor!r}")
        has_more = data.get("hasMore")
        if not isinstance(has_more, bool):
            raise PayloadError(f"hasMore is not a boolean: {has_more!r}")
        if has_more and not cursor:
            raise PayloadError("hasMore without a nextCursor")
        return cls(
            jobs=[Job.from_json(job) for job in jobs], next_cursor=cursor or None, has_more=has_more
        )


@dataclass(frozen=True)
class ModelInfo:
    """A catalog entry of GET /v2/models: what a model is and what one output may cost."""

    id: str
    label: str
    modality: str
    cost_min: float | None
    cost_max: float | None
    pricing_mode: str | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> ModelInfo:
        data = _require_object(data)
        pricing_mode = data.get("pricingMode")
        return cls(
            id=_require_str(data, "id"),
            label=_require_str(data, "label"),
            modality=_require_str(data, "modality"),
            cost_min=_optional_number(data, "costMin"),
            cost_max=_optional_number(data, "costMax"),
            pricing_mode=pricing_mode if isinstance(pricing_mode, str) else None,
            raw=data,
        )


def catalog_from_json(data: Any) -> list[ModelInfo]:
    """The `models` of a GET /v2/models answer."""
    models = _require_object(data).get("models")
    if not isinstance(models, list):
        raise PayloadError("models is not a list")
    return [ModelInfo.from_json(model) for model in models]


@dataclass(frozen=True)
class Upload:
    id: str
    url: str
    kind: str
    content_type: str
    byte_size: int
    expires_at: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> Upload:
        data = _require_object(data)
        return cls(
            id=_require_str(data, "id"),
            url=_require_str(data, "url"),
            kind=_require_str(data, "kind"),
            content_type=_require_str(data, "contentType"),
            byte_size=int(data.get("byteSize") or 0),
            expires_at=_parse_time(data.get("expiresAt")),
        )


@dataclass(frozen=True)
class Account:
    email: str
    team_name: str | None
    credits: int | None
    plan: str | None

    @classmethod
    def from_json(cls, data: Any) -> Account:
        data = _require_object(data)
        user = _require_object(data.get("user"))
        team = data.get("team") or {}
        if not isinstance(team, dict):
            raise PayloadError("team is not an object")
        credits = team.get("credits")
        return cls(
            email=str(user.get("email", "")),
            team_name=team.get("name"),
            credits=int(credits) if isinstance(credits, int | float) else None,
            plan=team.get("plan"),
        )


def result_urls(result: Any) -> list[str]:
    """Every video URL in a job's `result`: a string, {"videoUrl"}, {"url"}, or a list of those."""
    if result is None:
        return []
    if isinstance(result, str):
        return [result] if result else []
    if isinstance(result, dict):
        url = result.get("videoUrl") or result.get("url")
        return [url] if isinstance(url, str) and url else []
    if isinstance(result, list):
        return [url for item in result for url in result_urls(item)]
    return []


def _require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object, got {type(data).__name__}")
    return data


def _require_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{key} is missing or not a string")
    return value


def _optional_number(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{key} is not a number: {value!r}")
    return value


def _parse_status(data: dict[str, Any]) -> JobStatus:
    try:
        return JobStatus(data.get("status", ""))
    except ValueError:
        raise PayloadError(f"unknown status {data.get('status')!r}") from None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment.astimezone(UTC)  # the database stores UTC; 9999-12-31T23:00-05:00 has none
    except (ValueError, OverflowError):
        raise PayloadError(f"not a timestamp: {value!r}") from None
    return moment


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def load_json(body: bytes | str) -> Any:
    """A JSON document from Apiframe, or PayloadError unless the contract could hold it: no NaN or
    infinite numbers, no NUL characters (PostgreSQL stores none), nested at most MAX_JSON_DEPTH."""
    try:
        data = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except PayloadError:
        raise
    except RecursionError:
        raise PayloadError("nested too deeply") from None
    except ValueError as error:  # not JSON, or not UTF-8
        raise PayloadError(f"not JSON: {error}") from None
    pending = [(data, 1)]
    while pending:  # a loop, not recursion: the depth is what is being checked
        value, depth = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            raise PayloadError("a string holds a NUL character")
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise PayloadError(f"nested deeper than {MAX_JSON_DEPTH}")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return data


def _refuse_constant(name: str) -> float:
    raise PayloadError(f"{name} is not a number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise PayloadError(f"{text[:20]} is too large a number")
    return number
