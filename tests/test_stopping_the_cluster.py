"""SIGTERM stops a task cluster within seconds, even with its tracker loop mid-run, whether it is
sent to the whole process group (honcho, systemd) or to the cluster's main process alone (`kill`,
supervisord); the cluster started next takes the tracker over at once."""

import os
import signal
import subprocess
import time

import pytest

from tests.running_studio import RunningStudio

pytestmark = pytest.mark.slow

STOPPED_WITHIN = 10.0

MAKE_A_CLIP = """
from django.contrib.auth.models import User
from generations.models import Generation
from generations.pipeline.tasks import enqueue_submission
enqueue_submission(Generation.start(owner=User.objects.get(username="alice"),
                                    prompt_text="A lighthouse at dusk, waves below"))
"""


def tracker_holder(studio: RunningStudio) -> str:
    rows = studio.query("select holder from generations_lease where name = 'tracker'")
    return rows[0][0] if rows else ""


def wait_until_a_loop_tracks(studio: RunningStudio, timeout: float) -> str:
    """The holder of the tracker lease once a running loop (not a queued task) holds it."""
    deadline = time.monotonic() + timeout
    while True:
        holder = tracker_holder(studio)
        if holder and not holder.startswith("queued-") and studio.states().get("submitted"):
            return holder
        assert time.monotonic() < deadline, (holder, studio.states(), studio.log("cluster"))
        time.sleep(0.2)


def send_sigterm(cluster: subprocess.Popen, to: str) -> None:
    if to == "the whole group":
        os.killpg(cluster.pid, signal.SIGTERM)
    else:
        os.kill(cluster.pid, signal.SIGTERM)


@pytest.mark.parametrize("to", ["the whole group", "the main process alone"])
def test_sigterm_stops_the_cluster_in_seconds_and_the_next_one_carries_on(tmp_path, to):
    # 30-second jobs: the tracker loop is busy for the whole test unless told to stop.
    studio = RunningStudio(tmp_path, job_seconds=30, render="cached").start()
    try:
        studio.add_member("alice")
        studio.shell(MAKE_A_CLIP)
        stopped_loop = wait_until_a_loop_tracks(studio, timeout=30)

        cluster = studio.processes.pop("cluster")
        send_sigterm(cluster, to)
        sent_at = time.monotonic()
        exit_code = cluster.wait(timeout=STOPPED_WITHIN + 20)
        stopped_in = time.monotonic() - sent_at

        assert (exit_code, stopped_in < STOPPED_WITHIN) == (0, True), studio.log("cluster")
        assert "has stopped" in studio.log("cluster")
        # Let go, not left to expire: the next tracker is queued for the next cluster.
        assert tracker_holder(studio).startswith("queued-")
        assert studio.query("select lease_token from generations_generation") == [("",)]

        studio.start_cluster("next-cluster")
        next_loop = wait_until_a_loop_tracks(studio, timeout=15)
        assert next_loop != stopped_loop
    finally:
        studio.stop()
