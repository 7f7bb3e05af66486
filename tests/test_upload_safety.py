"""Uploaded first frames, through the studio's form: what could harm the server or other members is
refused with a clear message, and what is kept is stored under a name the studio makes up."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations.models import Generation
from tests.fixtures import picture


def post_image(client, name: str, content: bytes, content_type: str = "image/png"):
    data = {
        "prompt": "A lantern festival over a river",
        "resolution": "768p",
        "duration": "6",
        "image": SimpleUploadedFile(name, content, content_type),
    }
    return client.post(reverse("generation_create"), data, HTTP_HX_REQUEST="true")


def image_errors(response) -> str:
    html = response.content.decode()
    start = html.index('id="errors-image"')
    return html[start : html.index("</div>", start)]


def sparse_png(width: int, height: int) -> bytes:
    """A huge canvas in a tiny file: what a decompression bomb looks like."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_it_refuses_an_upload_over_20_mb(alice_client):
    oversized = picture() + b"\0" * (21 * 1024 * 1024)
    response = post_image(alice_client, "huge.png", oversized)
    assert "The image is 21.0 MB; the limit is 20 MB." in image_errors(response)
    assert not Generation.objects.exists()


def test_it_refuses_a_decompression_bomb(alice_client):
    bomb = sparse_png(20_000, 20_000)  # 400 megapixels in well under a megabyte
    assert len(bomb) < 1024 * 1024
    response = post_image(alice_client, "bomb.png", bomb)
    assert "The image has too many pixels; the limit is 60 megapixels." in image_errors(response)
    assert not Generation.objects.exists()


def test_it_refuses_an_image_just_over_the_pixel_limit(alice_client):
    response = post_image(alice_client, "big.png", sparse_png(9_000, 7_000))
    assert "9000×7000 px (63 megapixels); the limit is 60 megapixels" in image_errors(response)


@pytest.mark.parametrize(
    "name, content, content_type, message",
    [
        ("photo.png", b"MZ\x90\x00 not a picture", "image/png", "not an image the studio can read"),
        (
            "photo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "image/png",
            "SVG drawings can&#x27;t be a first frame",
        ),
        (
            "photo.png",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "image/png",
            "SVG drawings can&#x27;t be a first frame",
        ),
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html", "not an image"),
        ("photo.webp", picture(fmt="PNG"), "image/webp", "named as WEBP but contains a PNG"),
    ],
)
def test_it_judges_a_file_by_its_content_not_its_name_or_type(
    alice_client, name, content, content_type, message
):
    response = post_image(alice_client, name, content, content_type)
    assert message in image_errors(response)
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("../../etc/passwd.png", "PNG"),
        ("PHOTO.JPG", "JPEG"),
        ("no extension at all", "WEBP"),
        ('"><script>alert(1)</script>.png', "PNG"),
        ("ünïcode 🎬.webp", "WEBP"),
    ],
)
def test_it_stores_a_first_frame_under_a_generated_name(alice_client, settings, name, fmt):
    assert post_image(alice_client, name, picture(fmt=fmt)).status_code == 200
    generation = Generation.objects.get()
    stored = generation.first_frame.name
    assert re.fullmatch(rf"first-frames/{generation.pk}\.(png|jpg|webp|img)", stored), stored
    assert (settings.MEDIA_ROOT / stored).read_bytes() == picture(fmt=fmt)
