"""Takes beyond a member's free in-flight slots wait in the studio, their credits reserved, and go
to Apiframe as slots free, oldest first; waiting is never a failure."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from generations.models import Budget, Generation, Status
from generations.models.team import set_active
from generations.pipeline import tasks
from generations.pipeline.checks import fail_overdue

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def two_slots(db) -> Budget:
    budget = Budget.current()
    budget.max_running_per_member = 2
    budget.save()
    return budget


def four_takes(member, prompt="A heron lifting off a misty pond") -> list[Generation]:
    return Generation.start_batch(owner=member, prompt_text=prompt, takes=4)


def finish(generation: Generation) -> None:
    """Apiframe finished and billed it: its slot is free."""
    now = timezone.now()
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.COMPLETED, job_id=f"job-{generation.take}", credit_cost=5, settled_at=now
    )


def waiting(takes) -> list[int]:
    rows = Generation.objects.filter(pk__in=[take.pk for take in takes], awaits_slot=True)
    return sorted(rows.values_list("take", flat=True))


def test_takes_beyond_the_free_slots_wait_with_their_credits_reserved(two_slots, alice):
    takes = four_takes(alice)
    assert [take.awaits_slot for take in takes] == [False, False, True, True]
    assert [take.next_check_at is None for take in takes] == [False, False, True, True]
    standing = Generation.objects.standing(alice)
    assert standing.spent == 20  # all four reserved from the start
    assert standing.running == 4 and standing.free_slots == 0


def test_the_member_is_told_what_runs_and_what_waits(two_slots, alice, alice_client):
    four_takes(alice)
    assert Generation.objects.standing(alice).waiting == 2
    html = alice_client.get(reverse("studio")).content.decode()
    assert "2 of 2 clips running, 2 waiting for a slot." in html
    refused = alice_client.post(
        reverse("generation_create"),
        {"prompt": "One more", "resolution": "768p", "duration": "6", "takes": "1"},
        **HTMX,
    )
    assert (
        "You already have 2 clips being made (and 2 waiting for a slot), the most one person"
        in refused.content.decode()
    )


def test_only_takes_with_a_slot_are_queued_for_submission(
    two_slots, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_submissions(four_takes(alice))
    queued = [queued.task for queued in OrmQ.objects.all()]
    submits = sorted(task["args"][0] for task in queued if task["func"] == tasks.SUBMIT_TASK)
    assert submits == sorted(str(take.pk) for take in Generation.objects.filter(take__lte=2))
    assert [task["func"] for task in queued].count(tasks.TRACK_TASK) == 1  # it releases the rest


def test_a_waiting_take_is_not_submitted_even_when_asked(two_slots, alice):
    take_three = four_takes(alice)[2]
    assert tasks.submit_generation(str(take_three.pk)) == "already taken"
    take_three.refresh_from_db()
    assert (take_three.status, take_three.job_id, take_three.awaits_slot) == ("waiting", "", True)


def test_a_freed_slot_releases_the_oldest_waiting_take(two_slots, alice):
    takes = four_takes(alice)
    assert Generation.objects.release_waiting_takes() == 0  # both slots still busy
    before = Generation.objects.get(pk=takes[2].pk).updated_at
    finish(takes[0])
    assert Generation.objects.release_waiting_takes() == 1
    assert waiting(takes) == [4]
    released = Generation.objects.get(pk=takes[2].pk)
    assert released.slot_freed_at is not None and released.next_check_at <= timezone.now()
    assert released.updated_at > before  # so the live gallery redraws its card
    assert released.job_id == ""  # the tracker submits it next, like any due clip
    finish(takes[1])
    assert Generation.objects.release_waiting_takes() == 1
    assert waiting(takes) == []


def test_an_older_batchs_takes_go_before_a_newer_ones(two_slots, alice, make_generation):
    older = four_takes(alice, "Older batch")
    Generation.objects.filter(pk__in=[t.pk for t in older]).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    two_slots.max_running_per_member = 5
    two_slots.save()
    newer = Generation.start_batch(owner=alice, prompt_text="Newer batch", takes=2)
    assert [take.awaits_slot for take in newer] == [False, True]  # one slot was free
    two_slots.max_running_per_member = 2
    two_slots.save()
    for take in [*older[:2], newer[0]]:
        finish(take)
    assert Generation.objects.release_waiting_takes() == 2
    assert waiting(older) == [] and waiting(newer) == [2]


def test_a_waiting_take_deleted_costs_nothing_and_frees_nothing_it_did_not_hold(two_slots, alice):
    takes = four_takes(alice)
    takes[2].soft_delete(by=alice)
    takes[2].refresh_from_db()
    assert takes[2].status == Status.CANCELLED and takes[2].job_id == ""
    standing = Generation.objects.standing(alice)
    assert standing.spent == 15 and standing.running == 3
    assert Generation.objects.release_waiting_takes() == 0  # the two running still hold theirs
    assert waiting(takes) == [3, 4] and Generation.objects.get(pk=takes[3].pk).is_waiting_for_slot
    finish(takes[0])
    assert Generation.objects.release_waiting_takes() == 1
    assert Generation.objects.get(pk=takes[3].pk).slot_freed_at is not None
    assert Generation.objects.get(pk=takes[2].pk).status == Status.CANCELLED


def test_waiting_is_not_overdue_and_the_deadline_counts_from_the_slot(two_slots, alice, settings):
    takes = four_takes(alice)
    long_ago = timezone.now() - timedelta(seconds=settings.GENERATION_DEADLINE_SECONDS + 60)
    Generation.objects.filter(pk__in=[t.pk for t in takes]).update(created_at=long_ago)
    for take in takes[:2]:
        finish(take)
    assert fail_overdue() == 0
    assert waiting(takes) == [3, 4]  # waited past the deadline: not failed for it
    assert Generation.objects.release_waiting_takes() == 2
    assert fail_overdue() == 0  # its deadline runs from its slot, not from its creation
    Generation.objects.filter(pk=takes[2].pk).update(slot_freed_at=long_ago)
    assert fail_overdue() == 1
    failed = Generation.objects.get(pk=takes[2].pk)
    assert (
        failed.status == Status.FAILED and "could not be submitted within" in failed.failure_reason
    )
    assert Generation.objects.get(pk=takes[3].pk).status == Status.WAITING


# --- what the gallery shows -------------------------------------------------------------------


def card(html: str, generation: Generation) -> str:
    start = html.rindex("<article", 0, html.index(f'id="gen-{generation.pk}"'))
    return html[start : html.index("</article>", start)]


def test_a_waiting_takes_card_says_so_and_draws_no_estimate(two_slots, alice, alice_client):
    takes = four_takes(alice)
    html = alice_client.get(reverse("studio")).content.decode()
    waiting_card = card(html, takes[2])
    assert "Waiting for a free slot · take 3 of 4" in waiting_card
    assert "Its credits are reserved" in waiting_card
    # No progress figure or start for studio.js to animate an estimate from.
    assert "data-progress" not in waiting_card and "data-started" not in waiting_card
    assert "Take 3 of 4" in waiting_card
    running_card = card(html, takes[0])
    assert "Take 1 of 4" in running_card and "Waiting for a free slot" not in running_card
    assert "data-progress" in running_card


def test_every_take_of_a_batch_is_marked_as_one_group_with_compare(two_slots, alice, alice_client):
    takes = four_takes(alice)
    html = alice_client.get(reverse("studio")).content.decode()
    compare = f'href="{reverse("compare")}?batch={takes[0].batch}"'
    for take in takes:
        shown = card(html, take)
        assert f'data-batch="{take.batch}"' in shown
        assert f"batch-tint-{takes[0].batch_tint}" in shown
        assert compare in shown and ">Compare</a>" in shown


def test_the_live_gallery_redraws_a_take_when_its_slot_frees(two_slots, alice, alice_client):
    takes = four_takes(alice)
    finish(takes[0])
    Generation.objects.update(updated_at=timezone.now() - timedelta(minutes=1))
    since = timezone.now().isoformat()
    Generation.objects.release_waiting_takes()
    response = alice_client.get(reverse("gallery_updates"), {"since": since}, **HTMX)
    html = response.content.decode()
    assert "Waiting for a free slot" not in card(html, takes[2])
    assert "Take 3 of 4" in card(html, takes[2])
    assert f'id="gen-{takes[3].pk}"' not in html  # still waiting: nothing to redraw


def test_a_staff_override_sends_every_take_at_once(two_slots, staff):
    Generation.start_batch(owner=staff, prompt_text="Warm-up", takes=2)  # at the limit now
    takes = Generation.start_batch(
        owner=staff, prompt_text="Past the limit", takes=3, over_budget=True
    )
    assert waiting(takes) == []  # the in-flight limit is lifted, so nothing waits for it
    assert all(take.over_budget for take in takes)


def test_deactivating_a_member_cancels_their_unsent_takes(two_slots, alice, staff):
    takes = four_takes(alice)
    set_active(alice, active=False, by=staff)
    rows = Generation.objects.filter(pk__in=[take.pk for take in takes]).order_by("take")
    # Nothing was sent yet (no claim, no try): all four end here, and nothing can bill them.
    assert [row.status for row in rows] == [Status.CANCELLED] * 4
    assert all(row.settled_at is not None and not row.awaits_slot for row in rows)
    assert Generation.objects.standing(alice).spent == 0
    assert Generation.objects.release_waiting_takes() == 0
