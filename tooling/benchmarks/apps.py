"""Installed only by bench_settings: notes how long each django-q2 task really ran in its worker.

django-q2 stamps a task's `started` when it is enqueued, so a Task record's stopped - started also
counts the time it waited in the broker; this writes the executing time alone, one line per task,
to `worker-busy.tsv` in the studio's var folder."""

import os
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils import timezone

BUSY_FILE = "worker-busy.tsv"


class BenchmarksConfig(AppConfig):
    name = "tooling.benchmarks"
    label = "benchmarks"
    verbose_name = "Benchmarks"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, pre_execute

        pre_execute.connect(executing, dispatch_uid="bench-executing")
        post_execute_in_worker.connect(executed, dispatch_uid="bench-executed")


def executing(sender, task: dict, **kwargs) -> None:
    task["bench_executing_since"] = timezone.now()


def executed(sender, task: dict, **kwargs) -> None:
    since = task.get("bench_executing_since")
    if since is None:
        return
    seconds = (timezone.now() - since).total_seconds()
    line = f"{task.get('func')}\t{seconds:.6f}\n".encode()
    # One small O_APPEND write per task: lines from several workers never interleave.
    fd = os.open(Path(settings.VAR_DIR) / BUSY_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
