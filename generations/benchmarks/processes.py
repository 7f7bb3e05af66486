"""The studio as real processes in a temporary folder (its own SQLite database, media and static
files): the simulator, gunicorn and the django-q2 cluster, started and stopped by the benchmarks."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
# Inherited settings that would point a benchmark at something other than its own folder.
FOREIGN_ENV = ("APIFRAME_API_KEY", "APIFRAME_BASE_URL", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL",
               "DEBUG", "DJANGO_SETTINGS_MODULE", "Q_WORKERS", "EXPECTED_JOB_SECONDS")  # fmt: skip


SIMULATOR_KEY = "afk_sim_benchmarks"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """Processes sharing one folder; each runs in its own session so it stops with its children."""

    def __init__(self, folder: Path, *, simulator_port: int | None = None, **env: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.simulator_port = simulator_port or free_port()
        self.simulator_url = f"http://127.0.0.1:{self.simulator_port}"
        base = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        self.env = {
            **base,
            "STUDIO_VAR_DIR": str(self.folder),
            "DATABASE_URL": f"sqlite:///{self.folder / 'db.sqlite3'}",
            "MEDIA_ROOT": str(self.folder / "media"),
            "STATIC_ROOT": str(self.folder / "static"),
            "SIMULATOR_PORT": str(self.simulator_port),
            "STUDIO_PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            # One key for the simulator and every studio of the run (each folder would make its own).
            "SIMULATOR_API_KEY": SIMULATOR_KEY,
            # The studio's settings plus the benchmarks' bare view and task timing (bench_settings).
            "DJANGO_SETTINGS_MODULE": "generations.benchmarks.bench_settings",
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    # One-off commands

    def manage(self, *args: str, timeout: float = 600) -> str:
        return self.python("manage.py", *args, timeout=timeout)

    def python(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [PYTHON, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def prepare(self) -> None:
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")

    # Long-running processes

    def start_simulator(self, *, job_seconds: float, data_dir: Path) -> None:
        self.spawn(
            "simulator",
            [PYTHON, "manage.py", "simulate_apiframe", "--port", str(self.simulator_port),
             "--job-seconds", f"{job_seconds:g}", "--render", "cached",
             "--data-dir", str(data_dir)],
        )  # fmt: skip
        self.wait_for(f"{self.simulator_url}/v2/me", ok=(200, 401))

    def start_web(self, *, workers: int = 2, threads: int = 4) -> None:
        """gunicorn as the Procfile runs it (2 workers, 4 threads each)."""
        self.spawn(
            "web",
            [str(Path(PYTHON).parent / "gunicorn"), "hailuo_site.wsgi",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--log-level", "warning"],
        )  # fmt: skip
        self.wait_for(f"{self.url}/accounts/login/")

    def start_cluster(self) -> None:
        self.spawn("cluster", [PYTHON, "manage.py", "qcluster"])

    def spawn(self, name: str, command: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_for(self, url: str, ok=(200,), timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2).status_code in ok:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer within {timeout:.0f} s; logs in {self.folder}")

    def stop(self, *names: str, grace: float = 10.0) -> None:
        """SIGTERM the named processes (all by default), SIGKILL whatever outlives `grace`."""
        chosen = [n for n in (names or list(self.processes)) if n in self.processes]
        for name in chosen:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.processes[name].pid, signal.SIGTERM)
        for name in chosen:
            process = self.processes.pop(name)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def cpu_seconds(self, name: str) -> float:
        """CPU time used so far by a process's session: every process still in it, plus the
        children they reaped (the tracker's ffmpeg runs, the cluster's exited workers)."""
        return session_cpu_seconds(self.processes[name].pid)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # The database, read directly (this process's Django points elsewhere)

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.folder / "db.sqlite3", timeout=20) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str, *params) -> int:
        with sqlite3.connect(self.folder / "db.sqlite3", timeout=20) as connection:
            return connection.execute(sql, params).rowcount


def session_cpu_seconds(session: int) -> float:
    """utime + stime + cutime + cstime of every process whose session id is `session` (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        # After the command: state, ppid, pgrp, session, ..., utime (11), stime, cutime, cstime.
        if int(fields[3]) == session:
            total += sum(int(value) for value in fields[11:15])
    return total / ticks
