"""Making a reel: its own django-q2 task (group "reels"), never a step of the tracker loop.

One rule keeps stitching from crowding out the clips: one reel is made at a time, by whichever
task holds the "reel stitcher" lease, so of the cluster's workers (Q_CLUSTER, 4) stitching holds
at most one for long, and ffmpeg runs at the lowest CPU priority (generations/stitching.py).

- `request_making` (the Make reel button) queues the reel and a task for it (`enqueue_reel`).
- `make_reel`, that task, takes the stitcher lease (or stands aside at once: the holder queues the
  next waiting reel when it is done), claims the reel (Reel.claim), downloads each shot's MP4
  through the storage API into a temporary folder, joins them, saves the result through the
  storage API and records it (Reel.finish). A heartbeat thread renews both leases; if the reel's
  claim is lost (an edit asked for it again, or it was deleted), ffmpeg is stopped and nothing is
  recorded.
- A cluster killed mid-way stops renewing: both leases expire, and `resume_reels` (the once-a-
  minute schedule, and every task as it ends) queues the task again, which claims the reel anew
  and starts over from the shots. A half-written file never leaves its temporary folder, and the
  next attempt on this machine removes what a killed one left there.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django_q.tasks import async_task

from .. import stitching
from ..models import Generation, Lease, Reel
from ..models.reels import ReelState, Shot

log = logging.getLogger(__name__)

MAKE_REEL_TASK = "generations.pipeline.tasks.make_reel"
STITCHER = "reel stitcher"
# A killed maker's leases expire this long after its last renewal; it renews five times as often.
LEASE_SECONDS = 20.0
HEARTBEAT_SECONDS = 4.0
# One reel's task may run this long (the cluster's own timeout, 120 s, is the tracker's); ffmpeg
# is stopped a little before, so the reel fails in words rather than with a killed worker.
TASK_TIMEOUT_SECONDS = 25 * 60
STITCH_DEADLINE_SECONDS = 20 * 60
CHUNK_BYTES = 1024 * 1024

GAVE_UP = (
    "making it was cut short again and again for an hour (the task cluster stopped or "
    "restarted each time). Press Make reel to try once more."
)


def enqueue_reel(reel: Reel) -> None:
    """Queue the task once the transaction that asked for the reel has committed."""
    reel_id = reel.pk
    transaction.on_commit(lambda: queue_reel(reel_id))


def queue_reel(reel_id: int) -> None:
    async_task(MAKE_REEL_TASK, reel_id, group="reels", timeout=TASK_TIMEOUT_SECONDS)


def resume_reels() -> str:
    """Queue a task for the reel waiting longest (queued, or left by a maker whose lease ran
    out), unless a reel is being made now; fail those cut short for too long. Cheap: a query or
    two when nothing waits."""
    Reel.objects.abandoned().update(
        state=ReelState.FAILED, error=GAVE_UP, progress=0, lease_token="", lease_until=None
    )
    if Lease.is_held(STITCHER):
        return "a reel is being made"
    waiting = (
        Reel.objects.to_resume().order_by("requested_at", "pk").values_list("pk", flat=True).first()
    )
    if waiting is None:
        return "no reel is waiting"
    queue_reel(waiting)
    return "queued"


def make_reel(reel_id: int) -> str:
    """Make the reel, unless another reel is being made (its task makes this one next)."""
    token = uuid.uuid4().hex
    if not Lease.acquire(STITCHER, token, seconds=LEASE_SECONDS):
        return "another reel is being made"
    try:
        reel = Reel.objects.filter(pk=reel_id).first()
        shots = reel.claim(token, lease_seconds=LEASE_SECONDS) if reel else None
        if reel is None or shots is None:
            return "not waiting to be made"
        return make_claimed(reel, token, shots)
    finally:
        Lease.release(STITCHER, token)
        resume_reels()  # the next reel waiting, if any


def make_claimed(reel: Reel, token: str, shots: list[Shot]) -> str:
    """Stitch the claimed version's shots and record the file (or why not, in words)."""
    if not shots:
        reel.fail(token, "Add shots first: a reel with no shots has nothing to make.")
        return "failed"
    for shot in shots:
        if problem := shot.problem():
            reel.fail(token, f"Shot {shot.position} (“{shot.short_prompt}”) {problem}")
            return "failed"
    workdir = fresh_workdir(reel.pk, token)
    lost = threading.Event()
    try:
        with kept_alive(reel, token, lost):
            return stitch_and_save(reel, token, shots, workdir, lost)
    except stitching.Stopped:
        log.info("Reel %s: the claim went elsewhere; stopped", reel.pk)
        return "stopped: the reel was asked for again or deleted"
    except stitching.StitchError as error:
        log.warning("Reel %s could not be made: %s", reel.pk, error)
        reel.fail(token, str(error).rstrip(".") + ".")
        return "failed"
    except Exception as error:  # a storage or a database fault: said, not retried for ever
        log.exception("Reel %s could not be made", reel.pk)
        reel.fail(token, f"the studio could not make it ({type(error).__name__}). Try again.")
        return "failed"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def stitch_and_save(
    reel: Reel, token: str, shots: list[Shot], workdir: Path, lost: threading.Event
) -> str:
    paths = [download(shot, workdir, lost) for shot in shots]
    formats = []
    for shot, path in zip(shots, paths, strict=True):
        try:
            formats.append(stitching.probe(path))
        except stitching.StitchError as error:
            raise stitching.StitchError(
                f"Shot {shot.position} (“{shot.short_prompt}”) cannot be read: {error}"
            ) from None
    made = workdir / "reel.mp4"

    def progress(fraction: float) -> None:
        if not reel.record_progress(token, int(fraction * 99)):
            lost.set()

    method = stitching.stitch(
        paths,
        made,
        formats=formats,
        on_progress=progress,
        should_stop=lost.is_set,
        deadline_seconds=STITCH_DEADLINE_SECONDS,
    )
    result = stitching.probe(made)
    if lost.is_set():
        raise stitching.Stopped("the reel's claim is gone")
    with made.open("rb") as content:
        name = default_storage.save(
            reel.file_name(reel.made_version or reel.version), File(content)
        )
    clips = [shot.generation_id for shot in shots]
    recorded = reel.finish(
        token,
        name=name,
        duration=result.duration,
        width=result.width,
        height=result.height,
        method=method,
        clips=clips,
    )
    if recorded:
        log.info("Reel %s made by %s as %s", reel.pk, method, name)
        return f"made by {method}"
    default_storage.delete(name)  # nobody holds it
    if not reel.is_claimed_by(token):
        raise stitching.Stopped("the reel's claim is gone")
    gone = next(s for s in shots if s.generation_id in deleted_clips(clips))
    reel.fail(
        token,
        f"Shot {gone.position} (“{gone.short_prompt}”) was deleted while the reel was being made. "
        "Remove the shot, then make the reel.",
    )
    return "failed"


