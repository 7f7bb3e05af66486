"""The throughput benchmark: the live-update endpoint (nothing changed, 204) under gunicorn as the
Procfile runs it, against bare Django views (bench_urls) in the same run, on the seeded gallery.
They are measured in turns, round after round, so a change in the machine's load falls on all."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from . import loadgen, wire
from .bench_urls import BARE_PATH, PUBLIC_BARE_PATH
from .figures import Figure
from .gallery import LIVE_UPDATE_HEADERS, live_update_path, seeded_stack, session_cookie
from .stats import percentile

CONNECTIONS = 8  # gunicorn's 2 workers x 4 threads
ROUNDS = 3
WARMUP_SECONDS = 2.0


def run(folder: Path, *, generations: int, members: int, seconds: float,
        gallery: Path | None = None):  # fmt: skip
    stack = seeded_stack(gallery or folder.parent / "gallery", generations=generations,
                         members=members)  # fmt: skip
    cookie = session_cookie(stack)
    headers = {"Cookie": f"sessionid={cookie}", **LIVE_UPDATE_HEADERS}
    paths = {
        "updates": live_update_path(datetime.now(UTC).isoformat()),
        "bare": BARE_PATH,
        "bare_public": PUBLIC_BARE_PATH,
    }
    stack.start_web()
    try:
        for name, path in paths.items():
            status = wire.get("127.0.0.1", stack.port, path, headers).status
            if status != 204:
                raise RuntimeError(f"{name} answered {status}, not 204")
            load(stack.url + path, WARMUP_SECONDS, headers)
        loads: dict[str, list[loadgen.Load]] = {name: [] for name in paths}
        cpu: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(ROUNDS):
            for name, path in paths.items():
                before = stack.cpu_seconds("web")
                loads[name].append(load(stack.url + path, seconds, headers))
                used = stack.cpu_seconds("web") - before
                cpu[name].append(used / max(1, loads[name][-1].requests))
    finally:
        stack.stop()
    details: dict = {name: [asdict(each) for each in runs] for name, runs in loads.items()}
    details["gunicorn_cpu_ms_per_request"] = {
        name: [round(value * 1000, 3) for value in values] for name, values in cpu.items()
    }
    return figures(loads, cpu), notes(loads, seconds), details


def load(url: str, seconds: float, headers: dict[str, str]) -> loadgen.Load:
    return loadgen.run(url, seconds=seconds, connections=CONNECTIONS, headers=headers)


def figures(loads: dict[str, list[loadgen.Load]], cpu: dict[str, list[float]]) -> list[Figure]:
    rates = {
        name: median([each.requests_per_second for each in runs]) for name, runs in loads.items()
    }
    cpu_ms = {name: median(values) * 1000 for name, values in cpu.items()}
    errors = sum(each.errors for runs in loads.values() for each in runs)

    def p50(name: str) -> str:
        latency = median([each.latency_p50_ms or 0.0 for each in loads[name]])
        return f"p50 {latency:.1f} ms"

    def ratio(baseline: str) -> float | None:
        return rates["updates"] / rates[baseline] if rates[baseline] else None

    return [
        Figure("throughput", "live update, requests per second", round(rates["updates"]), "req/s",
               note=p50("updates")),
        Figure("throughput", "bare view (needs login, like every studio view), requests per second",
               round(rates["bare"]), "req/s", note=p50("bare")),
        Figure("throughput", "bare view exempt from login (Django's floor), requests per second",
               round(rates["bare_public"]), "req/s", note=p50("bare_public")),
        Figure("throughput", "live update ÷ bare view", ratio("bare"), "×", 0.5, kind="min",
               note=f"{errors} errors" if errors else ""),
        Figure("throughput", "live update ÷ bare view exempt from login", ratio("bare_public"),
               "×"),
        Figure("throughput", "gunicorn CPU per request, live update", cpu_ms["updates"], "ms",
               note=f"bare view {cpu_ms['bare']:.2f} ms, exempt from login "
                    f"{cpu_ms['bare_public']:.2f} ms"),
    ]  # fmt: skip


def notes(loads: dict[str, list[loadgen.Load]], seconds: float) -> list[str]:
    tool = next(iter(loads.values()))[0].tool
    return [
        f"Load: {tool} from loopback, {CONNECTIONS} keep-alive connections (gunicorn's 2 workers × "
        f"4 threads), {ROUNDS} rounds of {seconds:g} s per URL in turns after a "
        f"{WARMUP_SECONDS:g} s warm-up each; the median round counts. The load generator shares "
        "the 2 cores with gunicorn (and with whatever else the machine runs).",
        "gunicorn CPU per request: the CPU time of gunicorn's process tree (from /proc) over a "
        "round, divided by its requests; unlike requests per second it hardly moves with the "
        "machine's other load.",
        "Every request carries the same session cookie and HX-Request header and goes through "
        "every middleware. The bare views (tooling/benchmarks/bench_urls.py, served only under "
        "the benchmarks' settings) answer 204 and nothing else: the first, like every studio "
        "view, needs a logged-in member (LoginRequiredMiddleware: the session and the user, 2 "
        "queries); the second is exempt and touches no database.",
        "Live update: `GET /gallery/updates/?who=everyone&status=&resolution=&q=&since=<start of "
        "the run>` (what the page's htmx sends) on the seeded gallery, "
        "answered 204 (nothing changed).",
    ]


def median(values: list[float]) -> float:
    return percentile(values, 0.5) or 0.0
