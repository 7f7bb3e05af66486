"""Four takes over real HTTP, two in flight at a time: the last two wait, go as slots free, and
all four end as clips, each its own job and Idempotency-Key, each billed. Against the studio's
simulator and against Apiframe's contract as written apart from it (tests/independent_apiframe.py,
with prices of its own)."""

import pytest

from generations.models import Budget, Generation, Status
from generations.pipeline import expectations, tasks, track

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_slots(db) -> Budget:
    budget = Budget.current()
    budget.max_running_per_member = 2
    budget.save()
    return budget


def make_four_takes(member, **settings_) -> list[Generation]:
    """What the studio does with one submission of four clips, until nothing is left to do."""
    takes = Generation.start_batch(
        owner=member, prompt_text="A lantern drifting upriver", takes=4, **settings_
    )
    for take in takes:  # what the queued submit tasks do; the waiting takes decline
        tasks.submit_generation(str(take.pk))
    assert Generation.objects.filter(awaits_slot=True, job_id="").count() == 2
    assert track.run_tracker(seconds=60)
    assert not Generation.objects.in_pipeline().exists(), "the tracker stopped with work left"
    done = list(Generation.objects.order_by("take"))
    assert [take.status for take in done] == [Status.COMPLETED] * 4, [
        take.failure_reason for take in done
    ]
    assert len({take.job_id for take in done}) == 4
    # The waiting takes went only once a slot had freed: after one of the first two was billed.
    first_freed = min(take.settled_at for take in done[:2])
    for take in done[2:]:
        assert take.slot_freed_at is not None and take.slot_freed_at >= first_freed
        assert take.submitted_at >= take.slot_freed_at
    return done


def test_against_the_simulator(studio_simulator, two_slots, alice):
    done = make_four_takes(alice)
    for take in done:
        assert studio_simulator.jobs_created_for_key(str(take.pk)) == 1
        assert take.credit_cost == 5 and take.video
    assert Generation.objects.standing(alice).spent == 20


def test_against_apiframe_as_written_apart(independent_apiframe, settings, two_slots, alice):
    settings.APIFRAME_BASE_URL = independent_apiframe.url
    settings.APIFRAME_API_KEY = independent_apiframe.api_key
    settings.EXPECTED_JOB_SECONDS = 1.0
    settings.PUBLIC_URL = ""
    expectations.forget()
    done = make_four_takes(alice, resolution="1080p")
    assert independent_apiframe.jobs_created() == 4
    for take in done:
        billed = independent_apiframe.billed_for(str(take.pk))  # by its Idempotency-Key
        assert billed == take.credit_cost == 12  # the provider's price, not the estimate of 10
    assert Generation.objects.standing(alice).spent == 48
    expectations.forget()
