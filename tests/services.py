"""The outside services some tests need (Redis; PostgreSQL for `make test`'s second run).

Missing locally, a test that needs one says so and is skipped; under CI=true it fails, since CI
provides both. `python -m tests.services postgres URL` tells the Makefile whether to run the
suite on PostgreSQL (exit 0: reachable).
"""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(service: str, url: str, error: Exception) -> None:
    message = f"{service} is not reachable at {url} ({type(error).__name__}: {error})"
    if under_ci():
        pytest.fail(f"{message}; CI must provide it")
    pytest.skip(f"{message}; start it to run this test")


def redis_url() -> str:
    """TEST_REDIS_URL, else REDIS_URL, else the local default."""
    return os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def require_redis() -> str:
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        unavailable("Redis", url, error)
    return url


def postgres_reachable(url: str) -> str | None:
    """None if the server of this DATABASE_URL answers, else why not."""
    import psycopg

    # The maintenance database: pytest-django creates test_<name> itself.
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as connection:
            connection.execute("select 1")
    except psycopg.Error as error:
        return f"{type(error).__name__}: {error}".strip()
    return None


if __name__ == "__main__":
    if sys.argv[1:2] != ["postgres"] or len(sys.argv) != 3:
        sys.exit("usage: python -m tests.services postgres DATABASE_URL")
    problem = postgres_reachable(sys.argv[2])
    if problem:
        print(f"PostgreSQL is not reachable at {sys.argv[2]}: {problem}", file=sys.stderr)
    sys.exit(1 if problem else 0)
