"""The ZIP benchmark: a board's ZIP of 10 and of 500 clips streamed by gunicorn as the Procfile
runs it (one worker, one thread here, so one process serves it all), read over loopback by a
client that keeps nothing. Reported: the worker's peak RSS while it streams (its high-water mark,
reset before each ZIP through /proc/<pid>/clear_refs; sampled as well), how far that is above the
idle worker's, and the stream's throughput.

    python -m tooling.benchmarks.zips seed BYTES SIZE...    run inside the benchmark's studio
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from .figures import Figure
from .gallery import session_cookie
from .processes import Stack

SIZES = (10, 500)
CLIP_BYTES = 2 * 1024 * 1024  # about a 6-second 768p Hailuo clip
MEMBER = "zipper"
MIB = 1024 * 1024
# Memory flat: the 500-clip ZIP's peak may be at most this much above the 10-clip ZIP's.
FLAT_LIMIT_MIB = 16.0
READ_BYTES = 256 * 1024
ROUNDS = 3


def run(folder: Path, *, sizes: tuple[int, ...] = SIZES, clip_bytes: int = CLIP_BYTES):
    stack = Stack(folder)
    stack.prepare()
    seeded = stack.python(
        "-m", "tooling.benchmarks.zips", "seed", str(clip_bytes), *map(str, sizes)
    )
    boards = json.loads(seeded)
    cookie = session_cookie(stack, MEMBER)
    stack.start_web(workers=1, threads=1)
    rounds: dict[int, list[dict]] = {count: [] for count in sizes}
    try:
        worker = worker_pid(stack.processes["web"].pid)
        download(stack, boards["1"], cookie)  # the worker's code and caches, warmed
        for _ in range(ROUNDS):  # in turns, so a change in the machine's load falls on each
            for count in sizes:
                before_cpu = stack.cpu_seconds("web")
                run = measured(stack, worker, boards[str(count)], cookie)
                run["cpu_seconds"] = round(stack.cpu_seconds("web") - before_cpu, 2)
                if run["entries"] != count + 1:
                    raise RuntimeError(f"the {count}-clip ZIP held {run['entries']} files")
                rounds[count].append(run)
    finally:
        stack.stop()
    results = {count: summary(runs) for count, runs in rounds.items()}
    return figures(results, clip_bytes), notes(results, clip_bytes), {"rounds": rounds}


def summary(runs: list[dict]) -> dict:
    """The highest peak of the rounds, their median time and throughput, and their CPU."""
    by_time = sorted(runs, key=lambda run: run["seconds"])
    middle = by_time[len(by_time) // 2]
    highest = max(runs, key=lambda run: run["peak_rss_mib"])
    return {
        **middle,
        "peak_rss_mib": highest["peak_rss_mib"],
        "idle_rss_mib": highest["idle_rss_mib"],
        "peak_above_idle_mib": highest["peak_above_idle_mib"],
        "cpu_seconds": sum(run["cpu_seconds"] for run in runs),
        "bytes_all_rounds": sum(run["bytes"] for run in runs),
    }


def measured(stack: Stack, worker: int, board: int, cookie: str) -> dict:
    idle = status_kib(worker, "VmRSS")
    reset = reset_peak(worker)
    sampler = Sampler(worker)
    sampler.start()
    try:
        result = download(stack, board, cookie)
    finally:
        sampler.stop()
    peak = status_kib(worker, "VmHWM") if reset else 0
    peak = max(peak, sampler.peak)
    return {
        **result,
        "idle_rss_mib": round(idle / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "peak_above_idle_mib": round((peak - idle) / 1024, 1),
        "high_water_mark_reset": reset,
    }


def download(stack: Stack, board: int, cookie: str) -> dict:
    """GET the board's ZIP and read it to the end, keeping only its last bytes (to count the
    files its end-of-central-directory record lists)."""
    tail = b""
    received = 0
    began = time.perf_counter()
    with httpx.stream(
        "GET",
        f"{stack.url}/boards/{board}/download/",
        cookies={"sessionid": cookie},
        timeout=600,
    ) as response:
        if response.status_code != 200:
            raise RuntimeError(f"board {board}'s ZIP answered {response.status_code}")
        first_byte = time.perf_counter() - began
        for chunk in response.iter_raw(READ_BYTES):
            received += len(chunk)
            tail = (tail + chunk)[-65536:]
    seconds = time.perf_counter() - began
    return {
        "bytes": received,
        "seconds": round(seconds, 3),
        "first_byte_seconds": round(first_byte, 3),
        "mb_per_second": round(received / seconds / 1e6, 1),
        "entries": entries(tail),
    }


def entries(tail: bytes) -> int:
    """The number of files the ZIP's end-of-central-directory record says it holds."""
    at = tail.rfind(b"PK\x05\x06")
    return int.from_bytes(tail[at + 10 : at + 12], "little") if at >= 0 else -1


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def reset_peak(pid: int) -> bool:
    """Reset the process's RSS high-water mark to its RSS now (Linux 4.0+, same user)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Sampler(threading.Thread):
    """VmRSS every 10 ms: a second view of the peak, and the only one where clear_refs is shut."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, status_kib(self.pid, "VmRSS"))

    def stop(self) -> None:
        self.done.set()
        self.join()


