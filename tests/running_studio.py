"""The whole studio as real processes (gunicorn, a django-q2 cluster, the simulator), in a temp
folder with its own SQLite database: what `make run` starts, for browser and crash tests."""

from __future__ import annotations

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
MEMBER_PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningStudio:
    def __init__(self, folder: Path, *, job_seconds: float = 6.0, extra_env: dict | None = None):
        self.folder = folder
        self.port = free_port()
        self.simulator_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.simulator_url = f"http://127.0.0.1:{self.simulator_port}"
        self.job_seconds = job_seconds
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "STUDIO_VAR_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "MEDIA_ROOT": str(folder / "media"),
            "STATIC_ROOT": str(folder / "static"),
            "SIMULATOR_PORT": str(self.simulator_port),
            "STUDIO_PORT": str(self.port),
            "Q_WORKERS": "3",
            "PYTHONUNBUFFERED": "1",
            "SIMULATOR_API_KEY": "afk_sim_running_studio",
            "DJANGO_SETTINGS_MODULE": "hailuo_site.settings",
            **(extra_env or {}),
        }
        for name in ("APIFRAME_API_KEY", "APIFRAME_BASE_URL", "REDIS_URL", "PUBLIC_URL", "DEBUG"):
            if name not in (extra_env or {}):
                self.env.pop(name, None)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=180,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
        return result.stdout

    def add_member(self, username: str, *, staff: bool = False) -> None:
        self.manage(
            "shell", "-c",
            "from django.contrib.auth.models import User; "
            f"User.objects.create_user({username!r}, password={MEMBER_PASSWORD!r}, "
            f"is_staff={staff}, is_superuser={staff})",
        )  # fmt: skip

    def start(self) -> RunningStudio:
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")
        self.start_simulator()
        self.start_cluster()
        self.spawn(
            "web",
            [str(Path(PYTHON).parent / "gunicorn"), "hailuo_site.wsgi",
             "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4",
             "--log-level", "warning"],
        )  # fmt: skip
        self.wait_for(f"{self.url}/accounts/login/")
        return self

    def start_simulator(self) -> None:
        self.spawn(
            "simulator",
            [PYTHON, "manage.py", "simulate_apiframe", "--port", str(self.simulator_port),
             "--job-seconds", str(self.job_seconds)],
        )  # fmt: skip
        self.wait_for(f"{self.simulator_url}/v2/me", ok=(401, 200))

    def start_cluster(self) -> None:
        self.spawn("cluster", [PYTHON, "manage.py", "qcluster"])

    def kill_cluster(self) -> None:
        """SIGKILL the cluster and every worker it forked: a crash, not a shutdown."""
        process = self.processes.pop("cluster")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

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
        raise RuntimeError(
            f"{url} did not answer within {timeout:.0f} s; see logs in {self.folder}"
        )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    def query(self, sql: str, *params) -> list[tuple]:
        """Read the studio's SQLite database directly (the test process has no Django DB of it)."""
        import sqlite3

        with sqlite3.connect(self.folder / "db.sqlite3", timeout=20) as connection:
            return connection.execute(sql, params).fetchall()

    def simulator_stats(self) -> dict:
        headers = {"X-API-Key": self.env["SIMULATOR_API_KEY"]}
        return httpx.get(
            f"{self.simulator_url}/_simulator/stats", headers=headers, timeout=5
        ).json()
