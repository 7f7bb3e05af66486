"""`python -m apiframe_simulator`: serve a local Apiframe until Ctrl-C (or SIGTERM).

The simulator's one entry point. The studio's offline mode starts it through
`manage.py simulate_apiframe`, which only fills in the studio's port, key and data folder."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from .clips import RENDER_MODES
from .faults import REFUSE_AT_SUBMIT, REQUIRE_IMAGE_SHAPES
from .server import RESULT_SHAPES, SimulatorServer

DEFAULT_JOB_SECONDS = 15.0
# --realistic: the product page's "about 90 s per generation", give or take 30%.
REALISTIC_JOB_SECONDS = 90.0
REALISTIC_SPREAD = 0.3


def parser(*, port: int = 8765, api_key: str = "afk_demo", data_dir: Path | None = None):
    options = argparse.ArgumentParser(
        prog="apiframe_simulator",
        description="Serve a local Apiframe that speaks the hailuo-2.3-fast contract and renders "
        "real clips.",
    )
    options.add_argument("--host", default="127.0.0.1")
    options.add_argument("--port", type=int, default=port)
    options.add_argument("--api-key", default=api_key)
    options.add_argument(
        "--job-seconds",
        type=float,
        help=f"how long a job takes (default {DEFAULT_JOB_SECONDS:g}, "
        f"or {REALISTIC_JOB_SECONDS:g} with --realistic)",
    )
    options.add_argument(
        "--realistic", action="store_true", help="jobs take about 90 s, each a little more or less"
    )
    options.add_argument(
        "--data-dir",
        type=Path,
        default=data_dir or Path("var") / "simulator",
        help="where job records and clips are kept (survive restarts)",
    )
    options.add_argument("--retention-seconds", type=float, default=86400.0)
    options.add_argument("--credits", type=int, default=10000, help="the team's initial balance")
    options.add_argument("--seed", type=int, help="make ids, timings and random faults repeatable")
    options.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability of a random transient fault (429, 500, 503, slow, drop, malformed) "
        "per API request",
    )
    options.add_argument(
        "--render",
        choices=RENDER_MODES,
        default="full",
        help="cached: render one clip per size and length and serve copies (for benchmarks)",
    )
    options.add_argument("--result-shape", choices=RESULT_SHAPES, default="videoUrl")
    options.add_argument(
        "--require-image",
        nargs="?",
        choices=REQUIRE_IMAGE_SHAPES,
        const=REFUSE_AT_SUBMIT,
        help="refuse clips without a first frame, as an image-to-video model would: with a 400 "
        "at submit naming hailuoParams.image (submit, the default), or with a job that fails "
        "saying so and costs nothing (job)",
    )
    return options


def main(argv: Sequence[str] | None = None, **defaults) -> int:
    cli = parser(**defaults)
    options = cli.parse_args(argv)
    if not 0 <= options.fault_rate <= 1:
        cli.error("--fault-rate is a probability, between 0 and 1")
    job_seconds = options.job_seconds
    if job_seconds is None:
        job_seconds = REALISTIC_JOB_SECONDS if options.realistic else DEFAULT_JOB_SECONDS
    server = SimulatorServer(
        options.host,
        options.port,
        api_key=options.api_key,
        data_dir=options.data_dir,
        job_seconds=job_seconds,
        job_spread=REALISTIC_SPREAD if options.realistic else 0.0,
        retention_seconds=options.retention_seconds,
        credits=options.credits,
        seed=options.seed,
        fault_rate=options.fault_rate,
        render_mode=options.render,
        result_shape=options.result_shape,
        require_image=options.require_image,
    )
    stop = threading.Event()
    # Ctrl-C, and SIGTERM from honcho or a service manager, both stop cleanly; SIGINT is
    # installed explicitly since a shell's background jobs inherit it ignored.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stop.set())
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 1
    refusing = f", refusing clips without an image ({options.require_image})"
    print(
        f"Apiframe simulator listening on {server.url} (jobs take {job_seconds:g} s, "
        f"render {options.render}, data in {options.data_dir}"
        f"{refusing if options.require_image else ''})",
        flush=True,
    )
    try:
        while not stop.wait(1.0):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
