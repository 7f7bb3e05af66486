"""Clips, posters, first and last frames are the team's: served only to logged-in members."""

import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.views.decorators.http import require_GET

ALLOWED_FOLDERS = ("clips/", "posters/", "first-frames/", "last-frames/", "approval-frames/")
# One range only: several ranges (or anything malformed) get the whole file, as RFC 9110 allows.
RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)", re.ASCII)
CHUNK_BYTES = 256 * 1024


def in_folders(path: str) -> bool:
    """The file itself lies in one of the folders: a link pointing elsewhere doesn't count (the
    folders themselves may be links, say to a bigger disk)."""
    try:
        real = Path(default_storage.path(path)).resolve(strict=True)
        folders = [Path(default_storage.path(folder)).resolve() for folder in ALLOWED_FOLDERS]
    except NotImplementedError:  # A bucket (generations/s3_storage.py) has no links.
        return True
    except (OSError, ValueError, SuspiciousFileOperation):  # missing, a NUL byte, outside
        return False
    return real.is_file() and any(real.is_relative_to(folder) for folder in folders)


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of the one range asked for, first > last when it cannot be satisfied;
    None to send the whole file (no Range, one to ignore, or an empty file)."""
    match = RANGE.fullmatch(header.strip())
    if match is None or not size:
        return None
    first_text, last_text = match.groups()
    if first_text:
        first = int(first_text)
        if last_text and int(last_text) < first:
            return None  # bytes=9-3 is invalid, not unsatisfiable
        return first, (min(int(last_text), size - 1) if last_text else size - 1)
    if not last_text:
        return None  # bytes=-
    suffix = int(last_text)
    return max(0, size - suffix), size - 1  # bytes=-0 gives (size, size - 1): unsatisfiable


class FileRange:
    """Bytes first..last of an open storage file, read a chunk at a time so memory stays flat
    however long the range (from a bucket too: its files stream from the offset sought);
    Django calls `close` (which closes the file) when the answer ends."""

    def __init__(self, handle: IO[bytes], first: int, last: int) -> None:
        self.handle = handle
        self.first = first
        self.length = last - first + 1

    def __iter__(self) -> Iterator[bytes]:
        self.handle.seek(self.first)
        remaining = self.length
        while remaining > 0:
            chunk = self.handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
        self.close()

    def close(self) -> None:
        self.handle.close()


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    if not path.startswith(ALLOWED_FOLDERS) or ".." in path.split("/") or not in_folders(path):
        raise Http404("No such file.")
    return stored_file(request, path)


def stored_file(
    request: HttpRequest, path: str, cache_control: str = "private, max-age=86400"
) -> HttpResponseBase:
    """The stored file at `path` (already checked by the caller), whole or the Range asked for;
    404 if it is missing. The studio's /media/ and the share links' media both answer this way."""
    try:
        size = default_storage.size(path)
        handle = default_storage.open(path, "rb")
    except (OSError, ValueError, SuspiciousFileOperation):
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    # Browsers seek in a video with Range requests; answer them so the player's scrubber works.
    wanted = requested_range(request.headers.get("Range", ""), size)
    response: HttpResponseBase
    if wanted is None:
        response = FileResponse(handle, content_type=content_type)
        response.block_size = CHUNK_BYTES  # read lazily: fewer, larger reads of a long clip
        response["Content-Length"] = str(size)
    elif wanted[0] > wanted[1]:
        handle.close()
        unsatisfiable = HttpResponse(status=416)
        unsatisfiable["Content-Range"] = f"bytes */{size}"
        return unsatisfiable
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            FileRange(handle, first, last), status=206, content_type=content_type
        )
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache_control
    return response
