"""The benchmark harness's arithmetic and reports (tooling/benchmarks), so `make bench` cannot rot
silently: fast and without processes, but for the card clock in real Chromium and one tiny run of
the submit-to-playable benchmark. No timings asserted; the measurements live in docs/."""

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tooling.benchmarks import loadgen, pages, pipeline_report, playable, report, throughput, wire
from tooling.benchmarks.figures import Figure, format_number
from tooling.benchmarks.pipeline_metrics import (
    GenerationRow,
    TaskRow,
    busy_seconds,
    detection_latencies,
    makespan,
    posters_done,
    projected_naive_makespan,
    storing_rate,
    summarize,
)
from tooling.benchmarks.stats import percentile, summary

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# Percentiles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, fraction, expected",
    [
        ([1, 2, 3, 4], 0.5, 2.5),
        ([1, 2, 3, 4], 0.95, 3.85),  # linear between closest ranks, as numpy does
        ([4, 1, 3, 2], 0.0, 1),
        ([4, 1, 3, 2], 1.0, 4),
        ([7], 0.95, 7),
        (list(range(1, 101)), 0.5, 50.5),
    ],
)
def test_percentiles_interpolate_between_closest_ranks(values, fraction, expected):
    assert percentile(values, fraction) == pytest.approx(expected)


def test_no_values_have_no_percentile_and_fractions_stay_in_range():
    assert percentile([], 0.5) is None
    assert summary([]) == {"count": 0, "p50": None, "p95": None, "max": None}
    with pytest.raises(ValueError):
        percentile([1], 95)


# Figures against targets ------------------------------------------------------------------------


def test_a_figure_meets_its_target_from_the_right_side():
    assert Figure("p", "queries", 7, "queries", 10).met is True
    assert Figure("p", "queries", 11, "queries", 10).met is False
    assert Figure("p", "ratio", 0.6, "×", 0.5, kind="min").met is True
    assert Figure("p", "ratio", 0.4, "×", 0.5, kind="min").met is False
    assert Figure("p", "no target", 3, "s").met is None
    assert Figure("p", "not measured", None, "s", 5).met is False
    assert Figure("p", "ratio", 0.6, "×", 0.5, kind="min").target == "≥ 0.50 ×"


def test_figures_survive_the_json_round_trip():
    figure = Figure("pages: studio", "server time p50", 18.5, "ms", 60, note="in process")
    assert Figure.from_json(json.loads(json.dumps(figure.as_json()))) == figure


def test_numbers_are_shown_with_sensible_precision():
    assert [format_number(v) for v in (None, 3, 3.0, 2.345, 12.34, 1234.5)] == [
        "n/a", "3", "3", "2.35", "12.3", "1,234"
    ]  # fmt: skip


# Pipeline metrics -------------------------------------------------------------------------------


def rows() -> list[GenerationRow]:
    return [
        GenerationRow("a", "job-a", "completed", at(0), at(22), poster_at=at(27)),
        GenerationRow("b", "job-b", "completed", at(1), at(25), poster_at=at(26)),
        GenerationRow("c", "job-c", "failed", at(2), None),
    ]


def test_makespan_runs_from_the_first_ask_to_the_last_clip_stored():
    assert makespan(rows()) == 25
    assert makespan([GenerationRow("x", "", "failed", at(0), None)]) is None


def test_posters_are_timed_from_the_first_ask_to_the_last_poster_made():
    assert posters_done(rows()) == 27
    assert posters_done([GenerationRow("x", "", "completed", at(0), at(3))]) is None


def test_the_storing_pace_is_measured_from_the_first_clip_stored_to_the_last():
    assert storing_rate(rows()) == pytest.approx(1 / 3)  # 2 clips, 3 s apart
    assert storing_rate(rows()[:1]) is None


def test_detection_latency_is_from_the_simulators_completion_to_the_stored_clip():
    completed = {"job-a": at(21), "job-b": at(21.5), "job-c": at(20)}
    assert detection_latencies(rows(), completed) == [1, 3.5]


def test_a_run_is_summarised_per_generation():
    tasks = [
        TaskRow("generations.pipeline.tasks.submit_generation", at(0), at(0.5)),
        TaskRow("generations.pipeline.tasks.track_generations", at(0), at(30)),
    ]
    executing = busy_seconds(["generations.pipeline.tasks.track_generations\t29.5\n", "junk"])
    result = summarize(
        rows(),
        {"job-a": at(21), "job-b": at(21.5)},
        {"submit": 3, "job": 6, "file": 2, "me": 9},
        tasks,
        executing=executing,
    )
    assert result["requests"] == {"submit": 3, "job": 6, "file": 2, "upload": 0, "total": 11}
    assert result["requests_per_generation"] == pytest.approx(11 / 3)
    assert result["worker_seconds"] == {
        "submit_generation": 0.5, "track_generations": 30, "total": 30.5
    }  # fmt: skip
    assert result["executing_seconds_per_generation"] == pytest.approx(29.5 / 3)
    assert result["detection_s"]["p50"] == pytest.approx(2.25)
    assert result["statuses"] == {"completed": 2, "failed": 1}


