"""Run inside a seeded benchmark studio (`python -m tooling.benchmarks.pages_probe ...`):
times the studio's pages in process, with every middleware, and counts their SQL queries.

    pages_probe measure OUT.json     the studio page, further gallery pages, the live update
    pages_probe session USERNAME     prints a session cookie value for that member
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import django

HTMX = {"HTTP_HX_REQUEST": "true"}
LIVE_UPDATE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "gallery-live"}
WARMUP = 5
REPEATS = 40
PAGES_DEEP = 20
UPDATES_REPEATS = 300
PAGE_SIZES = (6, 24, 96)


def main(argv: list[str]) -> None:
    django.setup()
    command, argument = argv[0], argv[1]
    if command == "session":
        print(logged_in(argument).cookies["sessionid"].value)
    elif command == "measure":
        Path(argument).write_text(json.dumps(measure(), indent=1))
    else:
        raise SystemExit(__doc__)


def logged_in(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def measure() -> dict:
    from django.utils import timezone

    from generations.views import studio

    from .gallery import live_update_path

    client = logged_in("member1")
    pages = cursor_chain(client, PAGES_DEEP)
    updates_url = live_update_path(timezone.now().isoformat())
    result = {
        "studio": timed(client, "/", {}, REPEATS),
        "gallery_pages": timed_pages(client, pages),
        "deep_page": timed(client, pages[-1], HTMX, REPEATS),
        "updates": timed(client, updates_url, LIVE_UPDATE, UPDATES_REPEATS),
        "queries": {
            "studio": {size: queries_with_page_size(client, "/", {}, size) for size in PAGE_SIZES},
            "gallery_page": {
                size: queries_with_page_size(client, pages[1], HTMX, size) for size in PAGE_SIZES
            },
            "updates": query_count(client, updates_url, LIVE_UPDATE)[0],
        },
        "updates_status": client.get(updates_url, **LIVE_UPDATE).status_code,
        "page_size": studio.PAGE_SIZE,
        "generations": gallery_size(),
    }
    result["query_log"] = {
        "studio": query_count(client, "/", {})[1],
        "gallery_page": query_count(client, pages[1], HTMX)[1],
        "updates": query_count(client, updates_url, LIVE_UPDATE)[1],
    }
    return result


def cursor_chain(client, count: int) -> list[str]:
    """The URLs of the gallery's pages 2, 3, … as "Load more" asks for them."""
    import re
    from html import unescape

    urls = []
    html = client.get("/").content.decode()
    for _ in range(count):
        found = re.search(r'class="load-more" hx-get="([^"]+)"', html)
        if not found:
            break
        urls.append(unescape(found.group(1)))
        html = client.get(urls[-1], **HTMX).content.decode()
    return urls


def timed(client, url: str, headers: dict, repeats: int) -> dict:
    from .stats import summary

    for _ in range(WARMUP):
        client.get(url, **headers)
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        response = client.get(url, **headers)
        seconds.append(time.perf_counter() - began)
    figures = summary([s * 1000 for s in seconds])
    figures["status"] = response.status_code
    figures["body_bytes"] = len(response.content)
    return figures


def timed_pages(client, urls: list[str]) -> dict:
    """Each further page once per round, several rounds: every page counts, cache warm or not."""
    from .stats import summary

    seconds = []
    for _ in range(max(1, REPEATS // 10)):
        for url in urls:
            began = time.perf_counter()
            client.get(url, **HTMX)
            seconds.append(time.perf_counter() - began)
    figures = summary([s * 1000 for s in seconds])
    figures["pages"] = len(urls) + 1
    return figures


@contextmanager
def page_size(size: int):
    from generations.views import studio

    before = studio.PAGE_SIZE
    studio.PAGE_SIZE = size
    try:
        yield
    finally:
        studio.PAGE_SIZE = before


def queries_with_page_size(client, url: str, headers: dict, size: int) -> int:
    with page_size(size):
        return query_count(client, url, headers)[0]


def query_count(client, url: str, headers: dict) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    return len(captured), [query["sql"][:200] for query in captured.captured_queries]


def gallery_size() -> int:
    from generations.models import Generation

    return Generation.objects.count()


if __name__ == "__main__":
    main(sys.argv[1:])
