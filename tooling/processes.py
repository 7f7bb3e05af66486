"""The studio's processes (gunicorn, django-q2 clusters, the simulator) started from Python, each in
a session of its own, for the tests and benchmarks that need the real thing as `make run` starts it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def studio_env(folder: Path, *, port: int, simulator_port: int, database_url: str) -> dict:
    """What every process of one studio shares: its folder (database, media, static files, keys)
    and its ports."""
    return {
        "STUDIO_VAR_DIR": str(folder),
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "SIMULATOR_PORT": str(simulator_port),
        "STUDIO_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }


def gunicorn_command(port: int, *, workers: int = 2, threads: int = 4) -> list[str]:
    """gunicorn as the Procfile runs it (2 workers, 4 threads each)."""
    return [
        str(Path(PYTHON).parent / "gunicorn"), "hailuo_site.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--log-level", "warning",
    ]  # fmt: skip


def simulator_command(port: int, *, job_seconds: float, render: str, data_dir=None) -> list[str]:
    command = [
        PYTHON, "manage.py", "simulate_apiframe", "--port", str(port),
        "--job-seconds", f"{job_seconds:g}", "--render", render,
    ]  # fmt: skip
    return [*command, "--data-dir", str(data_dir)] if data_dir else command


class ProcessGroup:
    """Named long-running processes sharing a folder (their logs) and an environment."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}

    def spawn(self, name: str, command: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        # A session of its own, so stopping it stops the children it forked too.
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

    def run(self, *args: str, timeout: float = 600) -> str:
        """A one-off command (`manage.py …`) in the same environment; its output, or an error."""
        result = subprocess.run(
            [PYTHON, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it forked: a crash, not a shutdown."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, *names: str, grace: float = 15.0) -> None:
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

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        """Every process's log, each under its name."""
        return "\n".join(
            f"==> {path.stem} <==\n{path.read_text(errors='replace')}"
            for path in sorted(self.folder.glob("*.log"))
        )

    def cpu_seconds(self, name: str) -> float:
        """CPU time used so far by a process's session: every process still in it, plus the
        children they reaped (the tracker's ffmpeg runs, the cluster's exited workers)."""
        return session_cpu_seconds(self.processes[name].pid)


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
