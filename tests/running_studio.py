"""The whole studio as real processes (gunicorn, django-q2 clusters, the simulator), in a temp
folder: what `make run` starts, for browser, crash, load and broker tests.

The database is a SQLite file in the folder, or, when the suite runs on PostgreSQL (DATABASE_URL
is postgresql://...), a fresh PostgreSQL database created beside the suite's and dropped at stop:
the processes then share it as clusters on several machines would. `redis_url` makes Redis the
task broker, under a queue name of this studio's own, so parallel runs never take each other's
tasks.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from tooling.processes import (
    PYTHON,
    ProcessGroup,
    free_port,
    gunicorn_command,
    simulator_command,
    studio_env,
)

MEMBER_PASSWORD = "correct horse battery staple"
FINAL_STATES = ("completed", "failed", "cancelled")


def suite_database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def on_postgres() -> bool:
    return suite_database_url().startswith(("postgres://", "postgresql://"))


class PostgresDatabase:
    """A throwaway database on the suite's PostgreSQL server."""

    def __init__(self, suite_url: str) -> None:
        parts = urlsplit(suite_url)
        base = parts.path.lstrip("/") or "postgres"
        self.name = f"{base}_studio_{uuid.uuid4().hex[:8]}"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self._admin_url = urlunsplit(parts._replace(path="/postgres"))

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as connection:
            connection.execute(sql)


class RunningStudio(ProcessGroup):
    """gunicorn, a cluster and the simulator on free ports, with members and a database to read."""

    def __init__(
        self,
        folder: Path,
        *,
        job_seconds: float = 6.0,
        render: str = "full",
        redis_url: str | None = None,
        extra_env: dict | None = None,
    ):
        self.port = free_port()
        self.simulator_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.simulator_url = f"http://127.0.0.1:{self.simulator_port}"
        self.job_seconds = job_seconds
        self.render = render
        self.postgres = PostgresDatabase(suite_database_url()) if on_postgres() else None
        self.database_url = (
            self.postgres.url if self.postgres else f"sqlite:///{folder / 'db.sqlite3'}"
        )
        self.queue_name = f"studio-{uuid.uuid4().hex[:8]}"
        self.redis_url = redis_url
        env = {
            **os.environ,
            **studio_env(
                folder,
                port=self.port,
                simulator_port=self.simulator_port,
                database_url=self.database_url,
            ),
            "SIMULATOR_API_KEY": "afk_sim_running_studio",
            "Q_WORKERS": "3",
            "Q_CLUSTER_NAME": self.queue_name,
            "DJANGO_SETTINGS_MODULE": "hailuo_site.settings",
            **({"REDIS_URL": redis_url} if redis_url else {}),
            **(extra_env or {}),
        }
        for name in ("APIFRAME_API_KEY", "APIFRAME_BASE_URL", "REDIS_URL", "PUBLIC_URL", "DEBUG"):
            if name not in (extra_env or {}) and not (name == "REDIS_URL" and redis_url):
                env.pop(name, None)
        super().__init__(folder, env)

    def manage(self, *args: str) -> str:
        return self.run("manage.py", *args, timeout=180)

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def add_member(self, username: str, *, staff: bool = False) -> None:
        self.add_members([username], staff=staff)

    def add_members(self, usernames: list[str], *, staff: bool = False) -> None:
        self.shell(
            "from django.contrib.auth.models import User\n"
            f"for name in {usernames!r}:\n"
            f"    User.objects.create_user(name, password={MEMBER_PASSWORD!r}, "
            f"is_staff={staff}, is_superuser={staff})"
        )

    def start(self, *, cluster: bool = True) -> RunningStudio:
        if self.postgres:
            self.postgres.create()
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")
        self.start_simulator()
        if cluster:
            self.start_cluster()
        self.spawn("web", gunicorn_command(self.port))
        self.wait_for(f"{self.url}/accounts/login/")
        return self

    def start_simulator(self) -> None:
        command = simulator_command(
            self.simulator_port, job_seconds=self.job_seconds, render=self.render
        )
        self.spawn("simulator", command)
        self.wait_for(f"{self.simulator_url}/v2/me", ok=(401, 200))

    def start_cluster(self, name: str = "cluster") -> None:
        """Start a django-q2 cluster; several names make several clusters on one database."""
        self.spawn(name, [PYTHON, "manage.py", "qcluster"])

    def kill_cluster(self, name: str = "cluster") -> None:
        """SIGKILL the cluster and every worker it forked: a crash, not a shutdown."""
        self.kill(name)

    def stop(self, *names: str, grace: float = 3.0) -> None:
        # A cluster stops in about a second (its tracker loop obeys the stop flag);
        # a test need not wait: SIGKILL loses nothing (tests/test_restart.py shows it).
        super().stop(*names, grace=grace)
        if names:
            return
        if self.postgres:
            self.postgres.drop()
        if self.redis_url:
            self.redis().delete(self.redis_queue_key)

    # Looking inside

    def query(self, sql: str) -> list[tuple]:
        """Read the studio's database directly (the test process has no Django DB of it)."""
        if self.postgres:
            import psycopg

            with psycopg.connect(self.database_url) as connection:
                return connection.execute(sql).fetchall()
        import sqlite3

        with sqlite3.connect(self.folder / "db.sqlite3", timeout=20) as connection:
            return connection.execute(sql).fetchall()

    def generations(self) -> list[tuple[str, str, str]]:
        """(id as a dashed UUID, status, failure reason) of every generation."""
        rows = self.query("select id, status, failure_reason from generations_generation")
        return [(str(uuid.UUID(str(pk))), status, reason) for pk, status, reason in rows]

    def states(self) -> dict[str, int]:
        """How many generations are in each state; PROCESSING ones with a result are "storing"."""
        rows = self.query(
            "select case when status = 'processing' and result_url <> '' then 'storing' "
            "else status end, count(*) from generations_generation group by 1"
        )
        return dict(rows)

    def wait_until_final(self, count: int, timeout: float = 180.0) -> list[tuple[str, str, str]]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.generations()
            if len(rows) >= count and all(status in FINAL_STATES for _, status, _ in rows):
                return rows
            if time.monotonic() > deadline:
                return rows  # the caller's assertions say what is unfinished
            time.sleep(0.5)

    def wait_for_posters(self, timeout: float = 60.0) -> int:
        """Completed clips still without a poster: 0 once all have one, else when time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            ((missing,),) = self.query(
                "select count(*) from generations_generation "
                "where status = 'completed' and poster = ''"
            )
            if missing == 0 or time.monotonic() > deadline:
                return missing
            time.sleep(0.5)

    def simulator_get(self, path: str) -> dict:
        headers = {"X-API-Key": self.env["SIMULATOR_API_KEY"]}
        return httpx.get(f"{self.simulator_url}{path}", headers=headers, timeout=5).json()

    def simulator_stats(self) -> dict:
        return self.simulator_get("/_simulator/stats")

    def simulator_overlaps(self) -> dict[str, int]:
        return self.simulator_get("/_simulator/overlaps")["overlappingRequests"]

    def push_faults(self, route: str, faults: list[dict]) -> None:
        """Queue simulator faults through its control API (Fault.to_json() dicts)."""
        response = httpx.post(
            f"{self.simulator_url}/_simulator/faults",
            headers={"X-API-Key": self.env["SIMULATOR_API_KEY"]},
            content=json.dumps({route: faults}),
            timeout=5,
        )
        response.raise_for_status()

    # Redis, when it is the broker

    @property
    def redis_queue_key(self) -> str:
        return f"django_q:{self.queue_name}:q"

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url)
