"""Fetching URLs that users or Apiframe hand us, without letting them point inside our network.

http(s) only; the host must resolve to public addresses, except Apiframe's own host (which is the
loopback simulator when the studio runs on it); every redirect hop is checked the same way.
"""

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

MAX_REDIRECTS = 5


class UnsafeURL(ValueError):
    """The URL may not be fetched; the message says why, in words a user understands."""


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("only http:// and https:// addresses can be used")
    if not parts.hostname:
        raise UnsafeURL("the address has no host name")
    if parts.username or parts.password:
        raise UnsafeURL("addresses with a user name or password are not accepted")
    if _is_apiframe_host(parts.hostname, parts.port, parts.scheme):
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(f"the host {parts.hostname} could not be found") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise UnsafeURL(f"the host {parts.hostname} is on a private or local network")


def _is_apiframe_host(host: str, port: int | None, scheme: str) -> bool:
    base = urlsplit(settings.APIFRAME_BASE_URL)
    default_port = {"http": 80, "https": 443}
    return host.lower() == (base.hostname or "").lower() and (port or default_port[scheme]) == (
        base.port or default_port.get(base.scheme)
    )


_local = threading.local()


def _http() -> httpx.Client:
    # One pooled client per thread: the tracker downloads from a thread pool.
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = httpx.Client(
            follow_redirects=False, headers={"User-Agent": "hailuo-studio/1"}
        )
    return client


@contextlib.contextmanager
def fetch_stream(url: str, *, timeout: float) -> Iterator[httpx.Response]:
    """GET `url` as a stream, following at most MAX_REDIRECTS checked redirects."""
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url)
        request = _http().build_request("GET", url, timeout=httpx.Timeout(timeout, connect=10.0))
        response = _http().send(request, stream=True)
        if response.is_redirect and "location" in response.headers:
            response.close()
            url = urljoin(url, response.headers["location"])
            continue
        try:
            yield response
        finally:
            response.close()
        return
    raise UnsafeURL("the address redirects too many times")
