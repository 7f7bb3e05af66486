"""The reels benchmark (tooling/benchmarks/reels.py) runs: a tiny round of it here, shots of one
second, stitched by the real task both ways, and its figures and notes drawn from what it
measured. It is a part of `make bench` like the others. No timing is asserted."""

import pytest

from tooling.benchmarks import reels, report
from tooling.benchmarks.management.commands.run_benchmarks import Command

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tiny_round_stitches_both_ways_and_reports_it(monkeypatch):
    monkeypatch.setattr(reels, "SHOT_SECONDS", 1)
    results = reels.measure(3, 1)
    assert results["shots"] == 3 and results["portrait"] == "432×768"
    for method in ("copy", "re-encode"):
        made = results["methods"][method]
        assert made["duration"] == pytest.approx(3.0, abs=1 / 24)
        assert (made["width"], made["height"]) == (1366, 768) and made["bytes"] > 0
        assert len(made["rounds"]) == 1 and made["seconds"] > 0

    figures = reels.figures(results)
    assert [f.part for f in figures] == ["reels: 3 shots by copy"] * 3 + [
        "reels: 3 shots by re-encode"
    ] * 3
    assert {f.name for f in figures} == {"time to stitch", "ffmpeg CPU time", "reel length"}
    assert all(f.met is None for f in figures)  # measured, not judged
    assert "432×768" in " ".join(reels.notes(results))


def test_it_is_a_part_of_make_bench():
    assert "reels" in report.PARTS and hasattr(Command, "run_reels")
