"""Stitching is crash-safe: a worker killed (SIGKILL) while ffmpeg runs leaves the reel being
made under a lease that expires, no ffmpeg running and no file stored; the resume path (the
once-a-minute schedule) queues the task again, which starts over from the shots and ends READY
with a correct file. A maker whose claim went to another (expired, or superseded by a new press)
can neither record progress nor finish over the new one."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from generations import stitching
from generations.models import Lease
from generations.models.reels import Reel, ReelState
from generations.pipeline import reels as making
from generations.pipeline import tasks
from tests.reel_clips import stored_clip
from tests.test_reel_stitching import FRAME, decoded

pytestmark = pytest.mark.django_db(transaction=True)

RUN_TASK = "import django; django.setup(); from generations.pipeline.tasks import make_reel; make_reel({id})"


def database_url() -> str:
    """The test database, as the task's own process is told it (a cluster would read it)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_task_process(reel: Reel) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hailuo_site.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-c", RUN_TASK.format(id=reel.pk)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def ffmpeg_running_in(folder: str) -> bool:
    for proc in Path("/proc").iterdir():
        try:
            if folder in (proc / "cmdline").read_bytes().decode(errors="replace"):
                return True
        except OSError:
            continue
    return False


def expire_leases(reel: Reel) -> None:
    """What LEASE_SECONDS without a renewal does (rather than waiting for it)."""
    past = timezone.now() - timedelta(seconds=1)
    Reel.objects.filter(pk=reel.pk).update(lease_until=past)
    Lease.objects.filter(name=making.STITCHER).update(until=past)


@pytest.fixture
def long_reel(alice, make_generation) -> Reel:
    """Four 5-second shots of two sizes: a re-encode of 20 seconds, long enough to kill."""
    sizes = [(1366, 768), (768, 1366), (1366, 768), (768, 1366)]
    clips = [
        stored_clip(make_generation, alice, f"Shot {n}", size=size, seconds=5.0)
        for n, size in enumerate(sizes)
    ]
    reel = Reel.make(name="Killed mid-way", by=alice)
    reel.add([clip.pk for clip in clips], by=alice)
    reel.request_making()
    return reel


def test_a_stitch_killed_mid_way_is_resumed_and_ends_ready(long_reel):
    reel = long_reel
    worker = start_task_process(reel)
    deadline = time.monotonic() + 120
    try:
        while True:
            reel.refresh_from_db()
            if reel.state == ReelState.MAKING and reel.progress > 0:
                break  # ffmpeg is running and has reported
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, (reel.state, reel.progress)
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stderr.close()

    dead_token = reel.lease_token
    leftover = making.work_root() / f"reel-{reel.pk}-{dead_token}"
    assert (leftover / "reel.mp4").exists()  # half-written, and never stored
    until = time.monotonic() + 10
    while ffmpeg_running_in(str(leftover)):
        assert time.monotonic() < until, "ffmpeg outlived the worker that started it"
        time.sleep(0.1)
    reel.refresh_from_db()
    assert reel.state == ReelState.MAKING and 0 < reel.progress < 100 and not reel.file

    # Until its leases expire the dead maker still counts: nothing is queued twice.
    assert tasks.resume_reels() == "a reel is being made"
    expire_leases(reel)
    queued = OrmQ.objects.count()
    assert tasks.resume_reels() == "queued"
    assert OrmQ.objects.count() == queued + 1
    assert OrmQ.objects.order_by("-id").first().func() == making.MAKE_REEL_TASK

    assert tasks.make_reel(reel.pk) == f"made by {stitching.REENCODE}"  # what the cluster runs
    reel.refresh_from_db()
    assert reel.state == ReelState.READY and not reel.lease_token and reel.shows_file
    assert reel.duration == pytest.approx(20.0, abs=FRAME)
    frames, _, _ = decoded(reel.file.name)
    assert frames == 480
    assert not leftover.exists()  # the new attempt cleared what the killed one left


