"""Staff deciding at the same moment decide once: of several approving one request, one submits
it (one batch, one audit entry) and the others are told it was already approved; an approval and a
decline racing end as one of them; a double click on "Ask for approval" makes one request.

Runs on whichever database the suite runs on: SQLite (IMMEDIATE transactions) and PostgreSQL (the
claim's row lock)."""

import threading
from collections import Counter

import pytest
from django.db import connection

from generations.models import (
    AlreadyDecided,
    ApprovalRequest,
    ApprovalState,
    AuditEntry,
    AuditKind,
    Generation,
)
from tests.approval_steps import asked, image_file, out_of_quota

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = 4


def all_at_once(actions) -> Counter:
    """Run each action in its own thread, all released by one barrier; count their outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(action):
        try:
            barrier.wait(timeout=30)
            outcome = action()
        except AlreadyDecided:
            outcome = "already decided"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.fixture
def staff_members(make_user):
    return [make_user(f"staff{i}", is_staff=True) for i in range(STAFF)]


@pytest.fixture
def request_of_alice(alice) -> ApprovalRequest:
    out_of_quota(alice)
    return asked(alice, clips=2, first_frame=image_file())


def approving(request: ApprovalRequest, by):
    def action():
        ApprovalRequest.objects.get(pk=request.pk).approve(by)
        return "approved"

    return action


def declining(request: ApprovalRequest, by):
    def action():
        ApprovalRequest.objects.get(pk=request.pk).decline(by, "Not now")
        return "declined"

    return action


def test_staff_approving_at_once_submit_it_once(alice, staff_members, request_of_alice):
    outcomes = all_at_once([approving(request_of_alice, by) for by in staff_members])
    assert outcomes == {"approved": 1, "already decided": STAFF - 1}
    request = ApprovalRequest.objects.get()
    takes = Generation.objects.filter(owner=alice)
    assert takes.count() == 2 and set(takes.values_list("batch", flat=True)) == {request.batch}
    assert takes.first().approved_by == request.decided_by
    assert AuditEntry.objects.filter(kind=AuditKind.APPROVED).count() == 1
    assert AuditEntry.objects.filter(kind=AuditKind.OVER_BUDGET).count() == 1


def test_an_approval_and_a_decline_at_once_end_as_one_of_them(staff_members, request_of_alice):
    actions = [approving(request_of_alice, staff_members[0])]
    actions += [declining(request_of_alice, by) for by in staff_members[1:]]
    outcomes = all_at_once(actions)
    assert outcomes["already decided"] == STAFF - 1
    request = ApprovalRequest.objects.get()
    if outcomes["approved"]:
        assert request.state == ApprovalState.APPROVED and Generation.objects.count() == 2
    else:
        assert outcomes == {"declined": 1, "already decided": STAFF - 1}
        assert request.state == ApprovalState.DECLINED and not Generation.objects.exists()
    decided = AuditEntry.objects.filter(kind__in=[AuditKind.APPROVED, AuditKind.DECLINED])
    assert decided.count() == 1


def test_asking_twice_at_once_makes_one_request(alice):
    out_of_quota(alice)

    def ask():
        return "new" if ApprovalRequest.ask(alice, prompt_text="Twice", resolution="768p",
                                            duration=6, first_frame=image_file())[1] else "same"  # fmt: skip

    outcomes = all_at_once([ask, ask, ask])
    assert outcomes == {"new": 1, "same": 2}
    assert ApprovalRequest.objects.count() == 1
    assert AuditEntry.objects.filter(kind=AuditKind.APPROVAL_ASKED).count() == 1
