"""Login throttling that slows a password-guessing script without letting it lock a member out.

A browser that has logged in as a user name before carries a signed "known device" cookie for it
(OWASP's device cookies, the idea behind django-axes' user name + address lockout). Its attempts at
that user name are limited by its own failures only. Every other attempt is limited per user name
and address, per address, and per user name across all such browsers: a stranger can pause a user
name for browsers that never logged in as it, but the member's own browser still gets in with the
right password. The login page says how long a pause lasts.

The counts live in the "login_attempts" cache (a database table, or Redis when REDIS_URL is set),
so every web worker sees the same numbers. Each count covers a fixed window that starts at the
first failure; when the window ends, the count starts again from zero.

Share links (/s/<token>/) are guessed the same way a password is: unknown tokens are counted per
address (SHARE_TOKEN_GUESSES), and an address past the limit is answered 429 before any lookup.
Invite links (/invite/<token>/) are counted the same way (INVITE_TOKEN_GUESSES).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import salted_hmac

CACHE = "login_attempts"
DEVICE_COOKIE = "studio_known_device"
DEVICE_COOKIE_SALT = "generations.throttle.known-device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 60 * 60
# A browser shared by a few people (a member and a staff account) stays known for each of them.
NAMES_PER_DEVICE = 8


@dataclass(frozen=True)
class Limit:
    scope: str
    attempts: int
    window_seconds: int


# A person mistyping stays far below these; a password-guessing script hits them quickly. The
# address limit is higher: a whole office may share one address. The user name limit only pauses
# browsers that never logged in as that name, so it may be low enough to stop a distributed guess.
PER_DEVICE = Limit("device", attempts=5, window_seconds=15 * 60)
PER_USERNAME_AND_ADDRESS = Limit("username-address", attempts=5, window_seconds=15 * 60)
PER_ADDRESS = Limit("address", attempts=20, window_seconds=15 * 60)
PER_USERNAME = Limit("username", attempts=20, window_seconds=15 * 60)
# Someone holding a few links, mistyped ones among them, stays far below; a script guessing tokens
# (256 random bits each) is paused after its first few dozen. Per address, as PER_ADDRESS.
SHARE_TOKEN_GUESSES = Limit("share-token-address", attempts=30, window_seconds=60)
# Invite links (/invite/<token>/) likewise, counted apart from share links.
INVITE_TOKEN_GUESSES = Limit("invite-token-address", attempts=30, window_seconds=60)


def seconds_paused(limit: Limit, value: str, now: float | None = None) -> float:
    """How long `value` is still paused under `limit`; 0 while it is under the limit."""
    entry = caches[CACHE].get(_key(limit, value))
    if entry and entry["count"] >= limit.attempts:
        return max(0.0, entry["until"] - (now or time.time()))
    return 0.0


def count_failure(limit: Limit, value: str, now: float | None = None) -> None:
    # Read then write: two workers failing at one instant may count once, which is harmless.
    now = now or time.time()
    key = _key(limit, value)
    entry = caches[CACHE].get(key)
    if not entry or entry["until"] <= now:
        entry = {"count": 0, "until": now + limit.window_seconds}
    entry["count"] += 1
    caches[CACHE].set(key, entry, timeout=math.ceil(entry["until"] - now))


def share_guesses_paused(request: HttpRequest) -> int:
    """Seconds before this address may open share links again, after too many unknown tokens."""
    return math.ceil(seconds_paused(SHARE_TOKEN_GUESSES, _address_group(client_address(request))))


def count_share_guess(request: HttpRequest) -> None:
    """A token that is no link's, from this address."""
    count_failure(SHARE_TOKEN_GUESSES, _address_group(client_address(request)))


def invite_guesses_paused(request: HttpRequest) -> int:
    """Seconds before this address may open invite links again, after too many unknown ones."""
    return math.ceil(seconds_paused(INVITE_TOKEN_GUESSES, _address_group(client_address(request))))


def count_invite_guess(request: HttpRequest) -> None:
    """A token that is no invite's, from this address."""
    count_failure(INVITE_TOKEN_GUESSES, _address_group(client_address(request)))


