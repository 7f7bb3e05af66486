"""Staff approve or decline a member's request. Approving makes the clip as the member's, marked
approved by whom, past their quota (and in-flight limit) but within the team budget unless the
go-past box is ticked; declining takes a reason. Each writes the audit log. A request already
decided is answered in words; members can decide nothing."""

import pytest
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from generations.models import (
    AlreadyDecided,
    ApprovalRequest,
    ApprovalState,
    AuditEntry,
    AuditKind,
    Budget,
    BudgetRefusal,
    Generation,
    NotApprovable,
)
from tests.approval_steps import HTMX, PROMPT, Elements, asked, elements, image_file, out_of_quota
from tests.fixtures import picture


@pytest.fixture
def request_of_alice(alice) -> ApprovalRequest:
    """alice, out of quota, asked for two takes of a 768p, 10 s clip from an image, with a note."""
    out_of_quota(alice)
    return asked(alice, duration=10, clips=2, first_frame=image_file(), note="For the pitch")


def approve(client, request: ApprovalRequest, htmx=True, **fields):
    headers = HTMX if htmx else {}
    return client.post(reverse("approval_approve", args=[request.pk]), fields, **headers)


def decline(client, request: ApprovalRequest, reason="", htmx=True):
    headers = HTMX if htmx else {}
    return client.post(
        reverse("approval_decline", args=[request.pk]), {"reason": reason}, **headers
    )


def team_budget(credits: int | None) -> None:
    budget = Budget.current()
    budget.team_monthly_credits = credits
    budget.save()


