"""Run inside a studio seeded with 100,000 clips (`python -m tooling.benchmarks.scale_probe
measure OUT.json`): times the studio page, searches, a board page and filtered gallery pages in
process, with every middleware, counts their SQL queries at three page sizes and keeps the query
plan of each page's slowest query (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL)."""

from __future__ import annotations

import json
import re
import sys
import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import django

HTMX = {"HTTP_HX_REQUEST": "true"}
WARMUP = 5
REPEATS = 40
PAGE_SIZES = (6, 24, 96)
VIEWER = "member1"
# What the filters form sends through htmx (hx-include): its fields, "Starred" only when ticked.
FORM = {"who": "everyone", "member": "", "status": "", "resolution": "", "q": "", "board": "",
        "start": "", "end": ""}  # fmt: skip
# The searches: words of one seeded subject in 12 (about 8,000 clips), words two prompts in 400
# share (about 250 clips), and a word no prompt holds.
COMMON_WORDS, RARE_WORDS, NO_WORD = "neon car", "blizzard glacier", "zebra"
SEARCH_PAGES_DEEP = 10


def main(argv: list[str]) -> None:
    django.setup()
    if argv[:1] != ["measure"] or len(argv) != 2:
        raise SystemExit(__doc__)
    Path(argv[1]).write_text(json.dumps(measure(), indent=1))


def logged_in(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def gallery(**fields: str) -> str:
    return "/gallery/?" + urlencode({**FORM, **fields})


def pages(client) -> dict[str, dict]:
    """What is measured, by name: the URL, the headers, what it stands for."""
    from django.db.models import Count
    from django.utils import timezone

    from generations.models import Board

    board = Board.objects.annotate(clips=Count("items")).order_by("-clips", "pk").first()
    if board is None:
        raise SystemExit("the studio has no boards: seed it with --boards")
    today = timezone.localdate()
    month = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    search = gallery(q=COMMON_WORDS)
    return {
        "studio": {"url": "/", "headers": {}, "what": "the studio page, no filter"},
        "search": {"url": search, "headers": HTMX,
                   "what": f"the gallery searched for “{COMMON_WORDS}” as typing asks for it"},
        "search, rare words": {"url": gallery(q=RARE_WORDS), "headers": HTMX,
                               "what": f"searched for “{RARE_WORDS}”"},
        "search, no match": {"url": gallery(q=NO_WORD), "headers": HTMX,
                             "what": f"searched for “{NO_WORD}”, which no prompt holds"},
        f"search, page {SEARCH_PAGES_DEEP}": {
            "url": deep_page(client, search, SEARCH_PAGES_DEEP), "headers": HTMX,
            "what": f"“Load more” of the “{COMMON_WORDS}” search, page {SEARCH_PAGES_DEEP}"},
        "board page": {"url": board.get_absolute_url(), "headers": {},
                       "what": f"the board with the most clips ({board.clips}), its page"},
        "filtered gallery": {
            "url": gallery(member="member2", status="completed", resolution="768p", **month),
            "headers": HTMX,
            "what": "member2's completed 768p clips of the last 30 days"},
        "starred": {"url": gallery(starred="on"), "headers": HTMX,
                    "what": f"{VIEWER}'s starred clips"},
        "every filter": {
            "url": gallery(q="neon", member="member2", status="completed", resolution="768p",
                           board=str(board.pk), starred="on", **month),
            "headers": HTMX, "what": "a search with every filter at once"},
    }  # fmt: skip


def deep_page(client, url: str, number: int) -> str:
    """The URL "Load more" asks for as page `number` of `url`'s gallery."""
    for _ in range(number - 1):
        html = client.get(url, **HTMX).content.decode()
        found = re.search(r'class="load-more" hx-get="([^"]+)"', html)
        if not found:
            raise SystemExit(f"{url} has fewer than {number} pages")
        url = unescape(found.group(1))
    return url


def measure() -> dict:
    from django.db import connection

    from generations.models import Board, Generation, Prompt, Star

    client = logged_in(VIEWER)
    measured = {}
    for name, page in pages(client).items():
        url, headers = page["url"], page["headers"]
        timings = timed(client, url, headers)
        counts = {size: query_count(client, url, headers, size)[0] for size in PAGE_SIZES}
        measured[name] = {
            **page, "timings": timings, "queries": counts,
            "slowest": slowest_queries(client, url, headers),
        }  # fmt: skip
    return {
        "vendor": connection.vendor,
        "pages": measured,
        "gallery": {
            "generations": Generation.objects.count(),
            "prompts": Prompt.objects.count(),
            "stars": Star.objects.count(),
            "viewer_stars": Star.objects.filter(member__username=VIEWER).count(),
            "boards": Board.objects.count(),
        },
    }


def timed(client, url: str, headers: dict) -> dict:
    from .stats import percentile

    for _ in range(WARMUP):
        response = client.get(url, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    seconds = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        client.get(url, **headers)
        seconds.append((time.perf_counter() - began) * 1000)
    return {"count": len(seconds), "p50": percentile(seconds, 0.5),
            "p90": percentile(seconds, 0.9), "max": max(seconds),
            "cards": client.get(url, **headers).content.decode().count('class="card ')}  # fmt: skip


@contextmanager
def page_size(size: int):
    """The gallery's and the board page's page size, for one request."""
    from generations.views import boards, studio

    with ExitStack() as undo:
        for module in (studio, boards):
            undo.callback(setattr, module, "PAGE_SIZE", getattr(module, "PAGE_SIZE"))  # noqa: B009
            setattr(module, "PAGE_SIZE", size)  # noqa: B010
        yield


def query_count(client, url: str, headers: dict, size: int) -> tuple[int, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with page_size(size), CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    return len(captured), captured.captured_queries


def slowest_queries(client, url: str, headers: dict, keep: int = 2) -> list[dict]:
    """The page's slowest queries with their plans, each run again on its own and timed to its
    last row (Django times a query to its execute, and SQLite makes rows only as they are read):
    the best of three."""
    queries = [q["sql"] for q in query_count(client, url, headers, 24)[1]]
    timed_queries = [(best_of_three(sql), sql) for sql in queries if is_select(sql)]
    timed_queries.sort(reverse=True)
    return [{"ms": round(ms, 2), "sql": sql[:600], "plan": plan(sql)}
            for ms, sql in timed_queries[:keep]]  # fmt: skip


def is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH"))


def best_of_three(sql: str) -> float:
    from django.db import connection

    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(3):
            began = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            best = min(best, (time.perf_counter() - began) * 1000)
    return best


def plan(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return [row[-1] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
        return [row[0] for row in cursor.fetchall()]


if __name__ == "__main__":
    main(sys.argv[1:])
