"""The scale benchmark's report (tooling/benchmarks/scale.py), so `make bench --only scale` can't
rot silently: its figures from a probe's results, without seeding 100,000 clips. No timings are
asserted here; the measurements live in docs/benchmarks.md."""

from urllib.parse import parse_qs, urlsplit

from tooling.benchmarks import scale, scale_probe


def probe(counts: dict[str, int], p50: float = 12.5) -> dict:
    page = {
        "url": "/gallery/?q=neon+car",
        "what": "a search",
        "timings": {"count": 40, "p50": p50, "p90": p50 * 2, "max": p50 * 3, "cards": 24},
        "queries": counts,
        "slowest": [{"ms": 3.0, "sql": "SELECT 1", "plan": ["SCAN generations_generation"]}],
    }
    gallery = {"generations": 100_000, "prompts": 16_666, "stars": 19_970, "viewer_stars": 404,
               "boards": 200}  # fmt: skip
    return {"vendor": "sqlite", "pages": {"search": page}, "gallery": gallery}


def by_name(figures) -> dict[tuple[str, str], object]:
    return {(figure.part, figure.name): figure for figure in figures}


def test_a_constant_query_count_and_a_fast_page_meet_their_targets():
    measured = {"sqlite": probe({"6": 5, "24": 5, "96": 5}), "postgresql": {"missing": "no server"}}
    figures = by_name(scale.figures(measured))
    queries = figures[("100k clips, SQLite: search", "SQL queries")]
    assert queries.value == 5 and queries.met and "the same at page sizes 6/24/96" in queries.note
    assert figures[("100k clips, SQLite: search", "server time p50")].met
    assert figures[("100k clips, SQLite: search", "server time p90")].met is None  # no target
    missing = figures[("100k clips, PostgreSQL: every page", "server time p50")]
    assert missing.value is None and missing.met is False and missing.note == "no server"


def test_a_query_count_that_grows_with_the_page_or_a_slow_page_is_a_miss():
    measured = {"sqlite": probe({"6": 5, "24": 5, "96": 8}, p50=75.0)}
    figures = by_name(scale.figures(measured))
    queries = figures[("100k clips, SQLite: search", "SQL queries")]
    assert queries.value is None and queries.met is False and "DIFFERS" in queries.note
    assert figures[("100k clips, SQLite: search", "server time p50")].met is False


def test_notes_name_every_page_and_its_plan():
    details = {"commit": "abc123", "seeding": ["--generations", "100000"]}
    notes = scale.notes({"sqlite": probe({"6": 5, "24": 5, "96": 5})}, details)
    text = "\n".join(notes)
    assert "abc123" in text and "`seed_gallery --generations 100000`" in text
    assert "search: a search (`/gallery/?q=neon+car`)" in text
    assert (
        "Plans, sqlite, search (its slowest queries): 3.0 ms: SCAN generations_generation" in text
    )


def test_a_postgresql_plan_is_shown_as_its_nodes():
    plan = [
        "Limit  (cost=0.86..7.27 rows=25 width=513) (actual time=0.084..0.804 rows=25 loops=1)",
        "  ->  Index Scan using gallery_order on generations_generation  (cost=0.42..14812.42)",
        "        Filter: ((deleted_at IS NULL) AND (SubPlan 1))",
        "        SubPlan 1",
        "          ->  Index Scan using generations_prompt_pkey on generations_prompt  (cost=0.29)",
        "Planning Time: 1.050 ms",
        "Execution Time: 1.222 ms",
    ]
    assert scale.short_plan(plan, "postgresql") == (
        "Limit → Index Scan using gallery_order on generations_generation → SubPlan 1 → "
        "Index Scan using generations_prompt_pkey on generations_prompt"
    )


def test_the_probe_asks_for_the_gallery_as_the_filters_form_sends_it():
    query = parse_qs(urlsplit(scale_probe.gallery(q="neon car", starred="on")).query,
                     keep_blank_values=True)  # fmt: skip
    assert query["q"] == ["neon car"] and query["starred"] == ["on"]
    assert set(query) == {*scale_probe.FORM, "starred"}


def test_the_postgresql_database_is_the_runs_own_on_the_server_named():
    url = scale.database_url("postgresql://postgres@127.0.0.1:5432/postgres", "hailuo_bench")
    assert url == "postgresql://postgres@127.0.0.1:5432/hailuo_bench"
