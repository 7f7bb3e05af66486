"""The audit entries written beside the team page's own: share links made and revoked, clips
deleted while Apiframe may still be making them (with the estimate held), and budget, quota, role
and active changes made in Django's admin, each with who, what and the values before and after."""

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generations.models import AuditEntry, AuditKind, Budget, MemberQuota, ShareLink
from tests.clip_files import stored_clip
from tests.fixtures import PASSWORD


def only(kind: AuditKind) -> AuditEntry:
    return AuditEntry.objects.get(kind=kind)


def test_a_share_link_made_and_revoked_is_audited_without_its_token(
    alice, staff, alice_client, make_generation
):
    fox = stored_clip(make_generation, alice, "A red fox in fresh snow")
    response = alice_client.post(reverse("generation_share", args=[fox.pk]), {"expires": "7"})
    assert response.status_code == 302
    link = ShareLink.objects.get()
    made = only(AuditKind.SHARE_MADE)
    assert (made.actor, made.member) == (alice, alice)
    assert "A red fox in fresh snow" in made.summary
    assert made.after["clip"] == str(fox.pk) and made.after["allow_download"] is False
    assert made.after["expires_at"] and link.token not in str(made.after) + made.summary

    assert link.revoke(by=staff)
    assert not ShareLink.objects.get().revoke(by=alice)  # already off: no second entry
    revoked = only(AuditKind.SHARE_REVOKED)
    assert (revoked.actor, revoked.member) == (staff, alice)
    assert revoked.before["revoked_at"] is None and revoked.after["revoked_at"]


def test_deleting_a_running_clip_is_audited_with_the_estimate_held(alice, staff, make_generation):
    running = make_generation(alice, "An owl at dusk", "processing", estimated_credits=10)
    running.soft_delete(by=staff)
    entry = only(AuditKind.RUNNING_DELETED)
    assert (entry.actor, entry.member) == (staff, alice)
    assert entry.after == {"clip": str(running.pk), "deleted": True, "estimated_credits": 10}
    assert entry.before["deleted"] is False and entry.before["clip"] == str(running.pk)
    assert "10 credits stay reserved" in entry.summary


def test_deleting_a_finished_or_unsent_clip_writes_no_entry(alice, make_generation):
    stored_clip(make_generation, alice, "Done").soft_delete(by=alice)
    make_generation(alice, "Never sent", "waiting").soft_delete(by=alice)  # cancelled: no bill
    assert not AuditEntry.objects.filter(kind=AuditKind.RUNNING_DELETED).exists()


def test_deleting_it_twice_writes_one_entry(alice, make_generation):
    running = make_generation(alice, "An owl at dusk", "submitted", estimated_credits=5)
    running.soft_delete(by=alice)
    running.soft_delete(by=alice)
    assert AuditEntry.objects.filter(kind=AuditKind.RUNNING_DELETED).count() == 1


BUDGET_FORM = {
    "team_monthly_credits": "",
    "member_monthly_credits": "",
    "max_running_per_member": "3",
    "price_768p_6s": "5",
    "price_768p_10s": "10",
    "price_1080p_6s": "10",
}


def test_a_budget_change_in_the_admin_is_audited_with_what_changed(staff, staff_client):
    budget = Budget.current()
    url = reverse("admin:generations_budget_change", args=[budget.pk])
    changed = {**BUDGET_FORM, "team_monthly_credits": "900", "price_768p_6s": "6"}
    assert staff_client.post(url, changed).status_code == 302
    entry = only(AuditKind.BUDGET_CHANGED)
    assert entry.actor == staff
    assert entry.before == {"team_monthly_credits": None, "price_768p_6s": 5}
    assert entry.after == {"team_monthly_credits": 900, "price_768p_6s": 6}
    assert "None → 900" in entry.summary and "5 → 6" in entry.summary
    staff_client.post(url, changed)  # saved again, unchanged
    assert AuditEntry.objects.filter(kind=AuditKind.BUDGET_CHANGED).count() == 1


def member_form(member, **changes) -> dict[str, str]:
    """What the member's admin page posts back when staff change nothing but `changes`."""
    return {
        "username": member.username,
        "monthly_quota": "",
        "email": member.email,
        "is_active": "on",
        "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
        **changes,
    }


def test_quota_role_and_active_changes_in_the_admin_are_audited(staff, staff_client, alice):
    url = reverse("admin:auth_user_change", args=[alice.pk])
    assert staff_client.post(url, member_form(alice, monthly_quota="250")).status_code == 302
    quota = only(AuditKind.QUOTA_CHANGED)
    assert (quota.actor, quota.member) == (staff, alice)
    assert (quota.before, quota.after) == ({"monthly_credits": None}, {"monthly_credits": 250})

    staff_client.post(url, member_form(alice, monthly_quota="250", is_staff="on"))
    role = only(AuditKind.ROLE_CHANGED)
    assert (role.before, role.after) == ({"role": "member"}, {"role": "staff"})

    alices_browser = Client()
    assert alices_browser.login(username="alice", password=PASSWORD)
    deactivated = member_form(alice, monthly_quota="250", is_staff="on")
    del deactivated["is_active"]
    staff_client.post(url, deactivated)
    entry = only(AuditKind.DEACTIVATED)
    assert entry.after == {"is_active": False, "sessions_ended": 1, "clips_not_sent": 0}
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exclude(
        session_key=staff_client.session.session_key
    )
    assert AuditEntry.objects.filter(kind=AuditKind.QUOTA_CHANGED).count() == 1
    assert MemberQuota.objects.get(member=alice).monthly_credits == 250
