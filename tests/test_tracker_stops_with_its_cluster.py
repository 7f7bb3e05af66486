"""The tracker loop, told its cluster is stopping, ends as soon as its steps in progress are done
(not when its run is up, a minute later), lets its lease go and queues the next tracker
(generations/pipeline/tasks.py)."""

import threading
import time

import pytest
from django.db import connection
from django_q.models import OrmQ

from generations.models import Generation, Lease, Status
from generations.pipeline import stopping, tasks, track
from tests.conftest import SIMULATOR_KEY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_apiframe(simulator_factory, settings):
    """Jobs that take a minute: the loop stays busy unless it is told to stop."""
    simulator = simulator_factory(job_seconds=60)
    settings.APIFRAME_BASE_URL = simulator.url
    settings.APIFRAME_API_KEY = SIMULATOR_KEY
    settings.EXPECTED_JOB_SECONDS = 1.0
    settings.PUBLIC_URL = ""
    return simulator


def test_a_loop_told_to_stop_hands_over_within_a_second(slow_apiframe, alice, monkeypatch):
    cluster_stopping = threading.Event()
    monkeypatch.setattr(stopping, "is_stopping", cluster_stopping.is_set)
    submitted = Generation.start(owner=alice, prompt_text="A lighthouse at dusk, waves below")
    assert tasks.submit_generation(str(submitted.pk)) == "submitted"
    OrmQ.objects.all().delete()  # the tracker task it queued: the thread below is that task
    answers: list[str] = []

    def worker() -> None:  # as a cluster's worker runs the tracker task
        try:
            answers.append(tasks.track_generations())
        finally:
            connection.close()

    loop = threading.Thread(target=worker)
    loop.start()
    deadline = time.monotonic() + 10
    while not Lease.objects.filter(name=track.LEASE_NAME, holder__regex="^[0-9a-f]{32}$"):
        assert time.monotonic() < deadline, "no loop took the tracker lease"
        time.sleep(0.05)
    time.sleep(0.5)  # a few turns of the loop: it checks the clip, which takes a minute

    cluster_stopping.set()
    told_at = time.monotonic()
    loop.join(timeout=5)

    assert not loop.is_alive() and answers == ["tracked"]
    assert time.monotonic() - told_at < 1.5
    submitted.refresh_from_db()
    # Left between steps, unclaimed, for the next tracker to follow.
    assert submitted.status in (Status.SUBMITTED, Status.PROCESSING)
    assert submitted.lease_token == ""
    assert Lease.objects.get(name=track.LEASE_NAME).holder.startswith(track.QUEUED)
    assert [queued.task["func"] for queued in OrmQ.objects.all()] == [tasks.TRACK_TASK]
