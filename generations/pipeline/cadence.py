"""When to look at a generation again: pure arithmetic, so it can be reasoned about and tested."""

import random

# Checks while a job runs are at most this far apart, so a card's progress bar keeps moving.
MAX_POLL_INTERVAL = 15.0
# Past its estimated end, a job is checked soon, then less and less often.
OVERDUE_FIRST_DELAY = 0.75
OVERDUE_GROWTH = 1.6
OVERDUE_MAX_DELAY = 30.0
# Without a progress rate yet (one reading), look again this far towards the estimated end: a
# second reading gives the rate, and the rate puts the next check a hair after the real end.
RATE_PROBE_SHARE = 0.5
RATE_PROBE_MIN = 1.0
# With webhooks, polling is only a safety net: a first look this long after the job should be
# done (in case its webhook never comes), then one a minute.
WEBHOOK_GRACE_SECONDS = 30.0
WEBHOOK_SAFETY_NET_INTERVAL = 60.0
# Transient submit/check failures: full-jitter exponential backoff (as Apiframe's SDK does).
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0


def first_check_delay(expected_seconds: float, *, webhooks: bool) -> float:
    """How long after submission to look first: no sooner than a job could plausibly be done."""
    if webhooks:
        return max(expected_seconds * 1.5, expected_seconds + WEBHOOK_GRACE_SECONDS)
    if expected_seconds <= MAX_POLL_INTERVAL:
        return expected_seconds
    return min(MAX_POLL_INTERVAL, expected_seconds / 2)


def estimated_remaining(
    *,
    elapsed: float,
    progress: int,
    expected_seconds: float,
    previous_progress: int | None = None,
    seconds_since_previous: float | None = None,
) -> float:
    """Seconds until Apiframe should be done: from the job's progress rate when it has one."""
    if progress >= 100:
        return 0.0
    if previous_progress is not None and seconds_since_previous and progress > previous_progress:
        rate = (progress - previous_progress) / seconds_since_previous
        return (100 - progress) / rate
    if progress >= 20:
        return elapsed * (100 - progress) / progress
    return expected_seconds - elapsed


def next_check_delay(
    *, remaining: float, overdue_checks: int, webhooks: bool, rate_known: bool = True
) -> float:
    if webhooks:
        return WEBHOOK_SAFETY_NET_INTERVAL
    if remaining > OVERDUE_FIRST_DELAY:
        if not rate_known and remaining * RATE_PROBE_SHARE >= RATE_PROBE_MIN:
            # A guess from one reading can be seconds late; a second reading makes it a rate.
            return min(MAX_POLL_INTERVAL, remaining * RATE_PROBE_SHARE)
        # A hair after the estimated end, so the check finds the job done.
        return min(MAX_POLL_INTERVAL, remaining + 0.2)
    return min(OVERDUE_MAX_DELAY, OVERDUE_FIRST_DELAY * OVERDUE_GROWTH**overdue_checks)


def retry_delay(
    attempt: int, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Backoff before retry number `attempt` (0-based); never sooner than Apiframe's Retry-After."""
    uniform = rng.uniform if rng else random.uniform
    delay = uniform(BACKOFF_BASE, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt + 1)))
    if retry_after is not None:
        delay = max(delay, retry_after + uniform(0, 0.5))
    return delay
