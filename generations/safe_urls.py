"""Fetching URLs that users or Apiframe hand us, without letting them point inside our network.

http(s) only; the host must resolve to public addresses, except Apiframe's own host (which is the
loopback simulator when the studio runs on it); every redirect hop is checked the same way.

The address check happens where the connection is opened, on the very addresses it connects to:
a name that resolves to a public address when checked and to 127.0.0.1 a moment later (DNS
rebinding) can't slip through. Every fetch also has a total time limit, enforced on each socket
read, so a server trickling one byte at a time can't hold a web worker for minutes.
"""

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings

MAX_REDIRECTS = 5
CONNECT_SECONDS = 10.0
# Unless the caller says otherwise, a whole fetch (redirects and body) may take this many read
# timeouts: 30 s for the form's image, which must never hold a web worker for long.
TOTAL_TIMEOUTS = 3
DEFAULT_PORTS = {"http": 80, "https": 443}
# IPv6 ranges that carry an IPv4 address inside (NAT64, IPv4-compatible): judged by that address.
IPV4_CARRIERS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not be fetched; the message says why, in words a user understands."""


def check_url(url: str, *, resolve: bool = True) -> None:
    """Refuse a URL that may not be fetched, before any request is made. Without `resolve`,
    only what the address shows (a form's quick check: looking a name up may be slow)."""
    host, port = _host_and_port(url)
    if is_apiframe_host(host, port):
        return
    if resolve:
        public_addresses(host, port)
        return
    try:
        literal = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return  # a name: looked up, and its addresses checked, when the image is fetched
    if not is_public(literal):
        raise UnsafeURL(f"the host {host} is on a private or local network")


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port  # Raises ValueError for a port that is not a number or out of range.
    except ValueError:
        raise UnsafeURL("the address is not a valid web address") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise UnsafeURL("only http:// and https:// addresses can be used")
    if not parts.hostname:
        raise UnsafeURL("the address has no host name")
    if parts.username or parts.password:
        raise UnsafeURL("addresses with a user name or password are not accepted")
    return parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def is_apiframe_host(host: str, port: int) -> bool:
    """The configured Apiframe host and port: trusted even on loopback (the simulator)."""
    base = urlsplit(settings.APIFRAME_BASE_URL)
    base_port = base.port or DEFAULT_PORTS.get(base.scheme)
    return host.strip("[]").lower() == (base.hostname or "").lower() and port == base_port


def public_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, or UnsafeURL if any of them is not on the internet."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"the host {host} could not be found") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not is_public(ipaddress.ip_address(address.split("%", 1)[0])):
            raise UnsafeURL(f"the host {host} is on a private or local network")
    if not addresses:
        raise UnsafeURL(f"the host {host} could not be found")
    return addresses


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public(inner):
            return False
    return ip.is_global and not ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (::ffff:127.0.0.1, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in IPV4_COMPATIBLE or any(ip in network for network in IPV4_CARRIERS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


# The connection layer: vetted addresses only, and the fetch's deadline on every socket call. ---

_local = threading.local()


def _capped(timeout: float | None, error: type[Exception]) -> float | None:
    """The socket timeout, shortened to what is left of the current fetch's total time."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the download took longer than the studio allows")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:  # fmt: skip
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:  # fmt: skip
        # Resolved once, here: the connection goes to the very addresses that were checked.
        addresses = [host] if is_apiframe_host(host, port) else public_addresses(host, port)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(
                    address, port, _capped(timeout, httpcore.ConnectTimeout), local_address,
                    socket_options,
                )  # fmt: skip
            except httpcore.ConnectError as error:
                failure = error
                continue
            return _DeadlineStream(stream)
        raise failure or httpcore.ConnectError(f"could not connect to {host}")


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__(trust_env=False)
        # httpx takes no network backend; its connection pool (httpcore's public API) does.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_GuardedBackend(),
        )


def _http() -> httpx.Client:
    # One pooled client per thread: the tracker downloads from a thread pool. No proxies from the
    # environment: a proxy would resolve the host again, out of our sight.
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = httpx.Client(
            transport=_GuardedTransport(),
            trust_env=False,
            follow_redirects=False,
            headers={"User-Agent": "hailuo-studio/1"},
        )
    return client


@contextlib.contextmanager
def fetch_stream(
    url: str, *, timeout: float, max_seconds: float | None = None
) -> Iterator[httpx.Response]:
    """GET `url` as a stream, following at most MAX_REDIRECTS checked redirects.

    `timeout` bounds each network wait; `max_seconds` the whole fetch, body included (by default
    TOTAL_TIMEOUTS times `timeout`). Past it, reading raises httpx.TimeoutException.
    """
    total = max_seconds if max_seconds is not None else timeout * TOTAL_TIMEOUTS
    _local.deadline = time.monotonic() + total
    try:
        for _ in range(MAX_REDIRECTS + 1):
            _host_and_port(url)  # Scheme and form; the addresses are checked when connecting.
            try:
                request = _http().build_request(
                    "GET", url, timeout=httpx.Timeout(timeout, connect=CONNECT_SECONDS)
                )
            except httpx.InvalidURL:
                raise UnsafeURL("the address is not a valid web address") from None
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
    finally:
        _local.deadline = None
