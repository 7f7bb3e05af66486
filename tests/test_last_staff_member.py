"""The team always keeps an active staff member: the last one cannot be made a member or
deactivated, not even by two staff changing each other at the same moment (the active staff are
locked while one change decides: SELECT ... FOR UPDATE on PostgreSQL, SQLite's IMMEDIATE
transactions), and no staff member deactivates themselves. Refusals are in words, on the page."""

import threading
from functools import partial
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from generations.models import AuditEntry, AuditKind
from generations.models.team import TeamRefusal, set_active, set_role
from tests.fixtures import logged_in


def active_staff() -> set[str]:
    return set(
        User.objects.filter(is_staff=True, is_active=True).values_list("username", flat=True)
    )


def test_the_last_staff_member_cannot_make_themselves_a_member(staff):
    with pytest.raises(TeamRefusal, match="sam is the last active staff member"):
        set_role(staff, staff=False, by=staff)
    staff.refresh_from_db()
    assert staff.is_staff and staff.is_superuser
    assert not AuditEntry.objects.exists()


def test_a_deactivated_staff_member_does_not_count(staff, make_user):
    make_user("former", is_staff=True, is_active=False)
    with pytest.raises(TeamRefusal, match="last active staff member"):
        set_role(staff, staff=False, by=staff)


def test_with_another_active_staff_member_one_may_step_down(staff, make_user):
    other = make_user("dana", is_staff=True)
    assert set_role(staff, staff=False, by=staff)
    assert active_staff() == {"dana"}
    with pytest.raises(TeamRefusal):
        set_role(other, staff=False, by=other)
    assert AuditEntry.objects.filter(kind=AuditKind.ROLE_CHANGED).count() == 1


def test_the_last_staff_member_cannot_be_deactivated(staff, make_user):
    dana = make_user("dana", is_staff=True)
    assert set_active(dana, active=False, by=staff)  # sam is now the only active staff member
    with pytest.raises(TeamRefusal, match="deactivate yourself"):
        set_active(staff, active=False, by=staff)
    with pytest.raises(TeamRefusal, match="sam is the last active staff member"):
        set_active(staff, active=False, by=dana)  # say, a request dana sent before she was out
    assert active_staff() == {"sam"}


def test_the_page_says_so_in_words_beside_the_row(staff, staff_client):
    response = staff_client.post(
        reverse("team_member_role", args=[staff.pk]), {"role": "member"}, HTTP_HX_REQUEST="true"
    )
    html = unescape(response.content.decode())
    assert response.status_code == 200 and 'role="alert"' in html
    assert "sam is the last active staff member: making them a member would leave no one" in html
    assert "Make someone else staff first." in html


CHANGES = {
    "demote": lambda member, by: set_role(member, staff=False, by=by),
    "deactivate": lambda member, by: set_active(member, active=False, by=by),
}


def at_once(*calls) -> list[str]:
    """Run each call in its own thread and connection, all released together."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=30)
            outcome = "changed" if call() else "unchanged"
        except TeamRefusal:
            outcome = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", list(CHANGES))
@pytest.mark.parametrize("second", list(CHANGES))
def test_two_staff_changing_each_other_at_once_leave_one_staff_member(first, second):
    for round in range(5):
        User.objects.all().delete()  # their entries stay, with the names they had
        ann = User.objects.create_user(f"ann{round}", is_staff=True, is_superuser=True)
        ben = User.objects.create_user(f"ben{round}", is_staff=True, is_superuser=True)
        entries = AuditEntry.objects.count()
        outcomes = at_once(
            partial(CHANGES[first], ben, ann),  # ann changes ben
            partial(CHANGES[second], ann, ben),  # ben changes ann, at the same moment
        )
        assert outcomes == ["changed", "refused"]
        assert len(active_staff()) == 1
        assert AuditEntry.objects.count() == entries + 1


@pytest.mark.django_db(transaction=True)
def test_many_staff_stepping_down_at_once_leave_one():
    staff = [User.objects.create_user(f"s{n}", is_staff=True) for n in range(5)]
    outcomes = at_once(*(lambda m=m: set_role(m, staff=False, by=m) for m in staff))
    assert outcomes == ["changed"] * 4 + ["refused"]
    assert len(active_staff()) == 1


def test_a_member_page_never_offers_a_way_round(alice):
    """Members reach none of this: their POST goes to the admin's login."""
    response = logged_in(alice).post(reverse("team_member_role", args=[alice.pk]), {"role": "x"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
