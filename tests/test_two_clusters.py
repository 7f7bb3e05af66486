"""Two task clusters on one database, as on two machines, share the work and never double it:
each generation is submitted to Apiframe once, and no job is asked about by two workers at once
(the simulator counts requests about one job, or one submit key, that overlap in time)."""

import pytest

from apiframe_simulator import Fault
from tests.running_studio import RunningStudio

pytestmark = pytest.mark.slow

COUNT = 30
OWNERS = 15
# Every submit and check takes this long (well under the client's timeout): a second worker on
# the same generation would overlap the first.
SLOW_ANSWER = 0.3

CREATE = """
from django.contrib.auth.models import User
from generations.models import Generation
from generations.pipeline.tasks import enqueue_submission
for i in range({count}):
    owner = User.objects.get(username=f"owner{{i % {owners}}}")
    enqueue_submission(Generation.start(owner=owner, prompt_text=f"Two clusters, clip {{i}}"))
"""


def test_two_clusters_submit_and_check_each_generation_once(tmp_path):
    studio = RunningStudio(
        tmp_path, job_seconds=3, render="cached", extra_env={"EXPECTED_JOB_SECONDS": "1"}
    ).start(cluster=False)
    try:
        studio.start_cluster("cluster-a")
        studio.start_cluster("cluster-b")
        studio.add_members([f"owner{i}" for i in range(OWNERS)])
        studio.push_faults("submit", [Fault.slow(SLOW_ANSWER).to_json()] * COUNT)
        studio.push_faults("job", [Fault.slow(SLOW_ANSWER).to_json()] * (COUNT * 20))
        studio.shell(CREATE.format(count=COUNT, owners=OWNERS))

        rows = studio.wait_until_final(COUNT, timeout=180)

        assert [(status, reason) for _, status, reason in rows if status != "completed"] == []
        assert len(rows) == COUNT
        jobs_per_key = studio.simulator_stats()["jobsByIdempotencyKey"]
        assert {pk: jobs_per_key.get(pk) for pk, _, _ in rows} == {pk: 1 for pk, _, _ in rows}
        assert studio.simulator_overlaps() == {}
        checks = studio.simulator_stats()["requests"]["job"]
        assert checks >= COUNT  # every job was checked, at least once
        # Both clusters took submissions from the shared queue: the test exercised two.
        for cluster in ("cluster-a", "cluster-b"):
            assert "submit_generation" in studio.log(cluster), f"{cluster} took no submission"
    finally:
        studio.stop()
