"""The tracker: one loop that advances every due generation, so no worker waits on a single job.

The loop holds the "tracker" lease (so one runs at a time, across clusters) and claims only as
many generations as it has free threads, renewing the lease and its claims every heartbeat: a
claim never waits in a queue while it ticks away, and after a crash both expire within seconds.
When its cluster is told to stop, it takes nothing new and ends as soon as the steps in progress
are done (`stopping`), so the cluster stops in seconds and the next tracker carries on.
"""

import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from ..models import Generation, Lease, Status
from . import billing, cadence, claims, stopping
from .checks import check, fail_overdue
from .posters import make_poster
from .storage import store_clip
from .submit import submit

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
# With only jobs to follow left, the loop stops unless one is due within this long: the
# once-a-minute schedule starts the loop that takes it.
FOLLOW_UP_HORIZON = timedelta(seconds=5)


# The lease's holder while a tracker task waits in the queue (tasks.ensure_tracker): any loop
# that starts takes such a lease over, the queued task's own or another.
QUEUED = "queued-"


def run_tracker(*, seconds: float, threads: int = THREADS, lease_name: str = LEASE_NAME) -> bool:
    """Advance due generations for up to `seconds` (less when idle); False if another runs."""
    holder = uuid.uuid4().hex
    if not Lease.acquire(lease_name, holder, seconds=LEASE_SECONDS, over_prefix=QUEUED):
        return False
    try:
        TrackerLoop(holder, lease_name, threads).run(seconds)
    finally:
        Lease.release(lease_name, holder)
    return True


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
                accepting = (
                    not self.lease_lost
                    and time.monotonic() < stop_at
                    and not stopping.is_stopping()
                )
                try:
                    if accepting and self.claim_into(pool) == 0 and self.idle():
                        break  # Nothing left: the next submission starts a tracker again.
                except DatabaseError:
                    log.exception("The tracker could not read its work; trying again")
                    connection.close()
                    time.sleep(1.0)
                if not accepting and not self.in_flight:
                    break  # Handing over (time's up, lease lost, cluster stopping): all finished.
                self.wait_a_little()

    def claim_into(self, pool: ThreadPoolExecutor) -> int:
        free = self.threads - len(self.in_flight)
        if free <= 0:
            return 0
        Generation.objects.release_waiting_takes()  # due from now, claimed just below
        due = Generation.objects.due()
        claimed = due.active().claim(limit=free, lease_seconds=claims.CLAIM_SECONDS)
        for generation in claimed:
            self.in_flight[pool.submit(advance_in_thread, generation)] = generation
        for background in (due.awaiting_poster(), due.billing_open(), due.files_to_drop()):
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
    if generation.deleted_at and generation.is_undoable:
        generation.drop_files_after_undo()  # the undo of its delete has run out
        return
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
