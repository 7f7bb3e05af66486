"""The pipeline benchmark's rows in the report: each way's figures beside its targets, and the notes
that say what was measured and how."""

from __future__ import annotations

from .figures import Figure
from .stats import per_item


def breakdown(seconds: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.0f} s" for name, value in seconds.items() if name != "total")


def figures(runs: dict, *, job_seconds: float) -> list[Figure]:
    """The table's rows for the pipeline runs, with their targets."""
    rows: list[Figure] = []
    targets: dict[str, dict[str, float | None]] = {
        "polling": {"requests": 8, "p50": 2, "p95": 5},
        "webhooks": {"requests": 3, "p50": 1, "p95": None},
        "naive": {"requests": None, "p50": None, "p95": None},
    }
    for mode, result in runs.items():
        part = f"pipeline: {mode}"
        limits = targets[mode]
        product = mode != "naive"
        makespan, note = result["makespan_s"], ""
        cpu = result.get("cpu_seconds") or {"cluster": 0, "web": 0, "simulator": 0}
        studio_cpu = cpu["cluster"] + cpu["web"]
        if result.get("capped_at_s"):
            makespan = result["projected_makespan_s"]
            note = (f"projected: stopped starting jobs after {result['capped_at_s']:g} s; "
                    f"{result['statuses'].get('completed', 0)} finished")  # fmt: skip
        rows += [
            Figure(part, "makespan (first ask → last clip stored)", makespan, "s",
                   job_seconds + 15 if product else None, note=note),
            Figure(part, "first ask → last poster made", result.get("posters_done_s"), "s",
                   note="posters are made after the clips show; the card swaps them in"),
            Figure(part, "API requests per generation", result["requests_per_generation"],
                   "requests", limits["requests"],
                   note=" + ".join(f"{k} {v}" for k, v in result["requests"].items()
                                   if k != "total" and v)),
            Figure(part, "detection latency p50", result["detection_s"]["p50"], "s",
                   limits["p50"]),
            Figure(part, "detection latency p95", result["detection_s"]["p95"], "s",
                   limits["p95"]),
            Figure(part, "clips stored per second, first to last", result.get("storing_per_s"),
                   "clips/s", note="the pace at which the queue of finished clips drains"),
            Figure(part, "worker-seconds per generation, Task stopped − started",
                   result["worker_seconds_per_generation"], "s",
                   note=breakdown(result["worker_seconds"])),
            Figure(part, "worker-seconds per generation, executing only",
                   result["executing_seconds_per_generation"], "s",
                   note=breakdown(result["executing_seconds"])),
            Figure(part, "studio CPU-seconds per generation (cluster + gunicorn)",
                   per_item(studio_cpu, result["per"]), "s",
                   note=f"cluster {cpu['cluster']:g} s, gunicorn {cpu['web']:g} s, simulator "
                        f"{cpu['simulator']:g} s in all"),
        ]  # fmt: skip
    return rows


NOTES = [
    "200 generations asked for at once (Generation.start + the product's enqueue, in a loop, by "
    "one member whose in-flight cap is lifted), sizes mixed 768p 6 s ×2 : 768p 10 s : 1080p 6 s; "
    "the simulator (`--render cached`, its cache rendered before it starts) takes 20 s per job.",
    "Each way runs in a fresh studio folder: SQLite, the ORM broker, `Q_WORKERS=4`, gunicorn "
    "(2 workers × 4 threads); webhooks set PUBLIC_URL to that gunicorn.",
    "API requests per generation: the simulator's counts (`/_simulator/stats`) for submits, job "
    "checks, downloads and uploads, divided by the generations (naive: by the jobs it started).",
    "Detection latency: the simulator's completedAt of the job → the generation's stored_at, so "
    "it includes storing: downloading the clip, walking its MP4 boxes (no decoding), writing it "
    "and the conditional UPDATE, on the tracker's threads. The poster (one frame decoded 1 s in "
    "by ffmpeg) is made next by the same tracker, on threads storing leaves free, and counts in "
    "the worker-seconds and CPU-seconds.",
    "Worker-seconds, Task stopped − started: django-q2's Task records summed over every task of "
    "the run (submit tasks, tracker loops — which hold a worker for the whole loop, idle waits "
    "included — and the once-a-minute schedule's runs; the start-up probe excluded). django-q2 "
    "stamps `started` when a task is enqueued, so this includes the time tasks waited in the "
    "broker for a free worker. 'Executing only' is the time inside the task function, noted by "
    "the benchmark cluster's own pre/post-execute signal receivers (tooling/benchmarks/apps.py, "
    "installed only by the benchmarks' settings).",
    "CPU-seconds: user + system time of the cluster's and gunicorn's process trees (ffmpeg "
    "included) during the run, from /proc.",
    "Naive: one django-q2 task per generation that submits, checks the job every 2 s until done "
    "(holding its worker), then stores the clip and makes its poster with the studio's own code "
    "(tooling/benchmarks/naive.py). With 4 workers it would need ~17 minutes, so it stops "
    "starting new jobs after the cap; its makespan is projected as ⌈200 / 4⌉ × its mean task "
    "time, and its other figures are over the jobs it ran.",
]