def test_approving_makes_the_clips_as_the_members_marked_approved_by_whom(
    alice, staff, staff_client, request_of_alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = approve(staff_client, request_of_alice)
    assert response.status_code == 200
    takes = list(Generation.objects.order_by("take"))
    assert [take.take for take in takes] == [1, 2] and len(callbacks) >= 3  # two submits queued
    for take in takes:
        assert (take.owner, take.approved_by, take.prompt.text) == (alice, staff, PROMPT)
        assert (take.resolution, take.duration, take.estimated_credits) == ("768p", 10, 10)
        assert take.over_budget and take.batch == takes[0].batch is not None
        assert take.first_frame.name.startswith("first-frames/")
        assert default_storage.open(take.first_frame.name).read() == picture()
    request = ApprovalRequest.objects.get()
    assert (request.state, request.decided_by, request.batch) == ("approved", staff, takes[0].batch)
    # The clips have their own copies now: the request's is gone.
    assert not request.first_frame and not default_storage.listdir("approval-frames")[1]
    row = elements(response).text(f"approval-{request.pk}")
    assert "Approved alice's request: made as 2 takes." in row
    assert "Approved by sam" in row and "made as 2 takes" in row


def test_approving_goes_past_the_members_quota(alice, staff, request_of_alice):
    request_of_alice.approve(staff)
    assert Generation.objects.standing(alice).spent == 20  # of a quota of 0


def test_a_single_clip_is_recorded_by_its_own_id(alice, staff):
    out_of_quota(alice)
    (clip,) = asked(alice).approve(staff)
    assert ApprovalRequest.objects.get().batch == clip.pk and clip.batch is None


def test_approving_obeys_the_team_budget_unless_told_to_go_past_it(
    alice, staff, staff_client, request_of_alice
):
    team_budget(15)  # two takes of 10 credits need 20
    refused = approve(staff_client, request_of_alice)
    words = elements(refused).text(f"approval-{request_of_alice.pk}")
    assert "the team's monthly budget has 15 left (of 15)" in words
    assert "Tick “Also go past the team budget” to approve it anyway." in words
    assert "Also go past the team budget" in words and "Approve" in words
    request_of_alice.refresh_from_db()
    assert request_of_alice.state == ApprovalState.PENDING and request_of_alice.decided_by is None
    assert not Generation.objects.exists() and request_of_alice.first_frame  # still kept
    assert not AuditEntry.objects.filter(kind=AuditKind.APPROVED).exists()

    assert approve(staff_client, request_of_alice, past_team_budget="on").status_code == 200
    request_of_alice.refresh_from_db()
    assert request_of_alice.state == "approved" and request_of_alice.past_team_budget
    assert Generation.objects.filter(owner=alice, approved_by=staff).count() == 2


def test_approving_past_a_rule_writes_the_over_budget_entry(alice, staff, request_of_alice):
    team_budget(15)
    takes = request_of_alice.approve(staff, past_team_budget=True)
    entry = AuditEntry.objects.get(kind=AuditKind.OVER_BUDGET)
    assert (entry.actor, entry.member) == (staff, alice)
    assert entry.after["rules"] == ["quota", "team"] and entry.after["approved_by"] == "sam"
    assert entry.after["clips"] == [str(take.pk) for take in takes]


def test_approving_writes_the_approved_entry_with_before_and_after(alice, staff, request_of_alice):
    takes = request_of_alice.approve(staff)
    entry = AuditEntry.objects.get(kind=AuditKind.APPROVED)
    assert (entry.actor, entry.member) == (staff, alice)
    assert "approved alice's request for 2 takes of" in entry.summary
    assert "about 20 credits" in entry.summary
    common = {"request": request_of_alice.pk, "estimated_credits": 20, "clips": 2}
    assert entry.before == {**common, "state": "pending", "past_team_budget": False}
    assert entry.after == {**common, "state": "approved", "past_team_budget": False,
                           "batch": str(takes[0].batch),
                           "made": [str(take.pk) for take in takes]}  # fmt: skip


def test_declining_takes_a_reason_and_tells_the_audit_log(
    alice, staff, staff_client, request_of_alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = decline(staff_client, request_of_alice, reason="  Not this month.  ")
    row = elements(response).text(f"approval-{request_of_alice.pk}")
    assert "Declined alice's request." in row and "Declined by sam" in row
    assert "Not this month." in row
    request = ApprovalRequest.objects.get()
    assert (request.state, request.decided_by, request.reason) == (
        "declined",
        staff,
        "Not this month.",
    )
    assert not request.first_frame and not default_storage.listdir("approval-frames")[1]
    entry = AuditEntry.objects.get(kind=AuditKind.DECLINED)
    assert (entry.actor, entry.member) == (staff, alice)
    assert entry.before["state"] == "pending"
    assert entry.after["state"] == "declined" and entry.after["reason"] == "Not this month."
    assert not Generation.objects.exists()


def test_declining_without_a_reason_is_refused_in_words(staff_client, request_of_alice):
    response = decline(staff_client, request_of_alice, reason="   ")
    assert response.status_code == 200  # htmx: the words, in the row, swapped in place
    row = elements(response).text(f"approval-{request_of_alice.pk}")
    assert "Say why you decline, so alice knows: the reason can't be empty." in row
    assert ApprovalRequest.objects.get().state == ApprovalState.PENDING
    plain = decline(staff_client, request_of_alice, reason="", htmx=False)
    assert plain.status_code == 400
    assert "the reason can't be empty" in elements(plain).text(f"approval-{request_of_alice.pk}")


def test_a_request_already_decided_is_answered_in_words_with_what_was_typed(
    staff, staff_client, make_user, request_of_alice
):
    bob_staff = make_user("bob", is_staff=True)
    request_of_alice.approve(bob_staff)
    with pytest.raises(AlreadyDecided, match="Alice's request was already approved by bob"):
        ApprovalRequest.objects.get().decline(staff, "Too late")
    response = decline(staff_client, request_of_alice, reason="Too expensive", htmx=False)
    assert response.status_code == 409
    page = elements(response)
    assert "Alice's request was already approved by bob" in page.text(
        f"approval-{request_of_alice.pk}"
    )
    assert "ago." in page.text(f"approval-{request_of_alice.pk}") or "now." in page.text(
        f"approval-{request_of_alice.pk}"
    )
    assert "Your reason was not sent: “Too expensive”" in page.text(
        f"approval-{request_of_alice.pk}"
    )
    again = approve(staff_client, request_of_alice)
    assert "already approved by bob" in elements(again).text(f"approval-{request_of_alice.pk}")
    assert Generation.objects.count() == 2  # the clips of the one approval


def test_a_deactivated_member_cannot_be_approved_for(alice, staff, request_of_alice):
    alice.is_active = False
    alice.save()
    with pytest.raises(NotApprovable, match="deactivated"):
        request_of_alice.approve(staff)
    assert ApprovalRequest.objects.get().state == ApprovalState.PENDING


def test_a_refused_approval_raises_the_budgets_refusal(staff, request_of_alice):
    team_budget(0)
    with pytest.raises(BudgetRefusal) as refusal:
        request_of_alice.approve(staff)
    assert refusal.value.rule == "team"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_members_cannot_approve_or_decline(alice_client, bob_client, request_of_alice, htmx):
    for client in (alice_client, bob_client):
        assert approve(client, request_of_alice, htmx=htmx).status_code == 403
        assert decline(client, request_of_alice, reason="No", htmx=htmx).status_code == 403
        url = reverse("approval_approve", args=[request_of_alice.pk])
        assert client.get(url).status_code == 403
    request = ApprovalRequest.objects.get()
    assert request.state == ApprovalState.PENDING and not Generation.objects.exists()
    assert not AuditEntry.objects.exclude(kind=AuditKind.APPROVAL_ASKED).exists()


def test_without_javascript_a_decision_goes_back_to_the_team_page(staff_client, request_of_alice):
    response = approve(staff_client, request_of_alice, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('team')}#approvals"


def test_an_unknown_request_is_not_found(staff_client):
    assert staff_client.post(reverse("approval_approve", args=[999])).status_code == 404
    assert staff_client.post(reverse("approval_decline", args=[999])).status_code == 404


def staff_list(user) -> str:
    """The team page's approvals section as the team page includes it (no view's help)."""
    request = RequestFactory().get("/team/")
    request.user = user
    return render_to_string("generations/approvals.html#pending", request=request)


def test_staff_see_pending_requests_with_their_estimate_and_what_was_spent(
    alice, staff, make_generation, request_of_alice
):
    out_of_quota(alice, 40)
    make_generation(alice, "Earlier", "completed", credit_cost=25)
    team_budget(500)
    html = staff_list(staff)
    page = Elements(html)
    row = page.text(f"approval-{request_of_alice.pk}")
    assert row.startswith("alice asked")
    assert PROMPT in row and "768p · 10 s · optimizer · 2 takes · from an image" in row
    assert "Note: For the pitch" in row
    assert (
        "About 20 credits. alice has used 25 of 40 credits this month; the team 25 of its 500."
        in row
    )
    assert "Also go past the team budget" in row and "Approve" in row
    assert "Reason" in row and "Decline" in row
    assert "required" in page.attributes[f"reason-{request_of_alice.pk}"]
    thumbnail = f'src="/media/{request_of_alice.first_frame.name}"'
    assert thumbnail in html


def test_the_image_is_served_to_members_only(alice_client, request_of_alice):
    from django.test import Client

    url = f"/media/{request_of_alice.first_frame.name}"
    served = alice_client.get(url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == picture()
    assert Client().get(url).status_code == 302  # to the login page


def test_the_list_shows_decided_requests_lately(alice, staff, request_of_alice):
    request_of_alice.decline(staff, "Over budget this month")
    page = Elements(staff_list(staff))
    assert "No clips are waiting for approval." in page.text("approvals-list")
    assert "Declined by sam" in page.text(f"approval-{request_of_alice.pk}")
    assert "Over budget this month" in page.text(f"approval-{request_of_alice.pk}")


def test_the_list_costs_the_same_queries_however_many_wait(
    make_user, staff, django_assert_max_num_queries
):
    for name in ("m1", "m2", "m3", "m4", "m5"):
        member = make_user(name)
        out_of_quota(member)
        asked(member)
    with django_assert_max_num_queries(6):  # budget, spending, quotas, team, requests, decided
        html = staff_list(staff)
    assert html.count('class="approval approval-pending"') == 5


def test_staff_see_the_count_of_waiting_requests_in_the_header(
    staff_client, alice_client, request_of_alice
):
    html = staff_client.get(reverse("studio")).content.decode()
    assert f'<a class="approvals-waiting" href="{reverse("team")}#approvals">Approvals' in html
    assert '<span class="count">1</span>' in html
    assert "approvals-waiting" not in alice_client.get(reverse("studio")).content.decode()


def test_the_header_count_is_one_count_query_and_only_for_staff(
    staff_client, alice_client, request_of_alice
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as staff_page:
        staff_client.get(reverse("prompt_library"))
    counts = [q["sql"] for q in staff_page if "generations_approvalrequest" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()
    with CaptureQueriesContext(connection) as member_page:
        alice_client.get(reverse("prompt_library"))
    assert not [q for q in member_page if "generations_approvalrequest" in q["sql"]]


def test_an_approved_continuation_continues_the_same_clip(alice, bob, staff, make_generation):
    from tests.clip_files import stored_clip

    earlier = stored_clip(make_generation, bob, "Bob's kite, part one")
    out_of_quota(alice)
    (clip,) = asked(alice, continues=earlier, first_frame=image_file()).approve(staff)
    assert clip.continues == earlier and clip.first_frame


def test_the_team_page_shows_the_list_in_its_approvals_section(staff_client, request_of_alice):
    page = elements(staff_client.get(reverse("team")))
    assert "approvals" in page.attributes  # the section the header's count links to
    row = page.text(f"approval-{request_of_alice.pk}")
    assert PROMPT in row and "Approve" in row and "Decline" in row
    assert row in page.text("approvals")
