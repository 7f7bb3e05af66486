"""Loopback load for a fixed time: wrk when it is installed (Debian's `wrk`), else a small Python
generator (threads with keep-alive connections), which is weaker and says so in the report."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass

from .stats import percentile


@dataclass(frozen=True)
class Load:
    tool: str
    requests: int
    seconds: float
    requests_per_second: float
    latency_p50_ms: float | None
    errors: int  # non-2xx/3xx answers and socket errors


def run(url: str, *, seconds: float, connections: int, headers: dict[str, str]) -> Load:
    if shutil.which("wrk"):
        return run_wrk(url, seconds=seconds, connections=connections, headers=headers)
    return run_python(url, seconds=seconds, connections=connections, headers=headers)


def run_wrk(url: str, *, seconds: float, connections: int, headers: dict[str, str]) -> Load:
    command = ["wrk", "--latency", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Load:
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if not (total and rate):
        raise ValueError(f"cannot read wrk's output:\n{output}")
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Load(
        tool="wrk",
        requests=int(total.group(1)),
        seconds=to_seconds(float(total.group(2)), total.group(3)),
        requests_per_second=float(rate.group(1)),
        latency_p50_ms=to_seconds(float(p50.group(1)), p50.group(2)) * 1000 if p50 else None,
        errors=errors,
    )


def to_seconds(value: float, unit: str) -> float:
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_python(url: str, *, seconds: float, connections: int, headers: dict[str, str]) -> Load:
    match = re.fullmatch(r"http://([^/:]+):(\d+)(/.*)", url)
    if not match:
        raise ValueError(f"only http://host:port/path URLs: {url}")
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=5)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=5)
                continue
            mine.append(time.perf_counter() - began)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    p50 = percentile(latencies, 0.5)
    return Load(
        tool="python",
        requests=len(latencies),
        seconds=elapsed,
        requests_per_second=len(latencies) / elapsed if elapsed else 0.0,
        latency_p50_ms=p50 * 1000 if p50 is not None else None,
        errors=errors[0],
    )
