"""Apiframe has no cancel: a job it accepted runs to its end and is billed if it completes. So every
way a clip leaves the pipeline early (deleted while running, past the deadline, a copy the studio
could not save) keeps its money in view until Apiframe says what it billed, and the in-flight cap
and the quota count it meanwhile. Against the simulator over real HTTP, with the real tracker."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from apiframe_simulator import Fault
from generations.models import Budget, BudgetRefusal, Generation, MemberQuota, Status
from generations.pipeline import checks, tasks, track
from generations.usage import Period, UsageReport

pytestmark = pytest.mark.django_db(transaction=True)


def start(owner, prompt="A paper plane over rooftops") -> Generation:
    return Generation.start(owner=owner, prompt_text=prompt)


def submitted(owner, prompt="A paper plane over rooftops") -> Generation:
    generation = start(owner, prompt)
    tasks.submit_generation(str(generation.pk))
    generation.refresh_from_db()
    assert generation.status == Status.SUBMITTED, generation.last_error
    return generation


def track_until_settled(seconds: float = 30) -> None:
    assert track.run_tracker(seconds=seconds)
    assert not Generation.objects.in_pipeline().exists(), "the tracker stopped with work left"


def delete_as(client, generation: Generation) -> None:
    assert client.post(reverse("generation_delete", args=[generation.pk])).status_code == 302


def standing(member):
    return Generation.objects.standing(member)


@pytest.fixture
def one_at_a_time():
    Budget.objects.update_or_create(pk=1, defaults={"max_running_per_member": 1})


def test_a_deleted_running_clip_keeps_its_in_flight_slot_until_apiframe_ends_it(
    studio_simulator, alice, alice_client, one_at_a_time
):
    clip = submitted(alice)
    delete_as(alice_client, clip)
    with pytest.raises(BudgetRefusal, match="clips being made"):
        start(alice, "Another try")
    assert standing(alice).running == 1

    track_until_settled()
    clip.refresh_from_db()
    assert clip.status == Status.COMPLETED and clip.credit_cost == 5 and clip.settled_at
    assert not clip.video and not default_storage.exists(f"clips/{clip.pk}.mp4")
    assert standing(alice).running == 0
    start(alice, "Another try")  # the slot is free once Apiframe has finished


def test_a_deleted_running_clip_keeps_counting_against_the_quota(
    studio_simulator, alice, alice_client
):
    MemberQuota.objects.create(member=alice, monthly_credits=5)
    clip = submitted(alice)
    delete_as(alice_client, clip)
    with pytest.raises(BudgetRefusal, match="your monthly quota has 0 left"):
        start(alice, "Another try")
    track_until_settled()
    assert standing(alice).spent == 5  # what Apiframe billed, though nobody sees the clip
    with pytest.raises(BudgetRefusal, match="your monthly quota has 0 left"):
        start(alice, "Another try")


def test_staff_see_who_deleted_it_while_running_and_what_it_cost(
    studio_simulator, alice, alice_client, staff_client
):
    clip = submitted(alice)
    delete_as(alice_client, clip)
    track_until_settled()
    clip.refresh_from_db()
    assert clip.deleted_by == alice and clip.deleted_while_running
    report = staff_client.get(reverse("usage_review")).context["report"]
    alice_row = next(row for row in report.rows if row.member == alice)
    assert (alice_row.credits, alice_row.deleted_while_running) == (5, 1)
    listing = staff_client.get(alice_row.links["deleted_while_running"])
    assert listing.context["cl"].result_count == 1


def test_a_clip_deleted_while_its_submit_was_in_flight_is_found_by_its_key(
    studio_simulator, alice, alice_client
):
    studio_simulator.faults.push("submit", Fault.drop(processed=True))  # job made, answer lost
    clip = start(alice)
    tasks.submit_generation(str(clip.pk))
    clip.refresh_from_db()
    assert clip.status == Status.WAITING and not clip.job_id  # the row never learned the job
    delete_as(alice_client, clip)
    clip.refresh_from_db()
    assert clip.status == Status.WAITING and clip.may_still_bill

    Generation.objects.filter(pk=clip.pk).update(next_check_at=timezone.now())
    track_until_settled()
    clip.refresh_from_db()
    assert studio_simulator.jobs_created_for_key(str(clip.pk)) == 1  # replayed, not billed twice
    assert clip.status == Status.COMPLETED and clip.credit_cost == 5 and not clip.video


def test_a_clip_deleted_before_anything_was_sent_costs_nothing(
    studio_simulator, alice, alice_client
):
    clip = start(alice)
    delete_as(alice_client, clip)
    assert tasks.submit_generation(str(clip.pk)) == "already taken"
    clip.refresh_from_db()
    assert clip.status == Status.CANCELLED and not clip.may_still_bill
    assert studio_simulator.request_count("submit") == 0
    assert (standing(alice).spent, standing(alice).running) == (0, 0)


def test_deleting_a_running_clip_warns_that_it_may_still_be_billed(
    alice_client, alice, make_generation
):
    running = make_generation(alice, status="processing", estimated_credits=10)
    done = make_generation(alice, status="completed", prompt="A finished clip")
    html = alice_client.get(reverse("studio")).content.decode()
    assert "if Apiframe finishes it, it is still billed (about 10 credits)" in html
    # A finished clip asks nothing: its delete can be undone for a few seconds instead.
    page = alice_client.get(done.get_absolute_url()).content.decode()
    assert "data-confirm" not in page
    assert (
        'data-confirm="Apiframe may still be making this clip'
        in alice_client.get(running.get_absolute_url()).content.decode()
    )
    assert running.delete_warning.endswith("Delete it for the whole team?")


def test_a_clip_past_the_deadline_is_followed_until_apiframe_says_what_it_billed(
    studio_simulator, alice, settings
):
    studio_simulator.job_seconds = 2.0
    clip = submitted(alice)
    Generation.objects.filter(pk=clip.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert checks.fail_overdue() == 1
    clip.refresh_from_db()
    assert clip.status == Status.FAILED and "did not finish this clip" in clip.failure_reason
    assert clip.may_still_bill and standing(alice).running == 1  # its reservation still counts

    studio_simulator.wait_for(clip.job_id, "COMPLETED")
    Generation.objects.filter(pk=clip.pk).update(next_check_at=timezone.now())
    track_until_settled()
    clip.refresh_from_db()
    # Apiframe finished after all: the cost is recorded and the member gets the clip.
    assert clip.status == Status.COMPLETED and clip.credit_cost == 5 and clip.video
    assert not clip.may_still_bill


def test_a_deleted_clip_past_the_deadline_records_the_cost_and_keeps_no_copy(
    studio_simulator, alice, alice_client
):
    studio_simulator.job_seconds = 2.0
    clip = submitted(alice)
    Generation.objects.filter(pk=clip.pk).update(created_at=timezone.now() - timedelta(hours=1))
    checks.fail_overdue()
    delete_as(alice_client, clip)
    studio_simulator.wait_for(clip.job_id, "COMPLETED")
    Generation.objects.filter(pk=clip.pk).update(next_check_at=timezone.now())
    track_until_settled()
    clip.refresh_from_db()
    assert clip.credit_cost == 5 and not clip.video and clip.settled_at
    assert standing(alice).spent == 5


def test_a_billed_clip_the_studio_could_not_save_counts_everywhere(studio_simulator, alice):
    studio_simulator.faults.push("file", Fault.missing_file())
    clip = submitted(alice)
    track_until_settled()
    clip.refresh_from_db()
    assert clip.status == Status.FAILED and "could not save its copy" in clip.failure_reason
    assert clip.credit_cost == 5
    alice_row = next(row for row in UsageReport(Period.from_params({})).rows if row.member == alice)
    assert alice_row.credits == standing(alice).spent == 5


def test_overdue_checks_do_not_make_one_missing_job_answer_fatal(studio_simulator, alice):
    clip = submitted(alice)
    Generation.objects.filter(pk=clip.pk).update(overdue_checks=5)
    studio_simulator.faults.push("job", Fault.status(404))
    checks.check(Generation.objects.get(pk=clip.pk))
    clip.refresh_from_db()
    assert clip.is_active and clip.attempts == 1 and clip.overdue_checks == 5
