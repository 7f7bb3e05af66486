"""`manage.py run_benchmarks` (`make bench`): measure the studio against its performance targets
and write docs/benchmarks.md and docs/benchmarks.json. The harness is tooling/benchmarks/."""

from __future__ import annotations

import shlex
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tooling.benchmarks import pages, pipeline, pipeline_report, playable, report, scale, throughput
from tooling.benchmarks import reels as reel_stitching
from tooling.benchmarks import zips as zip_streams

PARTS = report.PARTS


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


class Command(BaseCommand):
    help = "Run the benchmarks (each in a temporary studio of its own) and write docs/benchmarks.*"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--only",
            choices=PARTS,
            action="append",
            help="run this part only (repeatable); the others keep their results",
        )
        parser.add_argument(
            "--generations", type=int, default=200, help="pipeline: generations asked for at once"
        )
        parser.add_argument(
            "--job-seconds",
            type=float,
            default=20.0,
            help="pipeline: how long the simulator takes per job",
        )
        parser.add_argument(
            "--modes",
            default=",".join(pipeline.MODES),
            help="pipeline: which ways to run (polling,webhooks,naive)",
        )
        parser.add_argument(
            "--naive-cap",
            type=float,
            default=120.0,
            help="pipeline: stop starting naive jobs after this many seconds and "
            "project the makespan (0: run them all, ~18 minutes)",
        )
        parser.add_argument(
            "--gallery", type=int, default=10_000, help="pages: generations in the seeded gallery"
        )
        parser.add_argument("--members", type=int, default=20, help="pages: seeded members")
        parser.add_argument(
            "--seconds",
            type=float,
            default=6.0,
            help="throughput: seconds of load per round and URL (3 rounds of 3 URLs)",
        )
        parser.add_argument(
            "--sequential", type=int, default=4,
            help="playable: clips submitted one at a time, each once the last is playable",
        )  # fmt: skip
        parser.add_argument(
            "--concurrent", type=int, default=4,
            help="playable: clips submitted in a row after those, all in flight at once",
        )  # fmt: skip
        parser.add_argument(
            "--playable-job-seconds", type=float, default=6.0,
            help="playable: how long the simulator takes per job",
        )  # fmt: skip
        parser.add_argument(
            "--label", default="",
            help="playable: what this run measures, kept with its figures in the report's "
            "history (e.g. 'before the polling change')",
        )  # fmt: skip
        parser.add_argument(
            "--scale-gallery", type=int, default=100_000,
            help="scale: generations seeded (with --scale-members, 20,000 stars, 200 boards)",
        )  # fmt: skip
        parser.add_argument("--scale-members", type=int, default=50, help="scale: members seeded")
        parser.add_argument(
            "--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
            help="scale: the PostgreSQL server to measure on (a database of its own is made "
            "and dropped there)",
        )  # fmt: skip
        parser.add_argument(
            "--out",
            type=Path,
            default=Path(settings.BASE_DIR) / "docs",
            help="folder for benchmarks.md and benchmarks.json",
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="keep the temporary studios (logs, databases) for inspection",
        )

    def handle(self, *args, **options) -> None:
        parts = options["only"] or list(PARTS)
        command = "make bench" if not options["only"] and len(sys.argv) <= 2 else (
            "manage.py " + shlex.join(sys.argv[1:]))  # fmt: skip
        # Stopped from outside (SIGTERM, or SIGINT even where a shell ignores it in background
        # jobs): unwind, so every process the benchmarks started is stopped on the way out.
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, interrupted)
        root = Path(tempfile.mkdtemp(prefix="hailuo-bench-"))
        self.stdout.write(f"Benchmarks in {root} (load average {report.load_average()})")
        results = {}
        try:
            for part in parts:
                begun, load = datetime.now(UTC), report.load_average()
                clock = time.monotonic()
                self.stdout.write(f"→ {part} …")
                self.stdout.flush()
                figures, notes, details = getattr(self, f"run_{part}")(root / part, options)
                results[part] = report.part_record(
                    figures, started=begun, load_before=load, notes=notes, details=details
                )
                for figure in figures:
                    mark = {True: "ok ", False: "MISS", None: "   "}[figure.met]
                    self.stdout.write(f"  {mark} {figure.part}: {figure.name} = "
                                      f"{figure.value!r} {figure.unit} {figure.target}")  # fmt: skip
                self.stdout.write(f"  ({time.monotonic() - clock:.0f} s)")
        finally:
            if not options["keep"]:
                import shutil

                shutil.rmtree(root, ignore_errors=True)
        out: Path = options["out"]
        json_path, markdown_path = out / "benchmarks.json", out / "benchmarks.md"
        written = report.merge(report.read(json_path), results, command=command)
        report.write(written, markdown_path, json_path)
        self.stdout.write(f"Wrote {markdown_path} and {json_path}")

    def run_pipeline(self, folder: Path, options: dict):
        modes = [mode.strip() for mode in options["modes"].split(",") if mode.strip()]
        runs = pipeline.run(
            folder, count=options["generations"], job_seconds=options["job_seconds"],
            naive_cap=options["naive_cap"], modes=modes,
        )  # fmt: skip
        return (
            pipeline_report.figures(runs, job_seconds=options["job_seconds"]),
            pipeline_report.NOTES,
            runs,
        )

    def run_pages(self, folder: Path, options: dict):
        return pages.run(folder, generations=options["gallery"], members=options["members"])

    def run_playable(self, folder: Path, options: dict):
        previous = report.read(options["out"] / "benchmarks.json") or {}
        return playable.run(
            folder, sequential=options["sequential"], concurrent=options["concurrent"],
            job_seconds=options["playable_job_seconds"], label=options["label"],
            previous=previous.get("parts", {}).get("playable"),
            command="manage.py " + shlex.join(sys.argv[1:]),
        )  # fmt: skip

    def run_throughput(self, folder: Path, options: dict):
        return throughput.run(
            folder, generations=options["gallery"], members=options["members"],
            seconds=options["seconds"],
        )  # fmt: skip

    def run_scale(self, folder: Path, options: dict):
        return scale.run(
            folder, generations=options["scale_gallery"], members=options["scale_members"],
            stars=options["scale_gallery"] // 5, boards=200, board_clips=50,
            postgres_url=options["postgres_url"],
        )  # fmt: skip

    def run_zip(self, folder: Path, options: dict):
        return zip_streams.run(folder)

    def run_reels(self, folder: Path, options: dict):
        return reel_stitching.run(folder)
