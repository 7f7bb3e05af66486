"""The pipeline benchmark's workload, run inside the benchmark's studio (`manage.py shell -c`):
200 generations asked for at once by one member whose in-flight cap is lifted."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_q.tasks import async_task

from generations.models import Budget, Generation
from generations.pipeline.tasks import enqueue_submission

from . import naive

# The gallery's usual mix of sizes (the simulator's cache is warmed for each).
SIZES = [("768p", 6), ("768p", 6), ("768p", 10), ("1080p", 6)]
PROBE_TASK = "time.sleep"


def probe_cluster() -> None:
    """A no-op task: once its record exists, the cluster is up and taking work."""
    async_task(PROBE_TASK, 0, group="probe")


def create(count: int, *, naive_way: bool = False) -> None:
    Budget.current()
    Budget.objects.update(max_running_per_member=count + 10)
    owner = get_user_model().objects.create_user("bench-member")
    for index in range(count):
        resolution, duration = SIZES[index % len(SIZES)]
        generation = Generation.start(
            owner=owner,
            prompt_text=f"Benchmark clip {index}: a lighthouse on a cliff at dusk, slow push-in",
            resolution=resolution,
            duration=duration,
        )
        if naive_way:
            # No tracker will look at it: the naive task does everything itself.
            Generation.objects.filter(pk=generation.pk).update(next_check_at=None)
            async_task(naive.TASK, str(generation.pk), group="naive")
        else:
            enqueue_submission(generation)
