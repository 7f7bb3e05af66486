"""The tracker: one loop that advances every due generation, so no worker waits on a single job.

The loop holds the "tracker" lease (so one runs at a time, across clusters) and claims only as
many generations as it has free threads, renewing the lease and its claims every heartbeat: a
claim never waits in a queue while it ticks away, and after a crash both expire within seconds.
"""

import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from ..apiframe import errors as api
from ..apiframe import get_client
from ..models import Generation, Lease, Status
from . import billing, cadence, claims
from .expectations import expected_job_seconds
from .posters import make_poster
from .storage import store_clip
from .submit import submit, webhook_url

log = logging.getLogger(__name__)

LEASE_NAME = "tracker"
# Renewed every heartbeat; a crashed tracker's lease frees up this long after its last renewal.
LEASE_SECONDS = 15.0
THREADS = 8
# Posters (ffmpeg decoding, CPU-bound) and following the jobs members are done with only take
# threads that active work leaves free, and at most this many: a burst of finished clips is
# stored first, the rest follows.
BACKGROUND_THREADS = 2
IDLE_SLEEP = 0.25
MAX_JOB_NOT_FOUND = 3
# With only jobs to follow left, the loop stops unless one is due within this long: the
# once-a-minute schedule starts the loop that takes it.
FOLLOW_UP_HORIZON = timedelta(seconds=5)


def run_tracker(
    *,
    seconds: float,
    threads: int = THREADS,
    take_over: bool = False,
    lease_name: str = LEASE_NAME,
) -> bool:
    """Advance due generations for up to `seconds` (less when idle); False if another runs.

    With `take_over`, a lease whose holder stopped renewing it (a crashed cluster) is waited out
    and taken, instead of giving up at once.
    """
    holder = uuid.uuid4().hex
    acquired = Lease.acquire(lease_name, holder, seconds=LEASE_SECONDS) or (
        take_over and wait_out_dead_lease(lease_name, holder)
    )
    if not acquired:
        return False
    try:
        TrackerLoop(holder, lease_name, threads).run(seconds)
    finally:
        Lease.release(lease_name, holder)
    return True


def wait_out_dead_lease(name: str, holder: str) -> bool:
    """Take the lease once it expires unrenewed; False as soon as its holder shows it is alive
    (renews it, at most a heartbeat from now) or another waiter takes it."""
    seen = lease_until(name)
    if seen is None:
        return Lease.acquire(name, holder, seconds=LEASE_SECONDS)
    give_up_at = time.monotonic() + max(0.0, (seen - timezone.now()).total_seconds()) + 1.0
    while time.monotonic() < give_up_at:
        time.sleep(0.5)
        if Lease.acquire(name, holder, seconds=LEASE_SECONDS):
            log.info("Took the %s lease once its holder let it go", name)
            return True
        if lease_until(name) != seen:
            return False  # renewed (or taken by another waiter): someone is tracking
    return False


def lease_until(name: str = LEASE_NAME) -> datetime | None:
    return Lease.objects.filter(name=name).values_list("until", flat=True).first()


def lease_is_fresh(until: datetime) -> bool:
    """Renewed within the last two heartbeats: its holder is alive (a dead one's goes stale)."""
    stale_after = LEASE_SECONDS - 2 * claims.HEARTBEAT_SECONDS
    return until - timezone.now() > timedelta(seconds=stale_after)


class TrackerLoop:
    """Claims due generations into a thread pool, never more than it has free threads."""

    def __init__(self, holder: str, lease_name: str, threads: int) -> None:
        self.holder = holder
        self.lease_name = lease_name
        self.threads = threads
        self.in_flight: dict[Future, Generation] = {}
        self.background_in_flight: set[Future] = set()
        self.lease_lost = False

    def run(self, seconds: float) -> None:
        stop_at = time.monotonic() + seconds
        beat_at = time.monotonic() + claims.HEARTBEAT_SECONDS
        fail_overdue()
        with ThreadPoolExecutor(self.threads, thread_name_prefix=self.lease_name) as pool:
            while True:
                if time.monotonic() >= beat_at:
                    beat_at = time.monotonic() + claims.HEARTBEAT_SECONDS
                    self.heartbeat()
                accepting = not self.lease_lost and time.monotonic() < stop_at
                try:
                    if accepting and self.claim_into(pool) == 0 and self.idle():
                        break  # Nothing left: the next submission starts a tracker again.
                except DatabaseError:
                    log.exception("The tracker could not read its work; trying again")
                    connection.close()
                    time.sleep(1.0)
                if not accepting and not self.in_flight:
                    break  # Handing over (or lease lost) with everything claimed finished.
                self.wait_a_little()

    def claim_into(self, pool: ThreadPoolExecutor) -> int:
        free = self.threads - len(self.in_flight)
        if free <= 0:
            return 0
        due = Generation.objects.due()
        claimed = due.active().claim(limit=free, lease_seconds=claims.CLAIM_SECONDS)
        for generation in claimed:
            self.in_flight[pool.submit(advance_in_thread, generation)] = generation
        for background in (due.awaiting_poster(), due.billing_open()):
            room = min(free - len(claimed), BACKGROUND_THREADS - len(self.background_in_flight))
            if room <= 0:
                break
            taken = background.claim(limit=room, lease_seconds=claims.CLAIM_SECONDS)
            for generation in taken:
                future = pool.submit(advance_in_thread, generation)
                self.in_flight[future] = generation
                self.background_in_flight.add(future)
            claimed += taken
        return len(claimed)

    def idle(self) -> bool:
        return not self.in_flight and not has_work_soon()

    def wait_a_little(self) -> None:
        if not self.in_flight:
            time.sleep(IDLE_SLEEP)
            return
        done, _ = wait(list(self.in_flight), timeout=IDLE_SLEEP, return_when=FIRST_COMPLETED)
        for future in done:
            del self.in_flight[future]
            self.background_in_flight.discard(future)

    def heartbeat(self) -> None:
        """Renew the lease and the claims of work in progress; housekeeping while at it."""
        try:
            claims.renew(self.in_flight.values())
            if not self.lease_lost and not Lease.acquire(
                self.lease_name, self.holder, seconds=LEASE_SECONDS
            ):
                # Finish what is claimed (its claims stay ours), take nothing new.
                log.warning("Tracker lease lost; finishing claimed work, then stopping")
                self.lease_lost = True
            if not self.lease_lost:
                fail_overdue()
        except DatabaseError:
            log.exception("Tracker heartbeat failed; trying again at the next one")
            connection.close()


