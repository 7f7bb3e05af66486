"""Killing the task cluster (SIGKILL) with 50 generations in flight, in every state (waiting,
submitted, processing, storing), loses and duplicates nothing: after a restart all 50 finish, each
submitted to Apiframe once, and each gets its poster. How long recovery took is reported, not
asserted."""

import time

import pytest

from apiframe_simulator import Fault
from tests.reports import database_label, machine_label, publish
from tests.running_studio import RunningStudio

pytestmark = pytest.mark.slow

COUNT = 50
FIRST_WAVE = 30
OWNERS = 25  # two clips each: within the budget's in-flight cap per member
JOB_SECONDS = 10
# The first downloads stall this long, so some clips are being stored when the cluster dies.
SLOW_DOWNLOAD = 8
SLOW_DOWNLOADS = 12
# Some submits of the second wave are told to come back later, so some are still waiting.
RETRY_AFTER = 15
IN_FLIGHT_STATES = ("waiting", "submitted", "processing", "storing")

CREATE = """
from django.contrib.auth.models import User
from generations.models import Generation
from generations.pipeline.tasks import enqueue_submission
for i in range({first}, {last}):
    owner = User.objects.get(username=f"owner{{i % {owners}}}")
    enqueue_submission(Generation.start(owner=owner, prompt_text=f"Restart test clip {{i}}"))
"""


def create(studio: RunningStudio, first: int, last: int) -> None:
    studio.shell(CREATE.format(first=first, last=last, owners=OWNERS))


def wait_for_states(studio: RunningStudio, wanted: tuple[str, ...], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        states = studio.states()
        if all(states.get(state) for state in wanted) or time.monotonic() > deadline:
            return states
        time.sleep(0.2)


def tracker_holder(studio: RunningStudio) -> str | None:
    rows = studio.query("select holder from generations_lease where name = 'tracker'")
    return rows[0][0] if rows else None


def test_killing_the_cluster_mid_flight_loses_and_duplicates_nothing(tmp_path, request):
    studio = RunningStudio(
        tmp_path, job_seconds=JOB_SECONDS, render="cached", extra_env={"EXPECTED_JOB_SECONDS": "4"}
    ).start()
    try:
        studio.add_members([f"owner{i}" for i in range(OWNERS)])
        studio.push_faults("file", [Fault.slow(SLOW_DOWNLOAD).to_json()] * SLOW_DOWNLOADS)
        create(studio, 0, FIRST_WAVE)
        wait_for_states(studio, ("storing",), timeout=90)
        studio.push_faults("submit", [Fault.status(429, retry_after=RETRY_AFTER).to_json()] * 10)
        create(studio, FIRST_WAVE, COUNT)
        at_kill = wait_for_states(studio, IN_FLIGHT_STATES, timeout=30)
        dead_holder = tracker_holder(studio)

        studio.kill_cluster()  # SIGKILL: no cleanup, claims and the tracker lease left behind
        killed_at = time.monotonic()
        time.sleep(1)
        studio.start_cluster()
        restarted_at = time.monotonic()
        while tracker_holder(studio) in (dead_holder, "") and time.monotonic() < killed_at + 150:
            time.sleep(0.25)
        tracking_again_at = time.monotonic()
        rows = studio.wait_until_final(COUNT, timeout=240)
        all_final_at = time.monotonic()

        assert all(at_kill.get(state) for state in IN_FLIGHT_STATES), at_kill
        assert len(rows) == COUNT
        unfinished = [(status, reason) for _, status, reason in rows if status != "completed"]
        assert unfinished == [], studio.log("cluster")[-3000:]
        jobs_per_key = studio.simulator_stats()["jobsByIdempotencyKey"]
        assert {pk: jobs_per_key.get(pk) for pk, _, _ in rows} == {pk: 1 for pk, _, _ in rows}
        assert studio.wait_for_posters() == 0  # posters left pending by the kill are made too
    finally:
        studio.stop()

    in_flight = ", ".join(f"{at_kill.get(state, 0)} {state}" for state in IN_FLIGHT_STATES)
    if done := at_kill.get("completed"):
        in_flight += f"; {done} already completed"
    publish(
        request,
        f"crash-recovery-{database_label().lower()}",
        f"""# Crash recovery ({database_label()})

`{request.node.nodeid}` (part of `make test`), on {machine_label()}.

The task cluster was killed with SIGKILL with {COUNT} generations made ({in_flight}), restarted one second later, and every generation then completed, each submitted to Apiframe once.

| from the SIGKILL to | seconds |
|---|---|
| the restarted cluster's start | {restarted_at - killed_at:.1f} |
| a tracker working again (the dead one's lease taken over) | {tracking_again_at - killed_at:.1f} |
| all {COUNT} generations final | {all_final_at - killed_at:.1f} |
""",
    )
