"""How long Apiframe takes per clip, learned from the team's recent clips."""

import statistics
import time

from django.conf import settings

from ..models import Generation, Status

SAMPLE_SIZE = 20
CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, float]] = {}


def expected_job_seconds() -> float:
    """Median submit-to-finish time of recent clips (cached briefly); the setting until there are any."""
    cached = _cache.get("expected")
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    recent = (
        Generation.objects.filter(status=Status.COMPLETED, submitted_at__isnull=False)
        .exclude(finished_at=None)
        .order_by("-finished_at")
        .values_list("submitted_at", "finished_at")[:SAMPLE_SIZE]
    )
    durations = [
        (end - start).total_seconds() for start, end in recent if start and end and end > start
    ]
    expected = statistics.median(durations) if durations else settings.EXPECTED_JOB_SECONDS
    _cache["expected"] = (time.monotonic(), expected)
    return expected


def forget() -> None:
    _cache.clear()
