"""The studio as real processes in a temporary folder (its own SQLite database, media and static
files): the simulator, gunicorn and the django-q2 cluster, started and stopped by the benchmarks."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tooling.processes import (
    PYTHON,
    ProcessGroup,
    free_port,
    gunicorn_command,
    simulator_command,
    studio_env,
)

# Inherited settings that would point a benchmark at something other than its own folder.
FOREIGN_ENV = ("APIFRAME_API_KEY", "APIFRAME_BASE_URL", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL",
               "DEBUG", "DJANGO_SETTINGS_MODULE", "Q_WORKERS", "EXPECTED_JOB_SECONDS")  # fmt: skip
SIMULATOR_KEY = "afk_sim_benchmarks"


class Stack(ProcessGroup):
    """One studio (or the shared simulator) of a benchmark run, in its own folder."""

    def __init__(self, folder: Path, *, simulator_port: int | None = None, **env: str) -> None:
        folder = Path(folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.simulator_port = simulator_port or free_port()
        self.simulator_url = f"http://127.0.0.1:{self.simulator_port}"
        base = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        super().__init__(
            folder,
            {
                **base,
                **studio_env(
                    folder,
                    port=self.port,
                    simulator_port=self.simulator_port,
                    database_url=f"sqlite:///{folder / 'db.sqlite3'}",
                ),
                "LOG_LEVEL": "WARNING",
                # One key for the simulator and every studio of the run (else one per folder).
                "SIMULATOR_API_KEY": SIMULATOR_KEY,
                # The studio's settings plus the benchmarks' bare view and task timing.
                "DJANGO_SETTINGS_MODULE": "tooling.benchmarks.bench_settings",
                **env,
            },
        )

    def manage(self, *args: str, timeout: float = 600) -> str:
        return self.run("manage.py", *args, timeout=timeout)

    def python(self, *args: str, timeout: float = 600) -> str:
        return self.run(*args, timeout=timeout)

    def prepare(self) -> None:
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")

    def start_simulator(self, *, job_seconds: float, data_dir: Path) -> None:
        self.spawn(
            "simulator",
            simulator_command(
                self.simulator_port, job_seconds=job_seconds, render="cached", data_dir=data_dir
            ),
        )
        self.wait_for(f"{self.simulator_url}/v2/me", ok=(200, 401))

    def start_web(self, *, workers: int = 2, threads: int = 4) -> None:
        self.spawn("web", gunicorn_command(self.port, workers=workers, threads=threads))
        self.wait_for(f"{self.url}/accounts/login/")

    def start_cluster(self) -> None:
        self.spawn("cluster", [PYTHON, "manage.py", "qcluster"])

    # The database, read directly (this process's Django points elsewhere)

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.folder / "db.sqlite3", timeout=20) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str, *params) -> int:
        with sqlite3.connect(self.folder / "db.sqlite3", timeout=20) as connection:
            return connection.execute(sql, params).rowcount
