"""Keeping the tracker alive is one rule (generations/pipeline/tasks.py): one lease says a tracker
is running or on its way. So a burst of work queues one tracker, a lost one is replaced once its
lease expires, and the once-a-minute schedule starts one after a crash."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from generations.models import Generation, Lease, Status
from generations.pipeline import tasks, track

pytestmark = pytest.mark.django_db(transaction=True)


def queued_trackers() -> list[dict]:
    return [q.task for q in OrmQ.objects.all() if q.task["func"] == tasks.TRACK_TASK]


def test_a_burst_of_work_queues_one_tracker(db):
    for _ in range(5):
        tasks.ensure_tracker()
    assert len(queued_trackers()) == 1
    assert Lease.objects.get(name=track.LEASE_NAME).holder.startswith(track.QUEUED)


def test_a_lost_tracker_task_is_replaced_once_its_lease_expires(db):
    tasks.ensure_tracker()
    OrmQ.objects.all().delete()  # the task is lost (a Redis broker has no acknowledgement)
    tasks.ensure_tracker()
    assert queued_trackers() == []  # its lease still stands for it
    Lease.objects.filter(name=track.LEASE_NAME).update(until=timezone.now() - timedelta(seconds=1))
    tasks.ensure_tracker()
    assert len(queued_trackers()) == 1


def test_the_queued_task_takes_its_lease_over_and_lets_it_go(studio_simulator, alice):
    generation = Generation.start(owner=alice, prompt_text="A paper boat in the rain")
    tasks.ensure_tracker()
    assert tasks.track_generations() == "tracked"
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert not Lease.is_held(track.LEASE_NAME)


def test_a_second_tracker_stands_aside_while_one_runs(db):
    assert Lease.acquire(track.LEASE_NAME, "a-running-loop", seconds=15)
    assert tasks.track_generations() == "another tracker is running"
    tasks.ensure_tracker()
    assert queued_trackers() == []  # nor is another queued


def test_the_schedule_starts_a_tracker_every_minute(db):
    tasks.install_schedule()
    schedule = Schedule.objects.get(func=tasks.TRACK_TASK)
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        1,
        -1,
    )
    assert tasks.track_generations() == "tracked"  # with the lease free it runs one itself
