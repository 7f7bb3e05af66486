"""Keeping the tracker alive is one rule (generations/pipeline/tasks.py): whoever takes the tracker
lease queues the tracker task, and the task renews that lease while it runs. So a burst of work
queues one tracker, a lost one is replaced once its lease expires, and the once-a-minute schedule
starts one after a crash."""

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
    (queued,) = queued_trackers()
    lease = Lease.objects.get(name=track.LEASE_NAME)
    assert queued["args"] == (lease.holder,)  # the task holds the lease its queuer took


def test_a_lost_tracker_task_is_replaced_once_its_lease_expires(db):
    tasks.ensure_tracker()
    OrmQ.objects.all().delete()  # the task is lost (a Redis broker has no acknowledgement)
    tasks.ensure_tracker()
    assert queued_trackers() == []  # its lease still stands for it
    Lease.objects.filter(name=track.LEASE_NAME).update(until=timezone.now() - timedelta(seconds=1))
    tasks.ensure_tracker()
    assert len(queued_trackers()) == 1


def test_the_queued_task_runs_under_its_lease_and_lets_it_go(studio_simulator, alice):
    generation = Generation.start(owner=alice, prompt_text="A paper boat in the rain")
    tasks.ensure_tracker()
    (queued,) = queued_trackers()
    assert tasks.track_generations(*queued["args"]) == "tracked"
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    assert not Lease.is_held(track.LEASE_NAME)


def test_a_second_tracker_stands_aside_while_one_holds_the_lease(db):
    tasks.ensure_tracker()
    assert tasks.track_generations() == "another tracker is running"  # the schedule's run
    assert tasks.track_generations("someone-else") == "another tracker is running"


def test_the_schedule_starts_a_tracker_every_minute(db):
    tasks.install_schedule()
    schedule = Schedule.objects.get(func=tasks.TRACK_TASK)
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        1,
        -1,
    )
    assert tasks.track_generations() == "tracked"  # with the lease free it runs one itself
