"""Images handed to the simulator: multipart uploads it stores for an hour, and URLs it fetches.

Both are sniffed by magic bytes, as Apiframe does (the declared content type is ignored).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.message import Message
from pathlib import Path

import httpx

from .jobs import write_json

MAX_IMAGE_BYTES = 25 * 1024 * 1024
UPLOAD_LIFETIME_SECONDS = 3600
FETCH_TIMEOUT_SECONDS = 5.0

# (content type, extension) by leading bytes; WebP is a RIFF container with "WEBP" at offset 8.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


class ImageError(ValueError):
    """Not a usable image; the message is meant for the 400 answer's details."""


def sniff_image(data: bytes) -> tuple[str, str]:
    """(content type, extension) of a PNG, JPEG, GIF or WebP image, else ImageError."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    for magic, content_type, extension in _SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    raise ImageError("Unsupported file type: expected a PNG, JPEG, WebP or GIF image")


def check_image(data: bytes) -> tuple[str, str]:
    if not data:
        raise ImageError("The file is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"The file is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    return sniff_image(data)


def multipart_files(body: bytes, content_type: str) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by field name (Python 3.13 has no `cgi` module)."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise ImageError("Expected a multipart/form-data body")
    fields: dict[str, bytes] = {}
    for section in body.split(b"--" + boundary.encode())[1:]:
        if section.startswith(b"--"):
            break
        head, _, content = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = _field_name(head)
        if name is not None:
            fields.setdefault(name, content.removesuffix(b"\r\n"))
    return fields


def _field_name(head: bytes) -> str | None:
    part = Message()
    for line in head.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            part[key.strip()] = value.strip()
    name = part.get_param("name", header="content-disposition")
    return name if isinstance(name, str) else None


def fetch_image(url: str) -> bytes:
    """GET an image from the web with a short timeout and a size cap; ImageError if unusable."""
    try:
        with (
            httpx.Client(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise ImageError(f"The image URL answered HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > MAX_IMAGE_BYTES:
                    break
    except httpx.HTTPError as exc:
        raise ImageError(f"The image URL could not be fetched ({type(exc).__name__})") from None
    check_image(bytes(data))
    return bytes(data)


@dataclass
class Upload:
    id: str
    content_type: str
    extension: str
    byte_size: int
    created_at: float
    expires_at: float

    @property
    def filename(self) -> str:
        return f"{self.id}.{self.extension}"


class UploadStore:
    """Uploaded images on disk (`<dir>/<id>.json` + `<id>.<ext>`), gone once expired."""

    def __init__(self, directory: Path, new_id: Callable[[], str]) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._new_id = new_id
        self._lock = threading.Lock()

    def add(self, data: bytes) -> Upload:
        content_type, extension = check_image(data)
        now = time.time()
        upload = Upload(
            id=self._unused_id(),
            content_type=content_type,
            extension=extension,
            byte_size=len(data),
            created_at=now,
            expires_at=now + UPLOAD_LIFETIME_SECONDS,
        )
        with self._lock:
            (self.directory / upload.filename).write_bytes(data)
            write_json(self.directory / f"{upload.id}.json", asdict(upload))
        return upload

    def get(self, upload_id: str) -> Upload | None:
        """The live upload with this id, None if unknown or expired (then its files are deleted)."""
        if not is_uuid(upload_id):
            return None
        with self._lock:
            try:
                upload = Upload(**json.loads((self.directory / f"{upload_id}.json").read_text()))
            except (OSError, ValueError, TypeError):
                return None
            if upload.expires_at <= time.time():
                self._delete(upload)
                return None
            return upload

    def path(self, upload: Upload) -> Path:
        return self.directory / upload.filename

    def purge_expired(self) -> None:
        for record in self.directory.glob("*.json"):
            self.get(record.stem)

    def clear(self) -> None:
        with self._lock:
            for path in self.directory.iterdir():
                path.unlink(missing_ok=True)

    def _unused_id(self) -> str:
        # A seeded run restarted on the same data dir draws the same ids again: skip those.
        upload_id = self._new_id()
        while (self.directory / f"{upload_id}.json").exists():
            upload_id = self._new_id()
        return upload_id

    def _delete(self, upload: Upload) -> None:
        (self.directory / upload.filename).unlink(missing_ok=True)
        (self.directory / f"{upload.id}.json").unlink(missing_ok=True)


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False