def figures(results: dict, clip_bytes: int) -> list[Figure]:
    shown = []
    for count, run in results.items():
        part = f"zip: {count} clips"
        shown += [
            Figure(part, "worker peak RSS while streaming", run["peak_rss_mib"], "MiB",
                   note=f"highest of {ROUNDS} rounds; idle worker {run['idle_rss_mib']} MiB"),
            Figure(part, "peak RSS above the idle worker", run["peak_above_idle_mib"], "MiB"),
            Figure(part, "throughput (loopback, one worker thread)", run["mb_per_second"], "MB/s",
                   note=f"median of {ROUNDS}: {run['bytes'] / 1e6:,.0f} MB in {run['seconds']:g} s, "
                   f"first byte after {run['first_byte_seconds'] * 1000:.0f} ms"),
            Figure(part, "gunicorn CPU-seconds per GB sent", per_gb(run["cpu_seconds"],
                   run["bytes_all_rounds"]), "s"),
        ]  # fmt: skip
    small, large = min(results), max(results)
    growth = results[large]["peak_rss_mib"] - results[small]["peak_rss_mib"]
    shown.append(
        Figure(
            f"zip: {large} vs {small} clips",
            "peak RSS difference (memory stays flat)",
            round(growth, 1),
            "MiB",
            limit=FLAT_LIMIT_MIB,
            note=f"{large * clip_bytes / MIB:,.0f} MiB of clips vs {small * clip_bytes / MIB:,.0f}",
        )
    )
    return shown


def per_gb(seconds: float, sent: int) -> float:
    return round(seconds / (sent / 1e9), 2)


def notes(results: dict, clip_bytes: int) -> list[str]:
    return [
        f"A board's ZIP (GET /boards/<id>/download/) of {' and '.join(map(str, results))} clips "
        f"of {clip_bytes / MIB:g} MiB each, on disk (MEDIA_ROOT), streamed by gunicorn with one "
        "worker and one thread and read over loopback by httpx, which keeps nothing.",
        "Peak RSS is the worker's VmHWM, reset to its RSS before each ZIP by writing 5 to "
        "/proc/<pid>/clear_refs, and VmRSS sampled every 10 ms; the larger of the two is shown. "
        "Stored, not deflated: the CPU is the copying and the CRC-32.",
        f"Commit {commit()}.",
    ]


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' with uncommitted changes' if dirty.stdout.strip() else ''}"


# Inside the benchmark's studio ------------------------------------------------------------------


def seed(clip_bytes: int, sizes: list[int]) -> dict[str, int]:
    """A member, finished clips of `clip_bytes` each, and a board of the first 1 and of the
    first SIZE of them for each size; returns the boards' ids by size."""
    import os
    import uuid
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from generations.models import Board, Generation, Prompt

    member = get_user_model().objects.create_user(MEMBER, password=uuid.uuid4().hex)
    clips = Path(settings.MEDIA_ROOT) / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    body = os.urandom(clip_bytes)
    now = timezone.now()
    made = []
    for n in range(max(sizes)):
        pk = uuid.uuid4()
        (clips / f"{pk}.mp4").write_bytes(pk.bytes + body[16:])
        prompt = Prompt.record_use(f"Benchmark clip {n}: a lighthouse in a storm", member)
        made.append(
            Generation(
                id=pk,
                owner=member,
                prompt=prompt,
                status="completed",
                video=f"clips/{pk}.mp4",
                progress=100,
                created_at=now - timedelta(seconds=n),
                settled_at=now,
                credit_cost=5,
                job_id=str(uuid.uuid4()),
            )
        )
    Generation.objects.bulk_create(made)
    boards = {}
    for size in sorted({1, *sizes}):
        board = Board.make(name=f"ZIP of {size}", by=member)
        board.add([clip.pk for clip in made[:size]], by=member)
        boards[str(size)] = board.pk
    return boards


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1:2] != ["seed"]:
        raise SystemExit(__doc__)
    print(json.dumps(seed(int(sys.argv[2]), [int(size) for size in sys.argv[3:]])))
