"""The submit-to-playable benchmark's team, made inside its studio (`manage.py shell -c`): the
author and the teammate who log in through the browser, and a member whose earlier clips teach
the studio how long a clip takes, as a team's history would."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from generations.models import Budget, Generation
from generations.pipeline.tasks import enqueue_submission


def make_team(usernames: list[str], password: str, *, in_flight: int) -> None:
    Budget.current()
    # The concurrent round has more clips in flight than the default cap of 3.
    Budget.objects.update(max_running_per_member=in_flight)
    for username in usernames:
        get_user_model().objects.create_user(username, password=password)


def earlier_clips(username: str, count: int) -> None:
    owner = get_user_model().objects.get(username=username)
    for index in range(count):
        generation = Generation.start(
            owner=owner,
            prompt_text=f"An earlier clip {index}: rain on a tin roof, close-up",
            resolution="768p",
            duration=6,
        )
        enqueue_submission(generation)
