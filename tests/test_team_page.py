"""The team page (/team/): staff see every member with this month's spending against their quota,
clips running and last seen, computed for the whole team in a few queries; staff change a quota,
a role, deactivate and reactivate, each in place (htmx) or by a plain POST, each audited; bad
input is answered in words beside the row with what was typed kept; members never reach it."""

from datetime import timedelta
from html import unescape

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.models import (
    AuditEntry,
    AuditKind,
    Budget,
    Generation,
    MemberProfile,
    MemberQuota,
)
from tests.fixtures import PASSWORD

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return unescape(response.content.decode())


def member_url(name: str, member) -> str:
    return reverse(f"team_member_{name}", args=[member.pk])


def row_html(html: str, member) -> str:
    start = html.index(f'id="member-{member.pk}"')
    return html[start : html.index("</tbody>", start)]


@pytest.fixture
def team(alice, bob, staff, make_generation):
    Budget.objects.update_or_create(pk=1, defaults={"member_monthly_credits": 100})
    MemberQuota.set_for(alice, 250)
    make_generation(alice, "Alice's fox", "completed", credit_cost=7, settled_at=timezone.now())
    make_generation(alice, "Alice's owl", "processing", estimated_credits=5)
    last_month = timezone.now() - timedelta(days=45)
    make_generation(bob, "Bob's old clip", "completed", credit_cost=30, created_at=last_month)
    MemberProfile.objects.update_or_create(
        member=bob, defaults={"last_seen_at": timezone.now() - timedelta(minutes=3)}
    )
    return alice, bob, staff


