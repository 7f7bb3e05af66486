"""Typed requests and answers of the Apiframe API, parsed strictly enough to catch a malformed answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

MODEL = "hailuo-2.3-fast"


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


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

    @classmethod
    def from_json(cls, data: Any) -> Job:
        data = _require_object(data)
        progress = data.get("progress")
        if progress is not None and (not isinstance(progress, int | float) or progress < 0):
            raise PayloadError(f"progress is not a number: {progress!r}")
        credit_cost = data.get("creditCost")
        if credit_cost is not None and not isinstance(credit_cost, int | float):
            raise PayloadError(f"creditCost is not a number: {credit_cost!r}")
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
    def video_url(self) -> str | None:
        urls = self.video_urls
        return urls[0] if urls else None


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


def _parse_status(data: dict[str, Any]) -> JobStatus:
    try:
        return JobStatus(data.get("status"))
    except ValueError:
        raise PayloadError(f"unknown status {data.get('status')!r}") from None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"not a timestamp: {value!r}") from None
