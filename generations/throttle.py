"""Login throttling: after too many failed attempts for one user name, or from one address, logging
in pauses for a while, and the login page says how long.

The counts live in the "login_attempts" cache (a database table, or Redis when REDIS_URL is set),
so every web worker sees the same numbers. Each count covers a fixed window that starts at the
first failure; when the window ends, the count starts again from zero.
"""

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.http import HttpRequest

CACHE = "login_attempts"


@dataclass(frozen=True)
class Limit:
    scope: str
    attempts: int
    window_seconds: int


# A person mistyping stays far below these; a password-guessing script hits them quickly. The
# address limit is higher: a whole office may share one address.
PER_USERNAME = Limit("username", attempts=5, window_seconds=15 * 60)
PER_ADDRESS = Limit("address", attempts=20, window_seconds=15 * 60)


def _key(limit: Limit, value: str) -> str:
    # Hashed: user names may hold any character and be long, and cache keys may not.
    return f"login-failures:{limit.scope}:{hashlib.sha256(value.encode()).hexdigest()}"


def _subjects(username: str, address: str) -> list[tuple[Limit, str]]:
    subjects = [(PER_USERNAME, username.strip().lower()), (PER_ADDRESS, address)]
    return [(limit, value) for limit, value in subjects if value]


def seconds_to_wait(username: str, address: str) -> int:
    """How long before this user name may try again from this address; 0 means now."""
    now = time.time()
    wait = 0.0
    for limit, value in _subjects(username, address):
        entry = caches[CACHE].get(_key(limit, value))
        if entry and entry["count"] >= limit.attempts:
            wait = max(wait, entry["until"] - now)
    return math.ceil(wait) if wait > 0 else 0


def record_failure(username: str, address: str) -> None:
    # Read then write: two workers failing at the same instant may count once, which is harmless.
    now = time.time()
    for limit, value in _subjects(username, address):
        key = _key(limit, value)
        entry = caches[CACHE].get(key)
        if not entry or entry["until"] <= now:
            entry = {"count": 0, "until": now + limit.window_seconds}
        entry["count"] += 1
        caches[CACHE].set(key, entry, timeout=math.ceil(entry["until"] - now))


def record_success(username: str) -> None:
    """A correct password clears its user name's count. The address count is left to expire:
    otherwise one valid account would let a script reset it between guesses at others."""
    if username.strip():
        caches[CACHE].delete(_key(PER_USERNAME, username.strip().lower()))


def wait_message(seconds: int) -> str:
    if seconds < 60:
        when = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        when = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return (
        f"Too many failed attempts to log in. To protect the account, logging in is paused: "
        f"try again in {when}."
    )


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Behind a reverse proxy on this machine (how the studio
    is published over https), the peer is the proxy; the client is the address it added last to
    X-Forwarded-For. A header from any other peer is ignored: anyone can write one."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_loopback(address):
        last = forwarded.rsplit(",", 1)[-1].strip()
        if _is_address(last):
            return last
    return address


def _is_loopback(address: str) -> bool:
    return _is_address(address) and ipaddress.ip_address(address).is_loopback


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
