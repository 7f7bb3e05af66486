"""Many members submitting at the same moment never overshoot the budget or a quota.

Runs on whichever database the suite runs on: SQLite (IMMEDIATE transactions) and, in CI's second
run, PostgreSQL (SELECT ... FOR UPDATE on the budget row)."""

import threading
from collections import Counter

import pytest
from django.db import connection

from generations.models import Budget, BudgetRefusal, Generation, MemberQuota

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS, ATTEMPTS_EACH = 6, 6


def submit_all_at_once(members) -> Counter:
    """Every member tries ATTEMPTS_EACH submissions, all released by one barrier."""
    barrier = threading.Barrier(len(members) * ATTEMPTS_EACH)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def attempt(member):
        try:
            barrier.wait(timeout=30)
            Generation.start(owner=member, prompt_text=f"race by {member.username}")
            outcome = "admitted"
        except BudgetRefusal:
            outcome = "refused"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [
        threading.Thread(target=attempt, args=(m,)) for m in members for _ in range(ATTEMPTS_EACH)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.fixture
def team(make_user):
    return [make_user(f"member{i}") for i in range(MEMBERS)]


def test_the_team_budget_is_never_exceeded(team):
    budget = Budget.current()
    budget.team_monthly_credits = 52  # room for 10 clips of 5 credits, not 11
    budget.max_running_per_member = 100
    budget.save()
    outcomes = submit_all_at_once(team)
    assert outcomes == {"admitted": 10, "refused": MEMBERS * ATTEMPTS_EACH - 10}
    assert Generation.objects.standing(team[0]).team_spent == 50


def test_no_quota_is_ever_exceeded(team):
    budget = Budget.current()
    budget.member_monthly_credits = 15  # three clips each
    budget.max_running_per_member = 100
    budget.save()
    MemberQuota.objects.create(member=team[0], monthly_credits=5)
    submit_all_at_once(team)
    per_member = Counter(Generation.objects.values_list("owner__username", flat=True))
    assert per_member == {"member0": 1, **{f"member{i}": 3 for i in range(1, MEMBERS)}}


def test_the_in_flight_cap_is_never_exceeded(team):
    budget = Budget.current()
    budget.max_running_per_member = 2
    budget.save()
    submit_all_at_once(team)
    assert set(Counter(Generation.objects.values_list("owner", flat=True)).values()) == {2}
