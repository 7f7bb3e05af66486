"""The studio's ledger checked against Apiframe's own list of jobs: jobs it does not know, costs
that differ, jobs it lost track of; the figures on the usage page; the staff button and the
command. Against the simulator's GET /v2/jobs over real HTTP, on whichever database runs."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from generations import ledger
from generations.models import Generation, Reconciliation, Status
from generations.pipeline import tasks, track

pytestmark = pytest.mark.django_db(transaction=True)


def made_clip(owner, prompt="A lantern drifting on a lake") -> Generation:
    """A clip made end to end: submitted, finished at Apiframe, stored."""
    generation = Generation.start(owner=owner, prompt_text=prompt)
    tasks.submit_generation(str(generation.pk))
    assert track.run_tracker(seconds=30)
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETED, generation.failure_reason
    return generation


def check(since=None) -> Reconciliation:
    return ledger.run_check(ledger.start_check(since or timezone.now() - timedelta(hours=1)))


def kinds(reconciliation: Reconciliation) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for difference in reconciliation.differences:
        found.setdefault(difference["kind"], []).append(difference["job_id"])
    return found


def test_it_says_the_figures_match_when_they_do(studio_simulator, alice):
    made_clip(alice)
    made_clip(alice, "A second lantern")
    result = check()
    assert result.state == Reconciliation.State.DONE and result.matches
    assert (result.jobs_seen, result.apiframe_billed, result.studio_recorded) == (2, 10, 10)


def test_it_finds_a_job_created_outside_the_studio(studio_simulator, alice):
    made_clip(alice)
    outsider = studio_simulator.stage_job("COMPLETED", credit_cost=7)
    result = check()
    assert kinds(result) == {"unknown": [outsider["id"]]}
    assert "billed 7 credits, and the studio has no clip for it" in result.differences[0]["words"]
    assert (result.apiframe_billed, result.studio_recorded) == (12, 5)


def test_a_cost_that_differs_is_reported_and_corrected(studio_simulator, alice):
    clip = made_clip(alice)
    studio_simulator.set_credit_cost(clip.job_id, 8)
    result = check()
    assert kinds(result) == {"cost": [clip.job_id]}
    assert "Apiframe billed 8 credits, the studio had recorded 5" in result.differences[0]["words"]
    clip.refresh_from_db()
    assert clip.credit_cost == 8
    assert check().matches  # once corrected, the next check finds nothing


def test_a_job_the_studio_lost_track_of_is_brought_up_to_date(studio_simulator, alice):
    lost = Generation.start(owner=alice, prompt_text="A kite lost in the clouds")
    tasks.submit_generation(str(lost.pk))
    lost.refresh_from_db()
    # The studio will not look for a long while (say its checks kept failing).
    Generation.objects.filter(pk=lost.pk).update(next_check_at=timezone.now() + timedelta(days=1))
    studio_simulator.wait_for(lost.job_id, "COMPLETED")

    result = check()
    assert kinds(result) == {"ended": [lost.job_id]}
    assert "the studio still thought it was running" in result.differences[0]["words"]
    lost.refresh_from_db()
    assert lost.credit_cost == 5 and lost.is_storing  # the cost at once, the clip next
    assert track.run_tracker(seconds=30)
    lost.refresh_from_db()
    assert lost.status == Status.COMPLETED and lost.video


def test_a_studio_job_apiframe_does_not_list_is_reported(studio_simulator, alice, make_generation):
    made_clip(alice)
    ghost = make_generation(
        alice, status="completed", job_id="11111111-2222-4333-8444-555555555555", credit_cost=5
    )
    Generation.objects.filter(pk=ghost.pk).update(submitted_at=timezone.now())
    result = check()
    assert kinds(result) == {"missing": [ghost.job_id]}


def test_staff_start_a_check_from_the_usage_page_and_see_its_result(
    studio_simulator, alice, staff_client
):
    made_clip(alice)
    studio_simulator.stage_job("COMPLETED", credit_cost=3)
    page = staff_client.get(reverse("usage_review")).content.decode()
    assert "have not been checked against Apiframe" in page

    response = staff_client.post(reverse("usage_check_ledger"), {"period": "month"})
    assert response.status_code == 302 and response["Location"].endswith("?period=month")
    queued = Reconciliation.objects.get()
    assert OrmQ.objects.count() >= 1
    assert "Checking" in staff_client.get(reverse("usage_review")).content.decode()

    tasks.check_ledger(queued.pk)  # what the cluster runs
    page = staff_client.get(reverse("usage_review")).content.decode()
    assert "Apiframe billed <strong>8 credits</strong> for 2 jobs" in page
    assert "the studio has no clip for it" in page


def test_members_cannot_start_a_check(alice_client):
    response = alice_client.post(reverse("usage_check_ledger"), {"period": "month"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Reconciliation.objects.exists()


def test_the_command_reports_in_words(studio_simulator, alice, capsys):
    clip = made_clip(alice)
    studio_simulator.set_credit_cost(clip.job_id, 6)
    call_command("reconcile", "--since", f"{timezone.localdate() - timedelta(days=1)}")
    out = capsys.readouterr().out
    assert "Apiframe billed 6 credits for 1 job; the studio recorded 5 credits." in out
    assert "Corrected to Apiframe's figure" in out


def test_an_outage_is_recorded_in_words(settings, alice):
    settings.APIFRAME_BASE_URL, settings.APIFRAME_TIMEOUT_SECONDS = "http://127.0.0.1:9", 1
    result = check()
    assert result.state == Reconciliation.State.FAILED
    assert result.error.startswith("Apiframe's list of jobs could not be read")
