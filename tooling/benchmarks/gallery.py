"""A studio folder with a seeded team gallery (seed_gallery), made once per benchmark run and
shared by the pages and throughput parts."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from .processes import Stack

READY = "seeded"
# What the studio page's #gallery-live sends (hx-include): the filter form's fields, then `since`;
# and htmx's own headers besides the session's.
LIVE_UPDATE_FILTERS = {"who": "everyone", "status": "", "resolution": "", "q": ""}
LIVE_UPDATE_HEADERS = {"HX-Request": "true", "HX-Trigger": "gallery-live"}


def live_update_path(since: str) -> str:
    return "/gallery/updates/?" + urlencode({**LIVE_UPDATE_FILTERS, "since": since})


def seeded_stack(folder: Path, *, generations: int, members: int) -> Stack:
    stack = Stack(folder)
    marker = folder / READY
    wanted = f"{generations} {members}"
    if not marker.exists() or marker.read_text() != wanted:
        stack.prepare()
        stack.manage("seed_gallery", "--generations", str(generations), "--members", str(members))
        marker.write_text(wanted)
    return stack


def session_cookie(stack: Stack, username: str = "member1") -> str:
    """A logged-in session of a seeded member, made in the studio's own database."""
    return stack.python("-m", "tooling.benchmarks.pages_probe", "session", username).strip()