@dataclass
class LoginAttempt:
    """One try at logging in: which user name, from where, and from which browser."""

    username: str  # as typed, lower-cased and stripped
    address: str
    device: str  # the browser's device id, "" if it has no valid cookie
    known_names: tuple[str, ...]  # user name digests this browser has logged in as
    paused: bool = False
    succeeded: bool = False

    @classmethod
    def from_request(cls, request: HttpRequest, username: str) -> LoginAttempt:
        device, names = _read_device_cookie(request)
        return cls(username.strip().lower(), client_address(request), device, names)

    @property
    def from_known_device(self) -> bool:
        return bool(self.device) and _name_digest(self.username) in self.known_names

    def seconds_to_wait(self) -> int:
        """How long before this browser may try this user name again; 0 means now."""
        now = time.time()
        waits = [seconds_paused(limit, value, now) for limit, value in self._subjects()]
        wait = max(waits, default=0.0)
        self.paused = wait > 0
        return math.ceil(wait) if wait > 0 else 0

    def record_failure(self) -> None:
        now = time.time()
        for limit, value in self._subjects():
            count_failure(limit, value, now)

    def record_success(self) -> None:
        """A correct password clears the count of its browser, or of its user name and address.
        The address and user name counts are left to expire: otherwise one valid account would let
        a script reset them between guesses at others."""
        self.succeeded = True
        if self.username:
            caches[CACHE].delete(_key(*self._own_subject()))

    def finish(self, response: HttpResponseBase) -> HttpResponseBase:
        """The login page's answer: 429 while paused; after a login, this browser is known."""
        if self.paused and response.status_code == 200:
            response.status_code = 429  # Too Many Requests: scripts notice, people read the page.
        if self.succeeded:
            self._remember_device(response)
        return response

    def _own_subject(self) -> tuple[Limit, str]:
        """The count of this browser if it is known for the user name, else of name and address."""
        if self.from_known_device:
            return PER_DEVICE, f"{self.device}:{self.username}"
        return PER_USERNAME_AND_ADDRESS, f"{self.username}\n{_address_group(self.address)}"

    def _subjects(self) -> list[tuple[Limit, str]]:
        if not self.username:
            return []
        if self.from_known_device:
            return [self._own_subject()]
        shared = [(PER_USERNAME, self.username)]
        if self.address:
            shared.append((PER_ADDRESS, _address_group(self.address)))
        return [self._own_subject(), *shared]

    def _remember_device(self, response: HttpResponseBase) -> None:
        digest = _name_digest(self.username)
        names = [digest, *(name for name in self.known_names if name != digest)]
        value = f"{self.device or secrets.token_urlsafe(16)}:{','.join(names[:NAMES_PER_DEVICE])}"
        response.set_signed_cookie(
            DEVICE_COOKIE,
            value,
            salt=DEVICE_COOKIE_SALT,
            max_age=DEVICE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


def _read_device_cookie(request: HttpRequest) -> tuple[str, tuple[str, ...]]:
    """(device id, user name digests) from a valid cookie; ("", ()) for none, forged or expired."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default="", salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_SECONDS
    )
    device, _, names = (value or "").partition(":")
    return (device, tuple(names.split(","))) if device and names else ("", ())


def _name_digest(username: str) -> str:
    # Keyed by the secret key: the cookie does not tell a reader which user names it is known for.
    return salted_hmac(DEVICE_COOKIE_SALT, username, algorithm="sha256").hexdigest()[:32]


def _key(limit: Limit, value: str) -> str:
    # Hashed: user names may hold any character and be long, and cache keys may not.
    return f"login-failures:{limit.scope}:{hashlib.sha256(value.encode()).hexdigest()}"


def _address_group(address: str) -> str:
    """One IPv6 network is one address: a single client is handed a whole /64 to rotate through."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


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
    """The address the request came from. Behind a reverse proxy named in TRUSTED_PROXIES, the peer
    is the proxy; the client is the right-most address in X-Forwarded-For that is not one of the
    proxies. From any other peer the header is ignored: anyone can write one."""
    peer = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted_proxy(peer):
        return peer
    address = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = hop.strip()
        if not _is_address(hop):
            break  # our proxies write addresses: from here leftwards, the client wrote it
        address = hop
        if not _is_trusted_proxy(hop):
            break
    return address


def _is_trusted_proxy(address: str) -> bool:
    if not _is_address(address):
        return False
    ip = ipaddress.ip_address(address)
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return any(ip in ipaddress.ip_network(proxy) for proxy in settings.TRUSTED_PROXIES)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
