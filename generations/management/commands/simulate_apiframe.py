"""`manage.py simulate_apiframe`: the built-in Apiframe simulator (apiframe_simulator), started
with the studio's own port, key and data folder; every other option is the simulator's."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apiframe_simulator.__main__ import main


class Command(BaseCommand):
    help = "Serve a local Apiframe that speaks the hailuo-2.3-fast contract and renders real clips."

    def run_from_argv(self, argv: list[str]) -> None:
        # The simulator parses its own options (see `python -m apiframe_simulator --help`).
        status = main(
            argv[2:],
            port=settings.SIMULATOR_PORT,
            api_key=settings.SIMULATOR_API_KEY,
            data_dir=Path(settings.VAR_DIR) / "simulator",
        )
        if status:
            sys.exit(status)
