"""What a pipeline run measured, computed from its records: the studio's generation rows, the
simulator's request counts and job completion times, and django-q2's task records."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .stats import per_item, summary

API_ROUTES = ("submit", "job", "file", "upload")


@dataclass(frozen=True)
class GenerationRow:
    id: str
    job_id: str
    status: str
    created_at: datetime
    stored_at: datetime | None
    # When the poster was made: the row's last change, once it has one.
    poster_at: datetime | None = None


@dataclass(frozen=True)
class TaskRow:
    func: str
    started: datetime
    stopped: datetime

    @property
    def seconds(self) -> float:
        return (self.stopped - self.started).total_seconds()


def makespan(rows: list[GenerationRow]) -> float | None:
    """From the first generation asked for to the last clip stored (None if none was stored)."""
    stored = [row.stored_at for row in rows if row.stored_at]
    if not stored:
        return None
    return (max(stored) - min(row.created_at for row in rows)).total_seconds()


def posters_done(rows: list[GenerationRow]) -> float | None:
    """From the first generation asked for to the last poster made (the clips show before)."""
    made = [row.poster_at for row in rows if row.poster_at]
    if not made:
        return None
    return (max(made) - min(row.created_at for row in rows)).total_seconds()


def storing_rate(rows: list[GenerationRow]) -> float | None:
    """Clips stored per second, from the first stored to the last: the tracker's pace in a burst."""
    stored = sorted(row.stored_at for row in rows if row.stored_at)
    if len(stored) < 2 or stored[-1] == stored[0]:
        return None
    return (len(stored) - 1) / (stored[-1] - stored[0]).total_seconds()


def detection_latencies(
    rows: list[GenerationRow], completed_at: dict[str, datetime]
) -> list[float]:
    """Per stored clip: seconds from the simulator's completedAt to the studio's stored_at."""
    return [
        (row.stored_at - completed_at[row.job_id]).total_seconds()
        for row in rows
        if row.stored_at and row.job_id in completed_at
    ]


def api_requests(requests: dict[str, int]) -> dict[str, int]:
    """The simulator's counts for the routes a generation uses (submits, checks, downloads,
    uploads), plus their total."""
    counts = {route: int(requests.get(route, 0)) for route in API_ROUTES}
    counts["total"] = sum(counts.values())
    return counts


def worker_seconds(tasks: list[TaskRow]) -> dict[str, float]:
    """Seconds django-q2's workers spent in tasks, per task function (short name) and in total."""
    by_func: dict[str, float] = {}
    for task in tasks:
        name = task.func.rsplit(".", 1)[-1]
        by_func[name] = by_func.get(name, 0.0) + task.seconds
    by_func["total"] = sum(task.seconds for task in tasks)
    return by_func


def busy_seconds(lines: list[str]) -> list[TaskRow]:
    """The benchmark cluster's own note of executing times ("func<TAB>seconds" lines) as tasks."""
    epoch = datetime(2000, 1, 1)
    tasks = []
    for line in lines:
        func, _, seconds = line.strip().partition("\t")
        if func and seconds:
            tasks.append(TaskRow(func, epoch, epoch + timedelta(seconds=float(seconds))))
    return tasks


def summarize(
    rows: list[GenerationRow],
    completed_at: dict[str, datetime],
    requests: dict[str, int],
    tasks: list[TaskRow],
    *,
    per: int | None = None,
    executing: list[TaskRow] | None = None,
) -> dict:
    """Everything one run measured. `per`: how many generations the requests and worker-seconds
    are spread over (default: all rows)."""
    per = per if per is not None else len(rows)
    counts = api_requests(requests)
    seconds = worker_seconds(tasks)
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    return {
        "generations": len(rows),
        "per": per,
        "statuses": statuses,
        "makespan_s": makespan(rows),
        "posters_done_s": posters_done(rows),
        "storing_per_s": storing_rate(rows),
        "requests": counts,
        "requests_per_generation": per_item(counts["total"], per),
        "detection_s": summary(detection_latencies(rows, completed_at)),
        "worker_seconds": seconds,
        "worker_seconds_per_generation": per_item(seconds["total"], per),
        "tasks": len(tasks),
        "executing_seconds": worker_seconds(executing or []),
        "executing_seconds_per_generation": per_item(worker_seconds(executing or [])["total"], per),
    }


def projected_naive_makespan(executing: list[TaskRow], count: int, workers: int) -> float | None:
    """What the naive way needs for all `count`: its workers take the jobs `workers` at a time,
    each for as long as its tasks ran (the ones skipped after the cap took no time: left out)."""
    seconds = [t.seconds for t in executing if t.func.endswith("make_clip_naively")]
    seconds = [s for s in seconds if s > 1]
    if not seconds:
        return None
    return math.ceil(count / workers) * (sum(seconds) / len(seconds))
