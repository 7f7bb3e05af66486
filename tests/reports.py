"""Figures some slow tests measure (latencies, recovery times): printed, and kept as Markdown.

Reports go to var/reports/ (ignored by git), or to STUDIO_REPORT_DIR: `make load-test` points it
at docs/ so the committed figures always come with the command that produced them.
"""

import contextlib
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def report_dir() -> Path:
    folder = Path(os.environ.get("STUDIO_REPORT_DIR") or ROOT / "var" / "reports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def database_label() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "PostgreSQL" if url.startswith(("postgres://", "postgresql://")) else "SQLite"


def machine_label() -> str:
    """When and where: figures from a shared or busy machine say so through the load average."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    return (
        f"{now}, {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs "
        f"(load average {load:.1f} at the end), Python {platform.python_version()}"
    )


def publish(request: pytest.FixtureRequest, name: str, markdown: str) -> Path:
    """Write `<name>.md` and show it in the test run's output, captured or not."""
    path = report_dir() / f"{name}.md"
    path.write_text(markdown)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(f"\n{markdown}\n(written to {path})")
    return path
