"""The ZIP streams: what Python holds at its peak while sending one is a few chunks, the same for
3 clips as for 40, and far below the bytes sent (counted by tracemalloc, not timed). The RSS of
a real server sending 10 and 500 clips is measured by `make bench` (tooling/benchmarks/zips.py)."""

import tracemalloc

import pytest

from tests.clip_files import stored_clip

CLIP_BYTES = 512 * 1024
MIB = 1024 * 1024


def peak_while_sending(client, clips) -> tuple[int, int]:
    """(bytes sent, peak bytes Python held meanwhile, above what it held before)."""
    response = client.post("/selection/download/", {"ids": [clip.pk for clip in clips]})
    assert response.status_code == 200 and response.streaming
    sent = 0
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for chunk in response.streaming_content:
            sent += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return sent, peak - before


@pytest.fixture
def gallery(alice, make_generation):
    return [
        stored_clip(make_generation, alice, f"Clip number {n}", size=CLIP_BYTES) for n in range(40)
    ]


def test_memory_stays_flat_between_a_small_and_a_large_zip(alice_client, gallery):
    small_sent, small_peak = peak_while_sending(alice_client, gallery[:3])
    large_sent, large_peak = peak_while_sending(alice_client, gallery)
    assert small_sent > 3 * CLIP_BYTES and large_sent > 40 * CLIP_BYTES
    assert large_peak < 3 * MIB, f"held {large_peak / MIB:.1f} MiB while sending a ZIP"
    assert large_peak < large_sent / 6
    assert large_peak < small_peak + MIB, (small_peak, large_peak)
