"""Bytes on the wire: one HTTP/1.1 request over a plain socket, counted exactly as received."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field

ACCEPT_ENCODING = "gzip, deflate, br"


@dataclass(frozen=True)
class WireResponse:
    status: int
    header_bytes: int
    body_bytes: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def total_bytes(self) -> int:
        return self.header_bytes + self.body_bytes


def get(host: str, port: int, path: str, headers: dict[str, str] | None = None,
        timeout: float = 10.0) -> WireResponse:  # fmt: skip
    """GET `path` with `Connection: close` and read until the server closes."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    chunks = []
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return parse(b"".join(chunks))


def parse(raw: bytes) -> WireResponse:
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("no end of headers in the response")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(status_line.split()[1])
    return WireResponse(status, len(head) + len(separator), len(body), headers, body)


ASSET_PATTERN = re.compile(
    r'<(?:link[^>]+rel="(?:stylesheet|icon)"[^>]*href|script[^>]+src)="([^"]+)"', re.IGNORECASE
)


def page_assets(html: str) -> list[str]:
    """The stylesheets, scripts and icons a page loads (images and media excluded)."""
    return list(dict.fromkeys(ASSET_PATTERN.findall(html)))
