"""A request the studio refuses costs it little: the budget is asked before an image is looked at,
so a member out of quota can post a 59-megapixel PNG as often as they like without its pixels
ever being decoded. An accepted large image is checked at a bounded cost too (its size from the
header, its data by checksums). The measured figures go to the test's report."""

import resource
import struct
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations import forms
from generations.models import Generation, MemberQuota
from tests.reports import machine_label, publish

SIDE = 7700  # 59.3 megapixels: just inside the studio's 60-megapixel limit


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """A valid RGB PNG of SIDE x SIDE px, about 200 KB, written row by row (never in memory)."""
    squeeze = zlib.compressobj(9)
    row = b"\0" + b"\x40\x80\xc0" * SIDE
    data = b"".join(squeeze.compress(row) for _ in range(SIDE)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", SIDE, SIDE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def post(client, content: bytes):
    data = {"prompt": "A lighthouse", "resolution": "768p", "duration": "6"}
    data["image"] = SimpleUploadedFile("big.png", content, "image/png")
    return client.post(reverse("generation_create"), data, HTTP_HX_REQUEST="true")


def measured(action) -> tuple[object, float, float]:
    """The action's result, its CPU seconds and how far it raised the process's peak RSS (MB)."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = time.process_time()
    result = action()
    cpu = time.process_time() - cpu_before
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, cpu, (peak_after - peak_before) / 1024


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Every full decode of an image and every image check, as they happen."""
    seen: list[str] = []
    load, check = Image.Image.load, forms.check_first_frame
    monkeypatch.setattr(Image.Image, "load", lambda self: seen.append("load") or load(self))
    monkeypatch.setattr(forms, "check_first_frame", lambda *a: seen.append("check") or check(*a))
    return seen


def test_a_refused_post_never_decodes_the_image(
    request, alice, alice_client, huge_png, decodes, bob_client
):
    MemberQuota.objects.create(member=alice, monthly_credits=0)
    runs = [measured(lambda: post(alice_client, huge_png)) for _ in range(8)]
    for response, _, _ in runs:
        assert "your monthly quota has 0 left" in response.content.decode()
    assert decodes == [] and not Generation.objects.exists()

    accepted, accepted_cpu, accepted_rss = measured(lambda: post(bob_client, huge_png))
    assert accepted.status_code == 200 and Generation.objects.filter(owner__username="bob")
    publish(
        request,
        "refused-image-cost",
        "\n".join(
            [
                "# What a 59-megapixel PNG costs the web server",
                "",
                f"{machine_label()}; `pytest {request.node.nodeid}`.",
                f"The PNG is {SIDE}x{SIDE} px, {len(huge_png) / 1024:.0f} KB.",
                "",
                "| post | CPU seconds | peak RSS growth |",
                "|---|---|---|",
                *[
                    f"| refused (quota 0), run {n} | {cpu:.3f} | {rss:.1f} MB |"
                    for n, (_, cpu, rss) in enumerate(runs, 1)
                ],
                f"| accepted (checked, not decoded) | {accepted_cpu:.3f} | {accepted_rss:.1f} MB |",
            ]
        ),
    )
