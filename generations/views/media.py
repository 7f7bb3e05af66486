"""Clips, posters and first frames are the team's: served only to people who are logged in."""

import mimetypes
import re
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

ALLOWED_FOLDERS = ("clips/", "posters/", "first-frames/")
RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def in_folders(path: str) -> bool:
    """The file itself lies in one of the folders: a link pointing elsewhere doesn't count (the
    folders themselves may be links, say to a bigger disk)."""
    try:
        real = Path(default_storage.path(path)).resolve(strict=True)
        folders = [Path(default_storage.path(folder)).resolve() for folder in ALLOWED_FOLDERS]
    except NotImplementedError:  # A storage without local files (none today) has no links.
        return True
    except (OSError, ValueError, SuspiciousFileOperation):  # missing, a NUL byte, outside
        return False
    return real.is_file() and any(real.is_relative_to(folder) for folder in folders)


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponse:
    if not path.startswith(ALLOWED_FOLDERS) or ".." in path.split("/") or not in_folders(path):
        raise Http404("No such file.")
    try:
        size = default_storage.size(path)
        handle = default_storage.open(path, "rb")
    except (OSError, ValueError, SuspiciousFileOperation):
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    # Browsers seek in a video with Range requests; answer them so the player's scrubber works.
    match = RANGE.match(request.headers.get("Range", ""))
    if match and size:
        start_text, end_text = match.groups()
        if start_text:
            start, end = int(start_text), int(end_text) if end_text else size - 1
        else:
            start, end = max(0, size - int(end_text or 0)), size - 1
        end = min(end, size - 1)
        if start > end:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle.seek(start)
        body = handle.read(end - start + 1)
        handle.close()
        response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=86400"
    return response
