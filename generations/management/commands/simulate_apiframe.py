"""`manage.py simulate_apiframe`: run the built-in Apiframe simulator until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from generations.simulator import SimulatorServer
from generations.simulator.clips import RENDER_MODES
from generations.simulator.server import RESULT_SHAPES

DEFAULT_JOB_SECONDS = 15.0
# --realistic: the product page's "about 90 s per generation", give or take 30%.
REALISTIC_JOB_SECONDS = 90.0
REALISTIC_SPREAD = 0.3


class Command(BaseCommand):
    help = "Serve a local Apiframe that speaks the hailuo-2.3-fast contract and renders real clips."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.SIMULATOR_PORT)
        parser.add_argument("--api-key", default=settings.SIMULATOR_API_KEY)
        parser.add_argument(
            "--job-seconds",
            type=float,
            help=f"how long a job takes (default {DEFAULT_JOB_SECONDS:g}, "
            f"or {REALISTIC_JOB_SECONDS:g} with --realistic)",
        )
        parser.add_argument(
            "--realistic",
            action="store_true",
            help="jobs take about 90 s, each a little more or less",
        )
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=Path(settings.VAR_DIR) / "simulator",
            help="where job records and clips are kept (survive restarts)",
        )
        parser.add_argument("--retention-seconds", type=float, default=86400.0)
        parser.add_argument("--credits", type=int, default=10000, help="the team's initial balance")
        parser.add_argument(
            "--seed", type=int, help="make ids, timings and random faults repeatable"
        )
        parser.add_argument(
            "--fault-rate",
            type=float,
            default=0.0,
            help="probability of a random transient fault (429, 500, 503, slow, drop, malformed) "
            "per API request",
        )
        parser.add_argument(
            "--render",
            choices=RENDER_MODES,
            default="full",
            help="cached: render one clip per size and length and serve copies (for benchmarks)",
        )
        parser.add_argument("--result-shape", choices=RESULT_SHAPES, default="videoUrl")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["fault_rate"] <= 1:
            raise CommandError("--fault-rate is a probability, between 0 and 1")
        job_seconds = options["job_seconds"]
        if job_seconds is None:
            job_seconds = REALISTIC_JOB_SECONDS if options["realistic"] else DEFAULT_JOB_SECONDS
        server = SimulatorServer(
            options["host"],
            options["port"],
            api_key=options["api_key"],
            data_dir=options["data_dir"],
            job_seconds=job_seconds,
            job_spread=REALISTIC_SPREAD if options["realistic"] else 0.0,
            retention_seconds=options["retention_seconds"],
            credits=options["credits"],
            seed=options["seed"],
            fault_rate=options["fault_rate"],
            render_mode=options["render"],
            result_shape=options["result_shape"],
        )
        stop = threading.Event()
        # Ctrl-C, and SIGTERM from honcho or a service manager, both stop cleanly; SIGINT is
        # installed explicitly since a shell's background jobs inherit it ignored.
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: stop.set())
        try:
            server.start()
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        self.stdout.write(
            f"Apiframe simulator listening on {server.url} "
            f"(jobs take {job_seconds:g} s, render {options['render']}, "
            f"data in {options['data_dir']})"
        )
        self.stdout.flush()
        try:
            while not stop.wait(1.0):  # a timed wait keeps the main thread responsive to signals
                pass
        finally:
            server.stop()
