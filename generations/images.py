"""The rules a first-frame image must meet (MiniMax's, and the studio's own safety limits).

Each broken rule gets its own sentence, so a person knows exactly what to change.
"""

import io
import struct
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024
MIN_SHORT_SIDE = 300
MIN_ASPECT, MAX_ASPECT = 2 / 5, 5 / 2
# Far more than any camera; refuses decompression bombs before Pillow decodes them.
MAX_PIXELS = 60_000_000
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
EXTENSIONS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
# Decoding is the costly part: one at a time per process, whatever the number of web threads.
_decoding = threading.BoundedSemaphore(1)


@dataclass(frozen=True)
class CheckedImage:
    extension: str
    content_type: str
    width: int
    height: int


class ImageRejected(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def check_first_frame(content: bytes, filename: str = "") -> CheckedImage:
    """Return what the image is, or raise ImageRejected listing every rule it breaks."""
    problems: list[str] = []
    size_mb = len(content) / (1024 * 1024)
    if len(content) > MAX_BYTES:
        problems.append(f"The image is {size_mb:.1f} MB; the limit is 20 MB.")
    if content.lstrip()[:5].lower() in (b"<?xml", b"<svg ") or filename.lower().endswith(".svg"):
        raise ImageRejected(
            [*problems, "SVG drawings can't be a first frame: use JPG, PNG or WebP."]
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            image_format = image.format
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            [
                *problems,
                f"The image has too many pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels.",
            ]
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(
            [*problems, "This file is not an image the studio can read: use JPG, PNG or WebP."]
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error):  # a header cut short (WebP, say)
        raise ImageRejected(
            [*problems, "The image file is damaged and cannot be read: save it again."]
        ) from None
    if image_format not in FORMATS:
        kind = image_format or "unknown"
        raise ImageRejected(
            [*problems, f"{kind} images can't be a first frame: use JPG, PNG or WebP."]
        )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension and EXTENSIONS.get(extension) != image_format:
        named = extension.upper()
        problems.append(
            f"The file is named as {named} but contains a {image_format} image: "
            "save it again in the format its name says."
        )
    if width * height > MAX_PIXELS:
        problems.append(
            f"The image is {width}×{height} px ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {MAX_PIXELS // 1_000_000} megapixels."
        )
    elif min(width, height) < MIN_SHORT_SIDE:
        problems.append(
            f"The image is {width}×{height} px; its shorter side must be at least "
            f"{MIN_SHORT_SIDE} px."
        )
    aspect = width / height if height else 0
    if not MIN_ASPECT <= aspect <= MAX_ASPECT:
        problems.append(
            f"The image is {width}×{height} px, a {aspect:.2f}:1 shape; it must be between "
            "2:5 (tall) and 5:2 (wide)."
        )
    if not problems and is_damaged(image, content):
        problems.append("The image file is damaged and cannot be read: save it again.")
    if problems:
        raise ImageRejected(problems)
    extension, content_type = FORMATS[image_format]
    return CheckedImage(extension, content_type, width, height)


def is_damaged(image: Image.Image, content: bytes) -> bool:
    """Whether the image data is truncated or corrupt, at a bounded cost: the header already
    passed the size rules. A PNG has its chunks' checksums verified (nothing is decompressed), a
    JPEG is decoded at an eighth of its size (every byte of it is still read), and anything else
    is decoded in full, one image at a time."""
    try:
        with _decoding:
            if image.format == "PNG":
                Image.open(io.BytesIO(content)).verify()
                return False
            if image.format == "JPEG":
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (OSError, SyntaxError, ValueError, struct.error):
        return True
    return False