def test_staff_see_every_member_with_their_figures(staff_client, team):
    alice, bob, staff = team
    response = staff_client.get(reverse("team"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = {row.member.get_username(): row for row in response.context["rows"]}
    assert set(rows) == {"alice", "bob", "sam"}
    assert (rows["alice"].spent, rows["alice"].running, rows["alice"].quota) == (12, 1, 250)
    assert (rows["bob"].spent, rows["bob"].running, rows["bob"].quota) == (0, 0, 100)
    assert rows["bob"].last_seen_words == "3 minutes ago"
    alices = row_html(html, alice)
    assert "12" in alices and "of 250" in alices and 'value="250"' in alices
    assert "Make staff" in alices and "Deactivate" in alices
    assert "Make a password-reset link" in alices
    assert "Make member" in row_html(html, staff) and "3 minutes ago" in row_html(html, bob)
    assert 'value=""' in row_html(html, bob)  # on the team default
    assert "Invite a member" in html and 'id="approvals"' in html


def test_a_member_never_seen_reads_never(staff_client, team):
    alice, _, _ = team
    MemberProfile.objects.filter(member=alice).delete()
    rows = {row.member.pk: row for row in staff_client.get(reverse("team")).context["rows"]}
    assert rows[alice.pk].last_seen_words == "never"


def test_the_figures_cost_the_same_queries_for_a_larger_team(
    staff_client, team, make_user, make_generation, django_assert_max_num_queries
):
    staff_client.get(reverse("team"))
    with CaptureQueriesContext(connection) as three:
        staff_client.get(reverse("team"))
    for n in range(6):
        member = make_user(f"member{n}")
        MemberQuota.set_for(member, 10 + n)
        make_generation(member, f"Clip {n}", "processing", estimated_credits=5)
    with django_assert_max_num_queries(len(three)):
        response = staff_client.get(reverse("team"))
    assert len(response.context["rows"]) == 9


@pytest.mark.parametrize("persona", ["alice_client", "bob_client"])
def test_members_never_reach_the_team_page(request, persona, team):
    client = request.getfixturevalue(persona)
    alice, _, _ = team
    assert client.get(reverse("team")).status_code == 302
    assert "/admin/login/" in client.get(reverse("team"))["Location"]
    names = ("team_member_quota", "team_member_role", "team_member_active", "team_reset_link")
    for name in names:
        url = reverse(name, args=[alice.pk])
        response = client.post(url, {"quota": "5", "role": "staff", "active": "0"}, **HTMX)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    alice.refresh_from_db()
    assert not alice.is_staff and alice.is_active
    assert MemberQuota.objects.get(member=alice).monthly_credits == 250
    assert not AuditEntry.objects.exists()


def test_staff_change_a_quota_in_place_and_it_is_audited(staff, staff_client, team):
    alice, _, _ = team
    response = staff_client.post(member_url("quota", alice), {"quota": "400"}, **HTMX)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith("<tbody") and 'value="400"' in html
    assert "Saved: alice's quota is now 400 credits." in html
    assert MemberQuota.objects.get(member=alice).monthly_credits == 400
    entry = AuditEntry.objects.get(kind=AuditKind.QUOTA_CHANGED)
    assert (entry.actor, entry.member) == (staff, alice)
    assert (entry.before, entry.after) == ({"monthly_credits": 250}, {"monthly_credits": 400})


def test_an_empty_quota_puts_the_member_back_on_the_team_default(staff_client, team):
    alice, _, _ = team
    response = staff_client.post(member_url("quota", alice), {"quota": ""})
    assert response.status_code == 302 and response["Location"] == f"/team/#member-{alice.pk}"
    assert not MemberQuota.objects.filter(member=alice).exists()
    followed = text(staff_client.get(reverse("team")))
    assert "Saved: alice's quota is now the team default." in followed
    entry = AuditEntry.objects.get(kind=AuditKind.QUOTA_CHANGED)
    assert entry.after == {"monthly_credits": None}


def test_saving_the_same_quota_writes_no_entry(staff_client, team):
    alice, _, _ = team
    response = staff_client.post(member_url("quota", alice), {"quota": "250"}, **HTMX)
    assert "alice's quota was already 250 credits." in text(response)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(
    "typed, words",
    [("lots", "Write the quota as a whole number of credits"), ("-5", "can't be below 0")],
)
def test_a_bad_quota_is_refused_in_words_beside_the_row_keeping_what_was_typed(
    staff_client, team, htmx, typed, words
):
    alice, _, _ = team
    headers = HTMX if htmx else {}
    response = staff_client.post(member_url("quota", alice), {"quota": typed}, **headers)
    assert response.status_code == (200 if htmx else 400)
    row = row_html(text(response), alice)
    assert words in row and f'value="{typed}"' in row and 'aria-invalid="true"' in row
    assert MemberQuota.objects.get(member=alice).monthly_credits == 250
    assert not AuditEntry.objects.exists()


def test_staff_make_a_member_staff_and_back_each_audited(staff, staff_client, team):
    alice, _, _ = team
    response = staff_client.post(member_url("role", alice), {"role": "staff"}, **HTMX)
    html = text(response)
    assert "alice is now staff." in html and "Make member" in html
    alice.refresh_from_db()
    assert alice.is_staff and alice.is_superuser
    assert logged_in_as(alice).get(reverse("team")).status_code == 200

    staff_client.post(member_url("role", alice), {"role": "member"})
    alice.refresh_from_db()
    assert not alice.is_staff and not alice.is_superuser
    entries = AuditEntry.objects.filter(kind=AuditKind.ROLE_CHANGED).order_by("pk")
    assert [(e.before, e.after) for e in entries] == [
        ({"role": "member"}, {"role": "staff"}),
        ({"role": "staff"}, {"role": "member"}),
    ]
    assert all(e.actor == staff and e.member == alice for e in entries)


def test_a_role_that_is_neither_is_refused_in_words(staff_client, team):
    alice, _, _ = team
    response = staff_client.post(member_url("role", alice), {"role": "owner"}, **HTMX)
    assert "Choose staff or member." in text(response)
    alice.refresh_from_db()
    assert not alice.is_staff


def logged_in_as(member) -> Client:
    client = Client()
    assert client.login(username=member.get_username(), password=PASSWORD)
    return client


def test_deactivating_logs_the_member_out_keeps_their_clips_and_is_audited(
    staff, staff_client, team
):
    alice, _, _ = team
    alices_browser = logged_in_as(alice)
    assert alices_browser.get(reverse("studio")).status_code == 200
    response = staff_client.post(member_url("active", alice), {"active": "0"}, **HTMX)
    html = text(response)
    assert "Deactivated alice: they are logged out and can't log in. Their clips stay." in html
    assert "Reactivate" in html and "Make a password-reset link" not in html
    alice.refresh_from_db()
    assert not alice.is_active
    assert alices_browser.get(reverse("studio")).status_code == 302  # to the login page
    assert not Client().login(username="alice", password=PASSWORD)
    assert Generation.objects.filter(owner=alice, deleted_at__isnull=True).count() == 2
    entry = AuditEntry.objects.get(kind=AuditKind.DEACTIVATED)
    assert (entry.actor, entry.member, entry.before) == (staff, alice, {"is_active": True})
    assert entry.after == {"is_active": False, "sessions_ended": 1, "clips_not_sent": 0}
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(alice.pk)
    ]


def test_a_reactivated_member_logs_in_again_and_it_is_audited(staff, staff_client, team):
    alice, _, _ = team
    staff_client.post(member_url("active", alice), {"active": "0"})
    response = staff_client.post(member_url("active", alice), {"active": "1"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    assert logged_in_as(alice).get(reverse("studio")).status_code == 200
    entry = AuditEntry.objects.get(kind=AuditKind.REACTIVATED)
    assert (entry.before, entry.after) == ({"is_active": False}, {"is_active": True})


def test_staff_cannot_deactivate_themselves(staff, staff_client, team, make_user):
    make_user("second-staff", is_staff=True)  # not the last staff member: still refused
    response = staff_client.post(member_url("active", staff), {"active": "0"}, **HTMX)
    assert "You can't deactivate yourself: ask another staff member to." in text(response)
    staff.refresh_from_db()
    assert staff.is_active
    assert not AuditEntry.objects.exists()


def test_without_script_a_refusal_comes_back_with_the_whole_page(staff, staff_client, team):
    response = staff_client.post(member_url("role", staff), {"role": "member"})
    assert response.status_code == 400
    html = text(response)
    assert "sam is the last active staff member" in row_html(html, staff)
    assert "Invite a member" in html  # the whole page, not a fragment


def test_an_unknown_member_is_not_found(staff_client, team):
    assert staff_client.post("/team/members/999999/quota/", {"quota": "5"}).status_code == 404
