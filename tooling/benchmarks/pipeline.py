"""The pipeline benchmark: 200 generations at once against the simulator over real HTTP, on a real
django-q2 cluster (ORM broker, 4 workers) and gunicorn, each way in a fresh studio folder:
polling only, with webhooks, and the naive one-worker-per-job way for comparison."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from picklefield.fields import dbsafe_decode

from apiframe_simulator.clips import ClipMaker, ClipOrder

from . import naive, workload
from .apps import BUSY_FILE
from .pipeline_metrics import (
    GenerationRow,
    TaskRow,
    busy_seconds,
    projected_naive_makespan,
    summarize,
)
from .processes import Stack

MODES = ("polling", "webhooks", "naive")
WORKERS = 4
FINAL = ("completed", "failed", "cancelled")
# Past this the product's ways have clearly missed their target; the run is reported as it is.
PRODUCT_TIMEOUT_SECONDS = 150.0
PROBE = f"'{workload.PROBE_TASK}'"


def run(folder: Path, *, count: int, job_seconds: float, naive_cap: float, modes=MODES) -> dict:
    simulator = Stack(folder / "simulator")
    data_dir = folder / "simulator" / "data"
    warm_clip_cache(data_dir / "cache")
    simulator.start_simulator(job_seconds=job_seconds, data_dir=data_dir)
    runs = {}
    try:
        for mode in modes:
            runs[mode] = run_mode(
                folder / mode, mode, simulator, count=count, job_seconds=job_seconds,
                naive_cap=naive_cap,
            )  # fmt: skip
    finally:
        simulator.stop()
    return runs


def warm_clip_cache(cache_dir: Path, sizes=workload.SIZES) -> None:
    """Render each size's clip into the simulator's cache first, so no job waits for ffmpeg."""
    done = threading.Semaphore(0)
    maker = ClipMaker("cached", cache_dir, lambda job_id, error: done.release())
    maker.start()
    sizes = sorted(set(sizes))
    for resolution, duration in sizes:
        maker.schedule(
            ClipOrder(
                job_id=f"warm-{resolution}-{duration}",
                destination=cache_dir.parent / f"warm-{resolution}-{duration}.mp4",
                prompt="Benchmark warm-up",
                height=1080 if resolution == "1080p" else 768,
                duration=duration,
                image=None,
            )
        )
    for _ in sizes:
        done.acquire(timeout=120)
    maker.stop()


def run_mode(
    folder: Path, mode: str, simulator: Stack, *, count: int, job_seconds: float,
    naive_cap: float,
) -> dict:  # fmt: skip
    stack = Stack(folder, simulator_port=simulator.simulator_port, Q_WORKERS=str(WORKERS))
    if mode == "webhooks":
        stack.env["PUBLIC_URL"] = stack.url  # the simulator posts to gunicorn's /webhooks/apiframe/
    stack.prepare()
    if mode == "naive":
        stack.execute("DELETE FROM django_q_schedule")  # no tracker at all
    simulator_call("POST", simulator, "/_simulator/reset")
    try:
        stack.start_web()
        stack.start_cluster()
        stack.manage(
            "shell", "-c", "from tooling.benchmarks import workload as w; w.probe_cluster()"
        )
        wait_until(lambda: stack.query(f"SELECT 1 FROM django_q_task WHERE func = {PROBE}"), 60)
        cpu_before = cpu_seconds(stack, simulator)
        stack.manage(
            "shell", "-c",
            f"from tooling.benchmarks import workload as w; w.create({count}, naive_way={mode == 'naive'})",
        )  # fmt: skip
        capped = wait_for_generations(stack, mode, count, naive_cap)
        wait_until(lambda: quiet(stack), 60)
        cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(stack, simulator).items()}
        stats = simulator_call("GET", simulator, "/_simulator/stats")
        rows = generation_rows(stack)
        completed = completion_times(simulator, rows)
        tasks = task_rows(stack)
        executing = [t for t in busy_seconds(read_lines(stack.folder / BUSY_FILE))
                     if t.func != workload.PROBE_TASK]  # fmt: skip
    finally:
        stack.stop()
    per = stats["jobs"] if mode == "naive" else len(rows)
    result = summarize(rows, completed, stats["requests"], tasks, per=per, executing=executing)
    result["capped_at_s"] = capped
    result["cpu_seconds"] = {name: round(value, 1) for name, value in cpu.items()}
    result["jobs_per_idempotency_key_max"] = max(stats["jobsByIdempotencyKey"].values(), default=0)
    if mode == "naive":
        result["projected_makespan_s"] = projected_naive_makespan(executing, count, WORKERS)
    return result


def cpu_seconds(stack: Stack, simulator: Stack) -> dict[str, float]:
    return {
        "cluster": stack.cpu_seconds("cluster"),
        "web": stack.cpu_seconds("web"),
        "simulator": simulator.cpu_seconds("simulator"),
    }


def wait_for_generations(stack: Stack, mode: str, count: int, naive_cap: float) -> float | None:
    """Until every generation is final; the naive way stops starting new ones after `naive_cap`
    seconds (it would take many minutes), and the ones it started are waited for. Returns the cap
    if it was applied."""
    final = ", ".join(f"'{status}'" for status in FINAL)
    done_sql = f"SELECT COUNT(*) FROM generations_generation WHERE status IN ({final})"
    timeout = (naive_cap or 3600.0) if mode == "naive" else PRODUCT_TIMEOUT_SECONDS
    reached = wait_until(lambda: stack.query(done_sql)[0][0] >= count, timeout)
    if reached or mode != "naive":
        return None
    stack.execute("UPDATE generations_generation SET status = 'cancelled' WHERE status = 'waiting'")
    wait_until(lambda: stack.query(done_sql)[0][0] >= count, 120)
    return naive_cap


def quiet(stack: Stack) -> bool:
    """No task queued or running, and no tracker loop holding its lease."""
    queued = stack.query("SELECT COUNT(*) FROM django_q_ormq")[0][0]
    held = stack.query(
        "SELECT COUNT(*) FROM generations_lease WHERE until >= ?", sqlite_now()
    )[0][0]  # fmt: skip
    return queued == 0 and held == 0


def wait_until(condition, timeout: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def generation_rows(stack: Stack) -> list[GenerationRow]:
    return [
        GenerationRow(id=pk, job_id=job_id, status=status, created_at=parse_time(created),
                      stored_at=parse_time(stored) if stored else None,
                      poster_at=parse_time(updated) if poster else None)
        for pk, job_id, status, created, stored, updated, poster in stack.query(
            "SELECT id, job_id, status, created_at, stored_at, updated_at, poster "
            "FROM generations_generation")
    ]  # fmt: skip


def task_rows(stack: Stack) -> list[TaskRow]:
    """django-q2's records of the run's tasks (the start-up probe, and the naive tasks that only
    found their generation cancelled after the cap, left out)."""
    return [
        TaskRow(func=func, started=parse_time(started), stopped=parse_time(stopped))
        for func, started, stopped, result in stack.query(
            f"SELECT func, started, stopped, result FROM django_q_task WHERE func != {PROBE}")
        if not (func == naive.TASK and result and dbsafe_decode(result) == naive.SKIPPED)
    ]  # fmt: skip


def completion_times(simulator: Stack, rows: list[GenerationRow]) -> dict[str, datetime]:
    """The simulator's completedAt per job (asked after its request counts were taken)."""
    times = {}
    with simulator_client(simulator) as client:
        for row in rows:
            if not row.job_id:
                continue
            completed = client.get(f"/v2/jobs/{row.job_id}").json().get("completedAt")
            if completed:
                times[row.job_id] = parse_time(completed)
    return times


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def simulator_client(simulator: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=simulator.simulator_url,
        headers={"X-API-Key": simulator.env["SIMULATOR_API_KEY"]},
        timeout=10,
    )


def simulator_call(method: str, simulator: Stack, path: str) -> dict:
    with simulator_client(simulator) as client:
        response = client.request(method, path)
        response.raise_for_status()
        return response.json()


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sqlite_now() -> str:
    """Now, as Django writes datetimes into SQLite (UTC, no zone), for comparisons in SQL."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
