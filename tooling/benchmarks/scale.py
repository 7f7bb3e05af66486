"""The scale benchmark (issue #14): a gallery of 100,000 clips by 50 members, with stars and 200
boards (seed_gallery), once on SQLite and once on PostgreSQL. The studio page, searches, a board
page and filtered gallery pages, each timed in process and counted in SQL queries at three page
sizes (scale_probe.py); each page's slowest query is kept with its plan."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .figures import Figure
from .playable import measured_commit
from .processes import Stack

DATABASES = ("sqlite", "postgresql")
# The PostgreSQL database the run makes (and drops) on the server POSTGRES_URL names.
POSTGRES_DATABASE = "hailuo_bench_scale"
# Pages the issue sets targets for (the others are measured beside them, to the same target).
TARGET_MS = 60
QUERY_LIMIT = 10  # as for the pages at 10,000 clips


def run(folder: Path, *, generations: int, members: int, stars: int, boards: int,
        board_clips: int, postgres_url: str) -> tuple[list[Figure], list[str], dict]:  # fmt: skip
    seeding = ["--generations", str(generations), "--members", str(members), "--stars",
               str(stars), "--boards", str(boards), "--board-clips", str(board_clips)]  # fmt: skip
    measured: dict[str, dict] = {}
    for database in DATABASES:
        try:
            measured[database] = measure_on(database, folder / database, seeding, postgres_url)
        except DatabaseMissing as missing:
            measured[database] = {"missing": str(missing)}
    details = {"databases": measured, "seeding": seeding, "commit": measured_commit()}
    return figures(measured), notes(measured, details), details


class DatabaseMissing(Exception):
    """PostgreSQL is not there to measure: its figures say so instead."""


def measure_on(database: str, folder: Path, seeding: list[str], postgres_url: str) -> dict:
    url = fresh_postgres_database(postgres_url) if database == "postgresql" else ""
    stack = Stack(folder, DATABASE_URL=url) if url else Stack(folder)
    try:
        stack.prepare()
        stack.manage("seed_gallery", *seeding, timeout=1800)
        if database == "postgresql":
            vacuum(url)
        out = folder / "probe.json"
        stack.python("-m", "tooling.benchmarks.scale_probe", "measure", str(out), timeout=1800)
        return json.loads(out.read_text())
    finally:
        if database == "postgresql":
            drop_postgres_database(postgres_url)


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def fresh_postgres_database(server_url: str) -> str:
    import psycopg

    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    except psycopg.OperationalError as error:
        raise DatabaseMissing(f"no PostgreSQL at {server_url}: {error}".strip()) from None
    return database_url(server_url, POSTGRES_DATABASE)


def vacuum(url: str) -> None:
    """What autovacuum does soon after a bulk load: the planner's statistics, a clean GIN index."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def drop_postgres_database(server_url: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')


def part_name(database: str, page: str) -> str:
    return f"100k clips, {'SQLite' if database == 'sqlite' else 'PostgreSQL'}: {page}"


def figures(measured: dict[str, dict]) -> list[Figure]:
    found: list[Figure] = []
    for database in DATABASES:
        result = measured.get(database, {})
        if "missing" in result or not result:
            why = result.get("missing", "not measured")
            found.append(Figure(part_name(database, "every page"), "server time p50", None, "ms",
                                TARGET_MS, note=why))  # fmt: skip
            continue
        for page, data in result["pages"].items():
            part = part_name(database, page)
            counts = sorted(set(data["queries"].values()))
            sizes = "/".join(data["queries"])
            constant = len(counts) == 1
            found += [
                Figure(part, "SQL queries", counts[0] if constant else None, "queries",
                       QUERY_LIMIT, note=f"the same at page sizes {sizes}" if constant
                       else f"DIFFERS with page size ({sizes}): {counts}"),
                Figure(part, "server time p50", data["timings"]["p50"], "ms", TARGET_MS,
                       note=f"{data['timings']['cards']} cards"),
                Figure(part, "server time p90", data["timings"]["p90"], "ms",
                       note=f"slowest query {slowest_ms(data)} ms"),
            ]  # fmt: skip
    return found


def slowest_ms(data: dict) -> float | None:
    return data["slowest"][0]["ms"] if data.get("slowest") else None


def short_plan(lines: list[str], vendor: str) -> str:
    """A plan on one line: SQLite's steps; PostgreSQL's nodes without their costs."""
    if vendor == "sqlite":
        return "; ".join(lines)
    nodes = []
    for line in lines:
        text = line.strip().removeprefix("->").strip()
        if not text or text[0].islower() or ":" in text.split("(")[0]:
            continue  # details under a node (Filter:, Index Cond:, Sort Key:, timings)
        nodes.append(text.split("  (")[0])
    return " → ".join(nodes)


def notes(measured: dict[str, dict], details: dict) -> list[str]:
    lines = [
        f"Commit measured: {details['commit']}. Seeded by `seed_gallery "
        f"{' '.join(details['seeding'])}` into a fresh studio per database (SQLite as "
        "`make run` makes it; PostgreSQL a database of its own on the local server, "
        "`VACUUM ANALYZE`d after the load, as autovacuum would soon do).",
        "Server time: Django's test client in process (every middleware, no network), logged "
        "in as member1, after 5 warm-up requests; p50 and p90 of 40 requests per page. SQL "
        "queries: counted with CaptureQueriesContext at page sizes 6, 24 and 96 (the gallery's "
        "and the board page's PAGE_SIZE patched); a count that differs is a miss.",
    ]
    for database in DATABASES:
        result = measured.get(database, {})
        if "gallery" in result:
            g = result["gallery"]
            lines.append(
                f"{database}: {g['generations']:,} clips, {g['prompts']:,} prompts, "
                f"{g['stars']:,} stars ({g['viewer_stars']} of them member1's), "
                f"{g['boards']} boards."
            )
    first = next((m for m in measured.values() if "pages" in m), None)
    if first:
        lines.append("Pages: " + "; ".join(f"{name}: {page['what']} (`{page['url']}`)"
                                           for name, page in first["pages"].items()) + ".")  # fmt: skip
    for database in DATABASES:
        result = measured.get(database, {})
        for name, page in result.get("pages", {}).items():
            plans = [f"{query['ms']:.1f} ms: {short_plan(query['plan'], result['vendor'])}"
                     for query in page.get("slowest", [])]  # fmt: skip
            if plans:
                lines.append(f"Plans, {database}, {name} (its slowest queries): "
                             + " | ".join(plans))  # fmt: skip
    return lines
