"""The ZIP benchmark's arithmetic (tooling/benchmarks/zips.py): the files a ZIP holds read from its
end record, the rounds summed up (highest peak, median time), and memory called flat only when the
large ZIP's peak stays near the small one's. No timing is asserted here."""

import io
import zipfile

from tooling.benchmarks import zips


def run(seconds: float, peak: float, sent: int = 1_000_000) -> dict:
    return {"bytes": sent, "seconds": seconds, "first_byte_seconds": 0.01,
            "mb_per_second": round(sent / seconds / 1e6, 1), "entries": 3, "idle_rss_mib": 50.0,
            "peak_rss_mib": peak, "peak_above_idle_mib": peak - 50, "cpu_seconds": 0.1}  # fmt: skip


def test_the_number_of_files_comes_from_the_zips_end_record():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(7):
            archive.writestr(f"{n}.mp4", b"x" * 1000)
    assert zips.entries(buffer.getvalue()[-5000:]) == 7
    assert zips.entries(b"no zip here") == -1


def test_rounds_give_the_highest_peak_and_the_median_time():
    summary = zips.summary([run(3.0, 52.0), run(1.0, 55.0), run(2.0, 51.0)])
    assert summary["seconds"] == 2.0 and summary["peak_rss_mib"] == 55.0
    assert summary["bytes_all_rounds"] == 3_000_000
    assert abs(summary["cpu_seconds"] - 0.3) < 1e-9


def test_memory_is_flat_only_if_the_large_zips_peak_stays_near_the_small_ones():
    def flat(small_peak: float, large_peak: float) -> bool | None:
        results = {10: zips.summary([run(1.0, small_peak)]),
                   500: zips.summary([run(5.0, large_peak, 500_000_000)])}  # fmt: skip
        (verdict,) = [f for f in zips.figures(results, zips.CLIP_BYTES) if f.limit is not None]
        return verdict.met

    assert flat(60.0, 63.0) is True
    assert flat(60.0, 60.0 + zips.FLAT_LIMIT_MIB + 1) is False
