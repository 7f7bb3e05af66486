"""The pages benchmark: on a seeded gallery (10,000 generations by 20 members), the studio page,
each further gallery page and the live-update request, timed in process and counted in SQL
queries; then what a first load of the studio page transfers from gunicorn."""

from __future__ import annotations

import json
from pathlib import Path

from . import wire
from .figures import Figure
from .gallery import LIVE_UPDATE_HEADERS, live_update_path, seeded_stack, session_cookie
from .processes import Stack


def run(folder: Path, *, generations: int, members: int, gallery: Path | None = None):
    stack = seeded_stack(gallery or folder.parent / "gallery", generations=generations,
                         members=members)  # fmt: skip
    out = folder / "probe.json"
    folder.mkdir(parents=True, exist_ok=True)
    stack.python("-m", "tooling.benchmarks.pages_probe", "measure", str(out))
    probe = json.loads(out.read_text())
    cookie = session_cookie(stack)
    stack.start_web()
    try:
        transfer = first_load(stack, cookie)
        updates = live_update_on_the_wire(stack, cookie)
    finally:
        stack.stop()
    details = {"probe": probe, "first_load": transfer, "updates_on_the_wire": updates}
    return figures(probe, transfer, updates), notes(probe, transfer), details


def first_load(stack: Stack, cookie: str) -> dict:
    """The studio page and every stylesheet, script and icon it loads, as a browser that accepts
    gzip and brotli receives them (clips and posters excluded)."""
    headers = {"Cookie": f"sessionid={cookie}", "Accept-Encoding": wire.ACCEPT_ENCODING}
    page = wire.get("127.0.0.1", stack.port, "/", headers)
    if page.status != 200:
        raise RuntimeError(f"the studio page answered {page.status}")
    files = {"/": describe(page)}
    for path in wire.page_assets(page.body.decode()):
        files[path] = describe(wire.get("127.0.0.1", stack.port, path, headers))
    return {"files": files, "total_bytes": sum(f["bytes"] for f in files.values())}


def describe(response: wire.WireResponse) -> dict:
    return {
        "status": response.status,
        "bytes": response.total_bytes,
        "header_bytes": response.header_bytes,
        "encoding": response.headers.get("content-encoding", "identity"),
    }


def live_update_on_the_wire(stack: Stack, cookie: str) -> dict:
    from datetime import UTC, datetime

    path = live_update_path(datetime.now(UTC).isoformat())
    headers = {"Cookie": f"sessionid={cookie}", **LIVE_UPDATE_HEADERS,
               "Accept-Encoding": wire.ACCEPT_ENCODING}  # fmt: skip
    response = wire.get("127.0.0.1", stack.port, path, headers)
    return {**describe(response), "headers": response.headers}


def figures(probe: dict, transfer: dict, updates: dict) -> list[Figure]:
    queries = probe["queries"]
    studio_counts = sorted(set(queries["studio"].values()))
    page_counts = sorted(set(queries["gallery_page"].values()))
    sizes = "/".join(queries["studio"])
    return [
        Figure("pages: studio", "SQL queries", max(studio_counts), "queries", 10,
               note=same_count_note(studio_counts, sizes)),
        Figure("pages: studio", "server time p50", probe["studio"]["p50"], "ms", 60),
        Figure("pages: gallery page", "SQL queries", max(page_counts), "queries", 10,
               note=same_count_note(page_counts, sizes)),
        Figure("pages: gallery page", "server time p50", probe["gallery_pages"]["p50"], "ms", 60,
               note=f"pages 2–{probe['gallery_pages']['pages']}"),
        Figure("pages: gallery page", "server time p50, page 21", probe["deep_page"]["p50"],
               "ms", 60),
        Figure("pages: live update (nothing changed)", "SQL queries", queries["updates"],
               "queries", 3),
        Figure("pages: live update (nothing changed)", "server time p50", probe["updates"]["p50"],
               "ms", 10),
        Figure("pages: live update (nothing changed)", "bytes on the wire", updates["bytes"],
               "bytes", 300, note=f"answered {updates['status']}, headers included"),
        Figure("pages: first load", "HTML + CSS + JS + icon transferred",
               round(transfer["total_bytes"] / 1024, 1), "KB", 200,
               note=", ".join(f"{path.rsplit('/', 1)[-1] or 'page'} {f['bytes'] / 1024:.1f} KB "
                              f"{f['encoding']}" for path, f in transfer["files"].items())),
    ]  # fmt: skip


def same_count_note(counts: list[int], sizes: str) -> str:
    if len(counts) == 1:
        return f"the same at page sizes {sizes}"
    return f"DIFFERS with page size ({sizes}): {counts}"


def notes(probe: dict, transfer: dict) -> list[str]:
    return [
        f"Gallery: {probe['generations']:,} generations seeded by `seed_gallery` (20 members); "
        f"logged in as member1, page size {probe['page_size']}.",
        "Server time: Django's test client in process (every middleware, the real SQLite "
        "database, no network), after warm-up; p50 of 40 requests for the studio page, of every "
        "further page 2–21 in 4 rounds, and of 300 live-update requests.",
        "SQL queries: counted with CaptureQueriesContext, at page sizes 6, 24 and 96 (the "
        "view's PAGE_SIZE patched), which must give the same count.",
        "Live update: `GET /gallery/updates/?who=everyone&status=&resolution=&q=&since=<now>` "
        "as the page's htmx sends it, answered 204; bytes "
        "counted on the socket from gunicorn, status line and headers included.",
        "First load: the studio page and every stylesheet, script and icon it links, fetched "
        "from gunicorn with `Accept-Encoding: gzip, deflate, br` and counted on the socket "
        f"(headers included). Static files came {static_encodings(transfer)} as whitenoise "
        f"pre-compressed them at collectstatic ({brotli_note()}); the HTML came "
        f"{transfer['files']['/']['encoding']} (no compression middleware).",
    ]


def static_encodings(transfer: dict) -> str:
    found = {f["encoding"] for path, f in transfer["files"].items() if path != "/"}
    return " and ".join(sorted(found)) or "none"


def brotli_note() -> str:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "gzip only: whitenoise makes .br files only when the `brotli` package is installed"
    return "gzip and brotli"
