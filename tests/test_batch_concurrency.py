"""Batches submitted at the same moment against a small budget never overshoot it and are never
admitted in part. Runs on SQLite and on PostgreSQL (tests/conftest.py, BOTH_DATABASES), as
tests/test_budget_concurrency.py does for single clips."""

import threading
from collections import Counter

import pytest
from django.db import connection

from generations.models import Budget, BudgetRefusal, Generation, MemberQuota

pytestmark = pytest.mark.django_db(transaction=True)


def submit_batches_at_once(attempts: list[tuple[object, int]]) -> Counter:
    """Each (member, takes) tries one batch, all released by one barrier; how many were
    admitted and refused, and, by (outcome, takes), of which size."""
    barrier = threading.Barrier(len(attempts))
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def attempt(member, takes: int) -> None:
        try:
            barrier.wait(timeout=30)
            Generation.start_batch(owner=member, prompt_text=f"{takes} takes", takes=takes)
            outcome = "admitted"
        except BudgetRefusal:
            outcome = "refused"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1
            outcomes[outcome, takes] += 1

    threads = [threading.Thread(target=attempt, args=attempt_) for attempt_ in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def assert_every_batch_whole() -> None:
    sizes = dict(Generation.objects.values_list("batch", "batch_size").distinct())
    found = Counter(Generation.objects.exclude(batch=None).values_list("batch", flat=True))
    assert found == {batch: size for batch, size in sizes.items() if batch is not None}


@pytest.fixture
def team(make_user):
    return [make_user(f"member{i}") for i in range(6)]


def set_budget(**fields) -> Budget:
    budget = Budget.current()
    budget.max_running_per_member = 100
    for name, value in fields.items():
        setattr(budget, name, value)
    budget.save()
    return budget


def test_batches_never_overshoot_a_small_team_budget(team):
    set_budget(team_monthly_credits=40)  # room for two batches of three (15 each), not three
    outcomes = submit_batches_at_once([(member, 3) for member in team for _ in range(2)])
    assert (outcomes["admitted"], outcomes["refused"]) == (2, 10)
    assert Generation.objects.count() == 6
    assert_every_batch_whole()
    assert Generation.objects.standing(team[0]).team_spent == 30


def test_batches_of_mixed_sizes_fill_the_budget_without_a_part_batch(team):
    set_budget(team_monthly_credits=37)
    sizes = [4, 3, 2, 1, 4, 3, 2, 1, 4, 3, 2, 1]
    outcomes = submit_batches_at_once(list(zip(team * 2, sizes, strict=True)))
    spent = Generation.objects.standing(team[0]).team_spent
    assert spent == 5 * sum(takes * outcomes["admitted", takes] for takes in set(sizes))
    assert spent <= 37
    # What is left only shrinks, so it is less than every refused batch's cost: no batch that
    # fitted was turned away.
    refused = [takes for takes in set(sizes) if outcomes["refused", takes]]
    assert refused and 37 - spent < 5 * min(refused)
    assert outcomes["admitted"] + outcomes["refused"] == len(sizes)
    assert_every_batch_whole()


def test_one_members_batches_at_once_never_pass_their_quota(team):
    set_budget()
    MemberQuota.objects.create(member=team[0], monthly_credits=20)  # one batch of three
    outcomes = submit_batches_at_once([(team[0], 3)] * 5)
    assert (outcomes["admitted"], outcomes["refused"]) == (1, 4)
    assert Generation.objects.count() == 3
    assert_every_batch_whole()


def test_batches_at_once_never_share_the_same_free_slots(team):
    """The in-flight limit refuses a batch only when no slot is free: two batches racing for the
    same free slots cannot both see them free."""
    set_budget(max_running_per_member=2)
    outcomes = submit_batches_at_once([(team[0], 2)] * 4)
    assert (outcomes["admitted"], outcomes["refused"]) == (1, 3)
    assert not Generation.objects.filter(awaits_slot=True).exists()