def has_work_soon() -> bool:
    return Generation.objects.needing_the_tracker(FOLLOW_UP_HORIZON).exists()


def advance_in_thread(generation: Generation) -> None:
    try:
        advance(generation)
    except Exception:
        # Never lose a generation to a bug: release it to be tried again a little later.
        log.exception("Advancing generation %s failed", generation.pk)
        release_after_error(generation)
    finally:
        connection.close()


def release_after_error(generation: Generation) -> None:
    attempts = generation.attempts + 1
    try:
        generation.schedule(
            timezone.now() + timedelta(seconds=cadence.retry_delay(attempts)),
            error="Something went wrong on the studio's side; trying again.",
            attempts=attempts,
        )
    except DatabaseError:
        log.exception("Could not release %s; its claim expires by itself", generation.pk)


def advance(generation: Generation) -> None:
    """One step for a generation this worker has claimed."""
    close_old_connections()
    if generation.status == Status.WAITING:
        submit(generation)
    elif generation.awaits_poster:
        make_poster(generation)
    elif generation.is_storing:
        store_clip(generation)
    elif generation.is_active:
        check(generation)
    else:
        billing.follow_up(generation)


def check(generation: Generation) -> None:
    """Ask Apiframe how the job is doing, record it, and say when to ask again."""
    previous_progress, previous_at = generation.progress, generation.updated_at
    try:
        job = get_client().get_job(generation.job_id)
    except api.JobNotFound as error:
        attempts = generation.attempts + 1
        if attempts >= MAX_JOB_NOT_FOUND:
            generation.fail(error.user_message)  # unknown to Apiframe: nothing it can bill
        else:
            generation.schedule(
                timezone.now() + timedelta(seconds=cadence.retry_delay(attempts)),
                error=error.user_message,
                attempts=attempts,
            )
        return
    except api.ApiframeError as error:
        if not error.retryable:
            # The studio cannot ask (a revoked key, say), but the job may still finish.
            generation.fail(error.user_message, may_still_bill=True)
            return
        delay = cadence.retry_delay(generation.attempts, getattr(error, "retry_after", None))
        generation.schedule(
            timezone.now() + timedelta(seconds=delay),
            error=error.user_message,
            attempts=generation.attempts + 1,
        )
        return

    if not generation.apply_job(job):
        # Nothing new from us; a webhook may have moved the row meanwhile, so read it again.
        generation.refresh_from_db()
    if generation.is_storing:
        store_clip(generation)
    elif generation.is_active:
        schedule_next_check(generation, previous_progress, previous_at)


def schedule_next_check(generation: Generation, previous_progress: int, previous_at) -> None:
    now = timezone.now()
    elapsed = (now - (generation.submitted_at or generation.created_at)).total_seconds()
    moved = generation.progress > previous_progress and previous_progress > 0
    remaining = cadence.estimated_remaining(
        elapsed=elapsed,
        progress=generation.progress,
        expected_seconds=expected_job_seconds(),
        previous_progress=previous_progress if moved else None,
        seconds_since_previous=(now - previous_at).total_seconds() if moved else None,
    )
    overdue = remaining <= cadence.OVERDUE_FIRST_DELAY
    overdue_checks = generation.overdue_checks + 1 if overdue else 0
    delay = cadence.next_check_delay(
        remaining=remaining,
        overdue_checks=overdue_checks,
        webhooks=webhook_url() is not None,
        rate_known=moved,
    )
    # A good answer ends a run of errors; being overdue is not an error.
    generation.schedule(now + timedelta(seconds=delay), attempts=0, overdue_checks=overdue_checks)


def fail_overdue() -> int:
    """Generations past the deadline fail with a reason a person understands."""
    within = duration_words(settings.GENERATION_DEADLINE_SECONDS)
    failed = 0
    for generation in Generation.objects.overdue()[:64]:
        upstream_running = False
        if generation.status == Status.WAITING:
            detail = generation.last_error or "Apiframe did not accept it"
            reason = f"It could not be submitted within {within}: {detail}"
        elif generation.result_url:
            reason = f"The clip was made, but the studio could not save its copy within {within}."
        else:
            reason = f"Apiframe did not finish this clip within {within}."
            upstream_running = True  # and may yet finish it, and bill
        if generation.fail(reason, may_still_bill=upstream_running):
            generation.drop_first_frame_once_sent()
            failed += 1
    return failed


def duration_words(seconds: float) -> str:
    """60 → "1 minute", 900 → "15 minutes", 45 → "45 seconds", 90 → "90 seconds"."""
    seconds = int(seconds)
    if seconds % 60 == 0 and seconds > 0:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    if seconds < 600:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