def test_a_maker_whose_lease_was_taken_over_cannot_finish_over_the_new_one(alice, make_generation):
    clip = make_generation(alice, "A lighthouse", "completed")
    reel = Reel.make(name="Two makers", by=alice)
    reel.add([clip.pk], by=alice)
    reel.request_making()
    assert reel.claim("a" * 32, lease_seconds=30) is not None
    assert reel.claim("b" * 32, lease_seconds=30) is None  # a live lease is not taken
    expire_leases(reel)
    assert reel.claim("b" * 32, lease_seconds=30) is not None

    old = Reel.objects.get(pk=reel.pk)
    facts = {"duration": 6.0, "width": 1366, "height": 768, "method": "copy", "clips": [clip.pk]}
    assert not old.renew("a" * 32, lease_seconds=30)
    assert not old.record_progress("a" * 32, 50)
    assert not old.finish("a" * 32, name="reels/stale.mp4", **facts)
    assert not old.fail("a" * 32, "the old maker gave up")
    reel.refresh_from_db()
    assert reel.state == ReelState.MAKING and reel.lease_token == "b" * 32 and not reel.file
    assert reel.finish("b" * 32, name="reels/new.mp4", **facts)
    reel.refresh_from_db()
    assert reel.state == ReelState.READY and reel.file.name == "reels/new.mp4"


def test_a_maker_superseded_by_a_new_press_stops_and_the_next_makes_it(
    alice, make_generation, monkeypatch
):
    clips = [stored_clip(make_generation, alice, f"Shot {n}", seconds=1.0) for n in range(3)]
    reel = Reel.make(name="Pressed again", by=alice)
    reel.add([clip.pk for clip in clips[:2]], by=alice)
    reel.request_making()
    run = stitching.run_with_progress

    def pressed_again_meanwhile(*args, **kwargs):
        edited = Reel.objects.get(pk=reel.pk)
        edited.add([clips[2].pk], by=alice)
        edited.request_making()  # while the first maker runs: it loses its claim
        return run(*args, **kwargs)

    monkeypatch.setattr(stitching, "run_with_progress", pressed_again_meanwhile)
    assert making.make_reel(reel.pk).startswith("stopped")
    reel.refresh_from_db()
    assert reel.state == ReelState.QUEUED and not reel.file  # nothing of the old version
    monkeypatch.setattr(stitching, "run_with_progress", run)
    assert making.make_reel(reel.pk) == "made by copy"
    reel.refresh_from_db()
    assert reel.state == ReelState.READY and not reel.is_stale
    assert reel.duration == pytest.approx(3.0, abs=FRAME)


def test_only_one_reel_is_made_at_a_time_and_the_next_follows(alice, make_generation):
    first, second = (Reel.make(name=name, by=alice) for name in ("First", "Second"))
    for reel in (first, second):
        reel.add([stored_clip(make_generation, alice, f"{reel.name} shot").pk], by=alice)
        reel.request_making()
    assert Lease.acquire(making.STITCHER, "someone-else", seconds=30)
    assert making.make_reel(second.pk) == "another reel is being made"
    assert tasks.resume_reels() == "a reel is being made"
    Lease.release(making.STITCHER, "someone-else")
    queued = OrmQ.objects.count()
    assert making.make_reel(first.pk) == "made by copy"
    # As it ends, the task queues the reel waiting next.
    assert OrmQ.objects.count() == queued + 1
    assert OrmQ.objects.order_by("-id").first().args() == (second.pk,)


def test_the_schedule_resumes_reels_every_minute():
    tasks.install_schedule()
    schedule = Schedule.objects.get(func=tasks.RESUME_REELS_TASK)
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        1,
        -1,
    )
    assert tasks.resume_reels() == "no reel is waiting"


def test_a_reel_cut_short_for_an_hour_fails_in_words(alice, make_generation):
    clip = make_generation(alice, "A lighthouse", "completed")
    reel = Reel.make(name="Unlucky", by=alice)
    reel.add([clip.pk], by=alice)
    reel.request_making()
    reel.claim("c" * 32, lease_seconds=30)
    Reel.objects.filter(pk=reel.pk).update(requested_at=timezone.now() - timedelta(hours=2))
    expire_leases(reel)
    assert reel.claim("d" * 32, lease_seconds=30) is None
    tasks.resume_reels()
    reel.refresh_from_db()
    assert reel.state == ReelState.FAILED and "cut short again and again" in reel.error
