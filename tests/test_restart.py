"""Stopping the task cluster at any moment loses nothing: every generation still finishes, once."""

import time
import uuid

import pytest

from tests.running_studio import RunningStudio

pytestmark = pytest.mark.slow

CREATE = """
from django.contrib.auth.models import User
from generations.models import Budget, Generation
from generations.pipeline.tasks import enqueue_submission
Budget.objects.update_or_create(pk=1, defaults={{"max_running_per_member": 100}})
owner = User.objects.create_user("crash-tester")
for i in range({count}):
    enqueue_submission(Generation.start(owner=owner, prompt_text=f"Restart test clip {{i}}"))
"""
FINAL = ("completed", "failed", "cancelled")


def test_killing_the_cluster_mid_flight_loses_and_duplicates_nothing(tmp_path):
    studio = RunningStudio(tmp_path, job_seconds=4, extra_env={"EXPECTED_JOB_SECONDS": "4"}).start()
    try:
        studio.manage("shell", "-c", CREATE.format(count=10))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = dict(
                studio.query("select status, count(*) from generations_generation group by 1")
            )
            if states.get("submitted", 0) + states.get("processing", 0) >= 3:
                break
            time.sleep(0.2)
        studio.kill_cluster()  # SIGKILL: no cleanup, claims and the tracker lease left behind
        time.sleep(1)
        studio.start_cluster()

        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            rows = studio.query("select id, status, failure_reason from generations_generation")
            if all(status in FINAL for _, status, _ in rows):
                break
            time.sleep(1)
        assert [(s, r) for _, s, r in rows if s != "completed"] == [], studio.log("cluster")[-3000:]
        jobs_per_key = studio.simulator_stats()["jobsByIdempotencyKey"]
        assert len(rows) == 10
        for generation_id, _, _ in rows:
            key = str(uuid.UUID(generation_id))
            assert jobs_per_key.get(key) == 1, (key, jobs_per_key)
    finally:
        studio.stop()
