import io

import pytest
from PIL import Image

from generations.images import ImageRejected, check_first_frame


def image_bytes(size=(800, 600), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 90, 200)).save(buffer, fmt)
    return buffer.getvalue()


def problems(content: bytes, filename: str = "photo.png") -> list[str]:
    with pytest.raises(ImageRejected) as rejected:
        check_first_frame(content, filename)
    return rejected.value.problems


@pytest.mark.parametrize(
    "fmt, name, extension",
    [
        ("PNG", "a.png", "png"),
        ("JPEG", "a.jpg", "jpg"),
        ("JPEG", "a.jpeg", "jpg"),
        ("WEBP", "a.webp", "webp"),
    ],
)
def test_it_accepts_the_three_formats(fmt, name, extension):
    checked = check_first_frame(image_bytes(fmt=fmt), name)
    assert (checked.extension, checked.width, checked.height) == (extension, 800, 600)


def test_it_refuses_text():
    assert problems(b"hello, not an image", "notes.png") == [
        "This file is not an image the studio can read: use JPG, PNG or WebP."
    ]


def test_it_refuses_svg():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"></svg>'
    assert "SVG drawings can't be a first frame" in problems(svg, "drawing.svg")[0]


def test_it_refuses_gif():
    assert problems(image_bytes(fmt="GIF"), "a.gif") == [
        "GIF images can't be a first frame: use JPG, PNG or WebP."
    ]


def test_it_refuses_a_name_that_contradicts_the_content():
    (problem,) = problems(image_bytes(fmt="JPEG"), "photo.png")
    assert problem.startswith("The file is named as PNG but contains a JPEG image")


def test_it_refuses_a_small_image():
    assert problems(image_bytes((400, 299))) == [
        "The image is 400×299 px; its shorter side must be at least 300 px."
    ]


def test_it_refuses_an_extreme_shape():
    (problem,) = problems(image_bytes((1600, 600)))
    assert "a 2.67:1 shape; it must be between 2:5 (tall) and 5:2 (wide)" in problem


def test_it_names_every_broken_rule_separately():
    found = problems(image_bytes((1000, 200), fmt="JPEG"), "wide.png")
    assert len(found) == 3  # wrong name, too small, too wide


def test_it_refuses_a_decompression_bomb_before_decoding_it():
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, "PNG")  # tiny file, 144 megapixels
    assert len(buffer.getvalue()) < 1_000_000
    (problem,) = problems(buffer.getvalue())
    assert "megapixels" in problem


@pytest.mark.parametrize(
    ("fmt", "name"), [("JPEG", "half.jpg"), ("PNG", "half.png"), ("WEBP", "half.webp")]
)
def test_it_refuses_a_truncated_file(fmt, name):
    content = image_bytes(fmt=fmt)
    assert problems(content[: len(content) // 2], name) == [
        "The image file is damaged and cannot be read: save it again."
    ]


def test_it_refuses_an_oversized_file():
    big = image_bytes() + b"\0" * (20 * 1024 * 1024)
    assert any("the limit is 20 MB" in p for p in problems(big))
