"""The team-wide mark that Apiframe refuses clips without a first frame: set by a refusal, cleared
by a text-only success, and, once a day old, lifted for exactly one text-only try."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from generations.models import FirstFrameRequirement
from generations.models.first_frame_requirements import RETRY_TEXT_ONLY_AFTER

pytestmark = pytest.mark.django_db


def refused_ago(age: timedelta) -> None:
    FirstFrameRequirement.record_refusal()
    FirstFrameRequirement.objects.update(refused_at=timezone.now() - age)


def test_without_a_refusal_text_only_clips_go_through():
    assert not FirstFrameRequirement.current().stands()
    assert FirstFrameRequirement.admit_text_only()
    assert FirstFrameRequirement.admit_text_only()
    assert not FirstFrameRequirement.objects.exists()  # reading the mark writes nothing


def test_a_refusal_stands_for_a_day_and_keeps_text_only_clips_out():
    FirstFrameRequirement.record_refusal()

    assert FirstFrameRequirement.current().stands()
    assert not FirstFrameRequirement.admit_text_only()


def test_a_second_refusal_keeps_one_row():
    FirstFrameRequirement.record_refusal()
    FirstFrameRequirement.record_refusal()

    assert FirstFrameRequirement.objects.count() == 1


def test_a_day_later_one_text_only_clip_is_let_through_then_the_mark_stands_again():
    refused_ago(RETRY_TEXT_ONLY_AFTER + timedelta(minutes=1))
    assert not FirstFrameRequirement.current().stands()

    assert FirstFrameRequirement.admit_text_only()
    assert not FirstFrameRequirement.admit_text_only()
    assert FirstFrameRequirement.current().stands()


def test_the_try_let_through_gets_another_after_a_day_without_an_answer():
    refused_ago(3 * RETRY_TEXT_ONLY_AFTER)
    assert FirstFrameRequirement.admit_text_only()
    FirstFrameRequirement.objects.update(retried_at=timezone.now() - RETRY_TEXT_ONLY_AFTER)

    assert FirstFrameRequirement.admit_text_only()


def test_a_text_only_success_clears_the_mark():
    FirstFrameRequirement.record_refusal()

    FirstFrameRequirement.record_text_only_success()

    requirement = FirstFrameRequirement.current()
    assert (requirement.refused_at, requirement.retried_at, requirement.stands()) == (
        None,
        None,
        False,
    )
    assert FirstFrameRequirement.admit_text_only()


def test_a_refusal_after_the_try_starts_a_fresh_day():
    refused_ago(2 * RETRY_TEXT_ONLY_AFTER)
    FirstFrameRequirement.admit_text_only()

    FirstFrameRequirement.record_refusal()

    requirement = FirstFrameRequirement.current()
    assert requirement.retried_at is None
    assert timezone.now() - requirement.refused_at < timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_members_asking_at_the_same_moment_get_one_try_between_them():
    refused_ago(2 * RETRY_TEXT_ONLY_AFTER)
    start, admitted = threading.Barrier(6), []

    def ask() -> None:
        try:
            start.wait()
            admitted.append(FirstFrameRequirement.admit_text_only())
        finally:
            close_old_connections()

    members = [threading.Thread(target=ask) for _ in range(6)]
    for member in members:
        member.start()
    for member in members:
        member.join(30)

    assert sorted(admitted) == [False] * 5 + [True]