def test_the_naive_way_is_projected_from_the_jobs_it_ran():
    naive = "tooling.benchmarks.naive.make_clip_naively"
    executing = [TaskRow(naive, at(0), at(21)), TaskRow(naive, at(0), at(23)),
                 TaskRow(naive, at(0), at(0.01))]  # fmt: skip
    # 200 jobs, 4 at a time, 22 s each (the skipped one took no time and is left out)
    assert projected_naive_makespan(executing, 200, workers=4) == pytest.approx(50 * 22)


def test_pipeline_figures_carry_the_targets_of_each_way():
    result = {
        "makespan_s": 33.0, "requests": {"submit": 200, "job": 600, "file": 200, "total": 1000},
        "requests_per_generation": 5.0, "detection_s": {"p50": 1.5, "p95": 4.0},
        "worker_seconds": {"total": 100.0}, "worker_seconds_per_generation": 0.5,
        "executing_seconds": {"total": 40.0}, "executing_seconds_per_generation": 0.2,
        "statuses": {"completed": 200}, "capped_at_s": None, "per": 200,
        "cpu_seconds": {"cluster": 38.0, "web": 2.0, "simulator": 1.0},
    }  # fmt: skip
    naive = {**result, "capped_at_s": 120.0, "projected_makespan_s": 1100.0}
    figures = pipeline_report.figures({"polling": result, "naive": naive}, job_seconds=20)
    polling = {f.name: f for f in figures if f.part == "pipeline: polling"}
    assert polling["makespan (first ask → last clip stored)"].limit == 35
    assert polling["API requests per generation"].met is True
    assert polling["detection latency p95"].limit == 5
    assert polling["studio CPU-seconds per generation (cluster + gunicorn)"].value == 0.2
    naive_makespan = next(f for f in figures if f.part == "pipeline: naive")
    assert naive_makespan.value == 1100 and "projected" in naive_makespan.note
    assert naive_makespan.met is None


# Load generator, wire and pages -----------------------------------------------------------------

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/gallery/updates/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.01ms    1.20ms  20.00ms   80.00%
    Req/Sec     1.60k   100.00     1.80k    70.00%
  Latency Distribution
     50%  812.00us
     75%    5.50ms
     90%    6.20ms
     99%    9.00ms
  16003 requests in 10.01s, 1.50MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   1598.70