def deleted_clips(clips: list) -> set:
    return set(
        Generation.objects.filter(pk__in=clips, deleted_at__isnull=False).values_list(
            "pk", flat=True
        )
    )


def download(shot: Shot, workdir: Path, lost: threading.Event) -> Path:
    """The shot's MP4, streamed from the storage (a disk or a bucket) into the work folder."""
    path = workdir / f"shot-{shot.position:03d}.mp4"
    name = shot.generation.video.name or ""  # a finished clip's (Shot.problem checked)
    try:
        with (
            default_storage.open(name, "rb") as source,
            path.open("wb") as out,
        ):
            while chunk := source.read(CHUNK_BYTES):
                if lost.is_set():
                    raise stitching.Stopped("the reel's claim is gone")
                out.write(chunk)
    except (OSError, ValueError) as error:
        raise stitching.StitchError(
            f"Shot {shot.position} (“{shot.short_prompt}”) could not be read from the studio's "
            f"storage ({type(error).__name__})"
        ) from error
    return path


def work_root() -> Path:
    """Where this studio's attempts work: a folder per database, so two studios on one machine
    (or two test runs) never clear each other's."""
    database = connection.settings_dict
    key = f"{database['ENGINE']} {database.get('HOST')} {database.get('PORT')} {database['NAME']}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"hailuo-reels-{digest}"


def fresh_workdir(reel_id: int, token: str) -> Path:
    """A folder of this attempt's own; what a killed attempt at this reel left is removed."""
    root = work_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for leftover in root.glob(f"reel-{reel_id}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    workdir = root / f"reel-{reel_id}-{token}"
    workdir.mkdir(mode=0o700)
    return workdir


@contextlib.contextmanager
def kept_alive(reel: Reel, token: str, lost: threading.Event) -> Iterator[None]:
    """Renew the reel's claim and the stitcher lease from a background thread while the block
    runs; `lost` is set once the claim is no longer ours."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                try:
                    if not reel.renew(token, lease_seconds=LEASE_SECONDS):
                        lost.set()
                    Lease.acquire(STITCHER, token, seconds=LEASE_SECONDS)
                except DatabaseError:
                    log.warning("Could not renew the reel's claim; retrying", exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name="reel-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
