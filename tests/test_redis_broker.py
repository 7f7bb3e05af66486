"""With REDIS_URL set, the task queue is Redis: submissions queued while no cluster runs wait in
Redis (the database's queue table stays empty), and a cluster started later takes them from
there and makes every clip, each submitted once."""

import pytest

from tests.running_studio import RunningStudio
from tests.services import require_redis

pytestmark = pytest.mark.slow

COUNT = 6

CREATE = """
from django.contrib.auth.models import User
from generations.models import Generation
from generations.pipeline.tasks import enqueue_submission
for i in range({count}):
    owner = User.objects.create_user(f"redis-member{{i}}")
    enqueue_submission(Generation.start(owner=owner, prompt_text=f"Through Redis, clip {{i}}"))
"""
SUBMIT_TASK = "generations.pipeline.tasks.submit_generation"


def test_submissions_travel_through_redis_to_a_cluster(tmp_path):
    redis_url = require_redis()
    studio = RunningStudio(tmp_path, job_seconds=2, render="cached", redis_url=redis_url)
    studio.start(cluster=False)
    try:
        studio.shell(CREATE.format(count=COUNT))

        assert studio.redis().llen(studio.redis_queue_key) == COUNT
        assert studio.query("select count(*) from django_q_ormq") == [(0,)]

        studio.start_cluster()
        rows = studio.wait_until_final(COUNT, timeout=120)

        assert [status for _, status, _ in rows] == ["completed"] * COUNT
        jobs_per_key = studio.simulator_stats()["jobsByIdempotencyKey"]
        assert {pk: jobs_per_key.get(pk) for pk, _, _ in rows} == {pk: 1 for pk, _, _ in rows}
        ran = studio.query(
            f"select count(*) from django_q_task where func = '{SUBMIT_TASK}' and success"
        )
        assert ran == [(COUNT,)]
        # The tracker's tasks went through Redis too: nothing ever used the database's queue.
        assert studio.query("select count(*) from django_q_ormq") == [(0,)]
    finally:
        studio.stop()