Transfer/sec:    150.00KB
"""


def test_wrks_report_is_read():
    load = loadgen.parse_wrk(WRK_OUTPUT)
    assert (load.requests, load.seconds, load.requests_per_second) == (16003, 10.01, 1598.7)
    assert load.latency_p50_ms == pytest.approx(0.812)
    assert load.errors == 8


def test_unreadable_wrk_output_is_an_error():
    with pytest.raises(ValueError):
        loadgen.parse_wrk("wrk: command failed")


def test_bytes_on_the_wire_count_headers_and_body():
    raw = b"HTTP/1.1 204 No Content\r\nServer: gunicorn\r\nVary: Cookie\r\n\r\n"
    response = wire.parse(raw)
    assert (response.status, response.header_bytes, response.body_bytes) == (204, len(raw), 0)
    assert response.headers["vary"] == "Cookie"


def test_a_pages_assets_are_its_stylesheets_scripts_and_icons_not_its_media():
    html = """<link rel="stylesheet" href="/static/css/a.css"><link rel="icon" href="/static/f.svg"
    type="image/svg+xml"><script src="/static/htmx.js" defer></script>
    <script src="/static/js/studio.js" defer nonce="x"></script><img src="/media/posters/p.jpg">
    <video src="/media/clips/c.mp4"></video><link rel="stylesheet" href="/static/css/a.css">"""
    assert wire.page_assets(html) == [
        "/static/css/a.css", "/static/f.svg", "/static/htmx.js", "/static/js/studio.js"
    ]  # fmt: skip


def test_page_figures_flag_a_query_count_that_grows_with_the_page_size():
    probe = {
        "studio": {"p50": 20.0}, "gallery_pages": {"p50": 10.0, "pages": 21},
        "deep_page": {"p50": 11.0}, "updates": {"p50": 2.0},
        "queries": {"studio": {"6": 7, "24": 7, "96": 7}, "gallery_page": {"6": 4, "24": 28, "96": 100},
                    "updates": 3},
    }  # fmt: skip
    transfer = {"files": {"/": {"bytes": 40960, "encoding": "identity"}}, "total_bytes": 40960}
    figures = pages.figures(probe, transfer, {"bytes": 242, "status": 204})
    gallery_queries = next(f for f in figures if f.part == "pages: gallery page")
    assert gallery_queries.value == 100 and gallery_queries.met is False
    assert "DIFFERS" in gallery_queries.note
    first_load = next(f for f in figures if f.part == "pages: first load")
    assert first_load.value == 40.0 and first_load.met is True


# The report -------------------------------------------------------------------------------------


def part(value: float) -> dict:
    figure = Figure("pages: studio", "server time p50", value, "ms", 60)
    return report.part_record([figure], started=datetime.now(UTC), load_before=[0.5, 0.4, 0.3],
                              notes=["In process."], details={})  # fmt: skip


def test_the_report_is_written_as_markdown_and_json(tmp_path):
    written = report.merge(None, {"pages": part(18.0)}, command="make bench")
    report.write(written, tmp_path / "benchmarks.md", tmp_path / "benchmarks.json")
    markdown = (tmp_path / "benchmarks.md").read_text()
    assert "| pages: studio | server time p50 | 18 ms | ≤ 60 ms | yes |  |" in markdown
    assert "`make bench`" in markdown and "load average before 0.5 / 0.4 / 0.3" in markdown
    assert f"{report.machine()['cores']} cores" in markdown
    data = report.read(tmp_path / "benchmarks.json")
    assert data["parts"]["pages"]["figures"][0]["met"] is True
    assert data["command"] == "make bench"


def test_a_part_run_alone_keeps_the_others_results():
    first = report.merge(None, {"pages": part(18.0), "throughput": part(1.0)}, command="a")
    second = report.merge(first, {"pages": part(70.0)}, command="b")
    assert list(second["parts"]) == ["pages", "throughput"]
    assert second["parts"]["pages"]["figures"][0]["value"] == 70.0
    assert second["parts"]["throughput"] == first["parts"]["throughput"]
    assert "**no**" in report.render_markdown(second)


def test_throughput_is_the_median_round_against_the_bare_views():
    def runs(*rates):
        return [loadgen.Load("wrk", int(r * 6), 6.0, r, 5.0, 0) for r in rates]

    loads = {"updates": runs(500, 900, 600), "bare": runs(800, 1000, 1200),
             "bare_public": runs(2000, 2400, 2200)}  # fmt: skip
    cpu = {"updates": [0.002, 0.003, 0.0025], "bare": [0.0015] * 3, "bare_public": [0.0005] * 3}
    figures = {f.name: f for f in throughput.figures(loads, cpu)}
    assert figures["live update ÷ bare view"].value == pytest.approx(600 / 1000)
    assert figures["live update ÷ bare view"].met is True
    assert figures["live update ÷ bare view exempt from login"].value == pytest.approx(600 / 2200)
    assert figures["gunicorn CPU per request, live update"].value == pytest.approx(2.5)


# Submit to playable -----------------------------------------------------------------------------


def clip_clocks(way: str, submitted: float, stored: float, author: tuple, teammate: tuple):
    """One clip as the harness sees it: the tabs' clocks in ms, the database's in s."""
    clip = playable.Clip(prompt=f"clip {submitted}", card_id=f"gen-{submitted}", way=way)
    cards = [dict(zip(("shown", "playable"), (ms * 1000 for ms in moments), strict=True))
             for moments in (author, teammate)]  # fmt: skip
    return playable.clip_timings(clip, submitted * 1000, stored, *cards)


def test_a_clips_latencies_come_from_the_tabs_clocks_and_stored_at():
    timing = clip_clocks("one at a time", 100.0, 106.5, author=(100.05, 109.5),
                         teammate=(118.0, 118.2))  # fmt: skip
    assert timing["submit_to_shown"] == pytest.approx(0.05)
    assert timing["submit_to_stored"] == pytest.approx(6.5)
    assert timing["stored_to_playable"] == pytest.approx(3.0)
    assert timing["submit_to_playable"] == pytest.approx(9.5)
    assert timing["teammate_submit_to_shown"] == pytest.approx(18.0)
    assert timing["teammate_stored_to_playable"] == pytest.approx(11.7)


def test_playable_figures_are_median_p90_and_max_beside_the_issues_aim():
    timings = [clip_clocks("one at a time", 100.0 * n, 100.0 * n + 6, (100.0 * n, 100.0 * n + 6 + n),
                           (100.0 * n + 5, 100.0 * n + 9)) for n in range(1, 5)]  # fmt: skip
    rows = {f"{f.part}: {f.name}": f for f in playable.figures(timings, {"author": 12.0,
                                                                         "teammate": 3.0})}  # fmt: skip
    stored = "submit to playable: author's tab: stored → playable"
    assert [rows[f"{stored}, {stat}"].value for stat in ("median", "p90", "max")] == [
        pytest.approx(2.5), pytest.approx(3.7), pytest.approx(4)
    ]  # fmt: skip
    assert rows[f"{stored}, p90"].limit == 1.5 and rows[f"{stored}, p90"].met is False
    assert "4 clips: 4 one at a time" in rows[f"{stored}, median"].note
    assert rows["submit to playable: teammate's idle tab: live-update asks per minute"].value == 3


def test_a_before_run_is_kept_when_the_part_runs_again():
    before = report.part_record(
        [Figure(playable.AUTHOR_PART, "stored → playable, median", 2.9, "s")],
        started=datetime.now(UTC), load_before=[], notes=[],
        details={"label": "before the polling change", "commit": "83eee72", "history": []},
    )  # fmt: skip
    kept = playable.history(before)
    assert kept[0]["label"] == "before the polling change"
    assert kept[0]["figures"][f"{playable.AUTHOR_PART}: stored → playable, median"] == 2.9
    details = {"label": "after", "commit": "abc1234", "command": "make bench", "job_seconds": 6,
               "history": kept}  # fmt: skip
    earlier = [line for line in playable.notes(details) if line.startswith("Earlier run")]
    assert earlier and "before the polling change" in earlier[0] and "2.90 s" in earlier[0]


CARD_PAGE = """<!doctype html><form id="studio-form"><textarea id="id_prompt" name="prompt"></textarea>
<button type="submit">Generate</button></form><div id="gallery-cards"></div>
<script>
document.getElementById("studio-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (location.hash === "#never") return;
  const cards = document.getElementById("gallery-cards");
  // The card arrives 300 ms after the submit with a clip that cannot load, 800 ms after it
  // with its poster's play button.
  setTimeout(() => cards.insertAdjacentHTML("afterbegin", '<article class="card" id="gen-1">'
    + '<video preload="metadata" src="/missing.mp4"></video></article>'), 300);
  setTimeout(() => document.getElementById("gen-1").insertAdjacentHTML("beforeend",
    '<button data-play>Play</button>'), 800);
});
</script>"""


@pytest.fixture(scope="module")
def chromium():
    if shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    with playable.chromium() as browser:
        yield browser


def card_page(chromium, hash_: str = "") -> playable.Tab:
    tab = playable.Tab(chromium, "alice")
    tab.page.route("http://studio.test/", lambda route: route.fulfill(
        body=CARD_PAGE, content_type="text/html"))  # fmt: skip
    tab.page.route("http://studio.test/missing.mp4", lambda route: route.fulfill(status=404))
    tab.page.goto(f"http://studio.test/{hash_}")
    return tab


@pytest.mark.browser
def test_the_card_clock_notes_the_submit_the_card_and_when_it_can_play(chromium):
    tab = card_page(chromium)
    tab.submit("A lighthouse at dusk")
    tab.wait_for("gen-1", "playable", timeout=10)
    clock = tab.clock()
    (submit,) = clock["submits"]
    card = clock["cards"]["gen-1"]
    assert submit["prompt"] == "A lighthouse at dusk"
    # Not a speed test: each moment is at least as late as the page made it. A video that
    # cannot load is not playable; the play button is.
    assert card["shown"] - submit["at"] >= 300
    assert card["playable"] - submit["at"] >= 800
    assert card["poster"] == card["playable"]


@pytest.mark.browser
def test_a_card_that_never_shows_stops_the_run(chromium):
    tab = card_page(chromium, "#never")
    tab.submit("A clip the page never shows")
    with pytest.raises(playable.CardNotSeen, match=r"card gen-1 not shown within 0\.5 s"):
        tab.wait_for("gen-1", "shown", timeout=0.5)


@pytest.mark.browser
@pytest.mark.slow
def test_a_tiny_run_measures_one_clip_in_both_tabs(chromium, tmp_path):
    """The whole benchmark, one 2 s clip: each figure measured, none made up."""
    rows, _, details = playable.run(
        tmp_path, sequential=1, concurrent=0, job_seconds=2, browser=chromium
    )
    (clip,) = details["clips"]
    assert clip["submit_to_stored"] >= 2  # the simulator's job takes 2 s
    assert 0 < clip["submit_to_shown"] < clip["submit_to_playable"]
    assert clip["stored_to_playable"] >= 0 and clip["teammate_stored_to_playable"] >= 0
    assert clip["teammate_submit_to_shown"] > 0
    assert all(row.value is not None for row in rows)
    assert details["asks_per_minute"]["author"] > 0
