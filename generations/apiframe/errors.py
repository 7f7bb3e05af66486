"""One exception per row of Apiframe's error table. `retryable` tells the pipeline whether to try again."""

import re
from typing import Any

# Said to the member whichever way Apiframe refuses a clip sent without an image.
FIRST_FRAME_NEEDED = (
    "Apiframe makes Hailuo 2.3 Fast clips only from a first frame: add an image and press "
    "Generate again."
)
# A job error about a missing image: it names the image and says it is needed. Apiframe's words
# are not documented, so this reads the likely ones ("image is required", "requires an image").
_NAMES_THE_IMAGE = re.compile(r"image|first[\s_-]*frame", re.IGNORECASE)
_SAYS_IT_IS_NEEDED = re.compile(
    r"requir|need|missing|must|mandatory|only|image[\s-]*to[\s-]*video", re.IGNORECASE
)


class ApiframeError(Exception):
    """Base for every failure talking to Apiframe; carries the response's x-request-id when any."""

    retryable = False
    user_message = "Apiframe refused the request."

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return " · ".join(parts)


class ValidationFailed(ApiframeError):
    """400: the body failed validation; `details` maps a JSON path to its messages."""

    user_message = "Apiframe rejected the request as invalid."

    def __init__(self, message: str, *, details: dict[str, list[str]] | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.details = details or {}


class FirstFrameRequired(ValidationFailed):
    """400 naming the image, on a clip sent without one: MiniMax documents Hailuo 2.3 Fast as
    image-to-video, and Apiframe's schema leaves the image optional, so only a refusal tells."""

    user_message = FIRST_FRAME_NEEDED

    @classmethod
    def recognise(cls, error: ValidationFailed) -> bool:
        """Whether a 400 to a submit without an image is about the missing image."""
        named = [path for path in error.details if path.rsplit(".", 1)[-1] == "image"]
        return bool(named) or bool(not error.details and _NAMES_THE_IMAGE.search(error.message))


def job_error_wants_first_frame(error: str | None) -> bool:
    """Whether a failed job's error says it needed an image (the refusal's other shape)."""
    text = error or ""
    return bool(_NAMES_THE_IMAGE.search(text) and _SAYS_IT_IS_NEEDED.search(text))


class InvalidApiKey(ApiframeError):
    """401: missing or bad key."""

    user_message = "The studio's Apiframe key was refused. Ask an administrator to check it."


class InsufficientCredits(ApiframeError):
    """402: the Apiframe account lacks credits."""

    def __init__(self, message: str, *, required: int | None, available: int | None, **kw) -> None:
        super().__init__(message, **kw)
        self.required = required
        self.available = available

    @property
    def user_message(self) -> str:  # type: ignore[override]
        return (
            f"The team's Apiframe account is out of credits (this clip needs {self.required}, "
            f"{self.available} left). Ask an administrator to top it up."
        )


class Forbidden(ApiframeError):
    """403: key inactive or lacking permission."""

    user_message = "The studio's Apiframe key is inactive or lacks permission."


class JobNotFound(ApiframeError):
    """404: unknown job (or another team's)."""

    user_message = "Apiframe no longer knows this job."


class IdempotencyConflict(ApiframeError):
    """409: the Idempotency-Key was used before with a different body."""

    user_message = "Apiframe saw this generation before with different settings."


class RateLimited(ApiframeError):
    """429: slow down; `retry_after` is in seconds when Apiframe said."""

    retryable = True
    user_message = "Apiframe is busy right now (rate limited)."

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServiceUnavailable(ApiframeError):
    """503 or any 5xx: an outage on Apiframe's side."""

    retryable = True
    user_message = "Apiframe is having an outage."


class TransportError(ApiframeError):
    """No answer: a timeout, a refused or dropped connection."""

    retryable = True
    user_message = "Apiframe could not be reached."


class MalformedResponse(ApiframeError):
    """An answer that is not the JSON the contract promises. Worth one more try."""

    retryable = True
    user_message = "Apiframe sent an answer the studio could not read."


class UnexpectedStatus(ApiframeError):
    """A status the contract does not list (other 4xx)."""


ERRORS_BY_STATUS: dict[int, type[ApiframeError]] = {
    400: ValidationFailed,
    401: InvalidApiKey,
    402: InsufficientCredits,
    403: Forbidden,
    404: JobNotFound,
    409: IdempotencyConflict,
    429: RateLimited,
}
