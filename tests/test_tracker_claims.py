"""Claims, not the tracker lease, keep work single: two tracker loops running at once (as after a
lease lost to a stalled database) never submit, check or download the same generation together."""

import threading
from collections import Counter

import pytest
from django.db import connection

from apiframe_simulator import Fault
from generations.models import Generation, Status
from generations.pipeline import claims, track

pytestmark = pytest.mark.django_db(transaction=True)

# Well under the client's timeout: an overlap then means two workers, not a retry of a dead request.
SLOW_ANSWER = 0.3


def run_two_trackers(monkeypatch, seconds: float = 60) -> Counter:
    """Both loops at once, each under its own lease; returns how many steps each one took."""
    steps: Counter = Counter()
    advance = track.advance

    def counted(generation):
        steps[threading.current_thread().name.rsplit("_", 1)[0]] += 1
        advance(generation)

    def loop(lease_name: str) -> None:
        try:
            track.run_tracker(seconds=seconds, threads=4, lease_name=lease_name)
        finally:
            connection.close()  # this thread's own; PostgreSQL's test database must be let go

    monkeypatch.setattr(track, "advance", counted)
    loops = [threading.Thread(target=loop, args=(name,)) for name in ("tracker-a", "tracker-b")]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join()
    return steps


def test_two_trackers_at_once_never_ask_about_one_job_together(
    studio_simulator, make_user, monkeypatch
):
    owners = [make_user(f"member{i}") for i in range(8)]
    made = [
        Generation.start(owner=owners[i % 8], prompt_text=f"Clip {i} of many") for i in range(16)
    ]
    Generation.objects.update(next_check_at="2000-01-01T00:00Z")  # due at once, for both loops
    studio_simulator.faults.push("submit", *(Fault.slow(SLOW_ANSWER),) * 16)
    studio_simulator.faults.push("job", *(Fault.slow(SLOW_ANSWER),) * 200)

    steps = run_two_trackers(monkeypatch)

    assert set(Generation.objects.values_list("status", flat=True)) == {Status.COMPLETED}
    assert all(studio_simulator.jobs_created_for_key(str(g.pk)) == 1 for g in made)
    assert studio_simulator.overlapping_requests() == {}
    assert steps["tracker-a"] > 0 and steps["tracker-b"] > 0, steps  # both really worked


def test_a_download_slower_than_a_claim_keeps_its_claim(
    studio_simulator, alice, monkeypatch, settings
):
    # Claims of a second; the download takes three. Without renewals the other loop would
    # take the expired claim and fetch the same clip again.
    monkeypatch.setattr(claims, "CLAIM_SECONDS", 1.0)
    monkeypatch.setattr(claims, "HEARTBEAT_SECONDS", 0.2)
    generation = Generation.start(owner=alice, prompt_text="A slow download")
    Generation.objects.filter(pk=generation.pk).update(next_check_at="2000-01-01T00:00Z")
    studio_simulator.faults.push("file", Fault.slow(3.0))

    run_two_trackers(monkeypatch)

    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert studio_simulator.request_count("file") == 1
    assert studio_simulator.jobs_created_for_key(str(generation.pk)) == 1
