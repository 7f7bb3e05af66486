"""Keeping claims alive while their work runs.

A claim (Generation.lease_until/lease_token) is short, so a crashed worker's claims free up soon;
the worker that holds one renews it every HEARTBEAT_SECONDS, so a slow submit or download never
outlives its claim and no other worker picks the same generation up meanwhile.
"""

import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.db import DatabaseError, connection
from django.utils import timezone

from ..models import Generation

log = logging.getLogger(__name__)

# A crashed worker's claims expire this long after its last renewal.
CLAIM_SECONDS = 15.0
# Five renewals per claim period: a renewal delayed by a busy database still lands in time.
HEARTBEAT_SECONDS = 3.0


def renew(generations: Iterable[Generation]) -> int:
    """Extend the claims these generations still carry (one conditional UPDATE per token)."""
    by_token: dict[str, list] = defaultdict(list)
    for generation in generations:
        if generation.lease_token:
            by_token[generation.lease_token].append(generation.pk)
    until = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
    renewed = 0
    for token, pks in by_token.items():
        # A claim taken over by someone else carries their token, so it is left alone.
        renewed += Generation.objects.filter(pk__in=pks, lease_token=token).update(
            lease_until=until
        )
    return renewed


@contextlib.contextmanager
def kept_alive(generations: list[Generation]) -> Iterator[None]:
    """Renew these claims from a background thread while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                try:
                    renew(generations)
                except DatabaseError:
                    log.warning("Could not renew claims; retrying", exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name="claim-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
