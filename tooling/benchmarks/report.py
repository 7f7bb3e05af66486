"""docs/benchmarks.md and docs/benchmarks.json: every figure beside its target, with the machine,
the date, the command and the load it ran under. A part run alone replaces only its own section."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import django

from .figures import Figure, format_number

TITLE = "# Benchmarks"
# In the report's order; each selectable alone with `--only`.
PARTS = ("pipeline", "pages", "throughput", "playable", "scale", "zip", "reels")


def machine() -> dict:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def part_record(figures: list[Figure], *, started: datetime, load_before: list[float],
                notes: list[str], details: dict) -> dict:  # fmt: skip
    return {
        "measured_at": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "load_before": load_before,
        "load_after": load_average(),
        "figures": [figure.as_json() for figure in figures],
        "notes": notes,
        "details": details,
    }


def merge(previous: dict | None, parts: dict[str, dict], *, command: str) -> dict:
    """This run's parts over the previous report's (a part run alone keeps the others)."""
    kept = dict((previous or {}).get("parts", {}))
    kept.update(parts)
    return {
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": machine(),
        "parts": {name: kept[name] for name in PARTS if name in kept},
    }


def read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write(report: dict, markdown_path: Path, json_path: Path) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    markdown_path.write_text(render_markdown(report))


def render_markdown(report: dict) -> str:
    box = report["machine"]
    lines = [
        TITLE,
        "",
        "Written by `make bench` (`manage.py run_benchmarks`); the figures are also in "
        "[benchmarks.json](benchmarks.json). Timings depend on the machine and its load: they "
        "belong here, never in pass/fail tests. Targets once missed, what profiling found and "
        "the figures before and after each fix: [benchmark-fixes.md](benchmark-fixes.md).",
        "",
        f"- Command: `{report['command']}`",
        f"- Written: {report['written_at']}",
        f"- Machine: {box['cpu']}, {box['cores']} cores, {box['memory_gb']} GB; {box['os']}; "
        f"Python {box['python']}, Django {box['django']}",
        "",
        "| Part | Figure | Value | Target | Met | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for part in report["parts"].values():
        for data in part["figures"]:
            figure = Figure.from_json(data)
            value = f"{format_number(figure.value)} {figure.unit}".strip()
            met = {True: "yes", False: "**no**", None: ""}[figure.met]
            lines.append(
                f"| {figure.part} | {figure.name} | {value} | {figure.target} | {met} "
                f"| {figure.note} |"
            )
    for name, part in report["parts"].items():
        lines += [
            "",
            f"## {name}",
            "",
            f"Measured {part['measured_at']} in {part['seconds']:g} s; load average before "
            f"{' / '.join(map(str, part['load_before']))}, after "
            f"{' / '.join(map(str, part['load_after']))} (1 / 5 / 15 min).",
            "",
        ]
        lines += [f"- {note}" for note in part["notes"]]
    return "\n".join(lines) + "\n"
